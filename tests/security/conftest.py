import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The security tests create and sign in many users; the real hasher would make them slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
