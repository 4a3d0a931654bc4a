import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The security tests create and sign in many users; the real hasher would make them slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cast():
    """The matrix's cast (roles.current_cast) lives for one test: its rows roll back with it."""
    from .roles import forget_cast

    forget_cast()
    yield
    forget_cast()
