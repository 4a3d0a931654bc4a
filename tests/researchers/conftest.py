import pytest
from django.utils import translation

from tests.factories import StaffFactory
from tests.signin import force_login_with_mfa


@pytest.fixture
def staff_with_totp(db):
    """A staff user who has set up an authenticator app, signed in."""
    return StaffFactory()


@pytest.fixture
def admin_client(client, staff_with_totp):
    force_login_with_mfa(client, staff_with_totp)
    return client


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English; a Korean page rendered earlier must not leak into them."""
    with translation.override("en"):
        yield
