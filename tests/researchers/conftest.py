import pytest
from django.utils import translation

from tests.factories import StaffFactory


@pytest.fixture
def staff_with_totp(db):
    """A staff user who has set up an authenticator app, signed in."""
    return StaffFactory()


@pytest.fixture
def admin_client(client, staff_with_totp):
    client.force_login(staff_with_totp)
    return client


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English; a Korean page rendered earlier must not leak into them."""
    with translation.override("en"):
        yield
