import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import StaffFactory, VisitFactory, WorkspaceFactory
from visits import services
from visits.models import Visit


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Accounts are made by the dozen here; the real hasher is tested in tests/hubsite.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def staff(db):
    return StaffFactory()


@pytest.fixture
def workspace(db):
    return WorkspaceFactory(name="Open lab", desks=3)


@pytest.fixture
def endorsed(db):
    """A factory for endorsed stays (ready for approval)."""

    def make(**kwargs):
        return VisitFactory(status=Visit.Status.ENDORSED, **kwargs)

    return make


@pytest.fixture
def approved(endorsed, staff, workspace):
    """A factory for approved stays, through the approval service."""

    def make(**kwargs):
        return services.visit_approve(visit=endorsed(**kwargs), by=staff)

    return make


def days(today, start, length):
    """(first_day, last_day) starting `start` days from today, `length` days long."""
    first = today + dt.timedelta(days=start)
    return {"first_day": first, "last_day": first + dt.timedelta(days=length - 1)}
