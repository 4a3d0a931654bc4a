import pytest


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Signing in is not what these tests are about; a fast hasher keeps them quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
