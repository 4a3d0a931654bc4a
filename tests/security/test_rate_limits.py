"""Rate limits on the endpoints that can be abused (allauth's, configured in settings).

Failed sign-ins locking an account are tested in tests/hubsite/test_accounts.py. The series
subscription endpoints have their own limits (events/views_subscriptions.py). Guest registration
gets its test here when it exists.
"""

import pytest
from django.core import mail

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _limit(name: str, unit: str) -> int:
    """The number of attempts allowed per minute for one `unit` ("ip", "key"), from settings."""
    from django.conf import settings

    for part in settings.ACCOUNT_RATE_LIMITS[name].split(","):
        amount, period, *by = part.split("/")
        if period == "m" and by == [unit]:
            return int(amount)
    raise AssertionError(f"no per-minute {unit} limit for {name}")


def test_sign_in_is_rate_limited_per_address(client):
    limit = _limit("login", "ip")
    statuses = [
        client.post("/accounts/login/", {"login": f"nobody{n}@example.org", "password": "x"}).status_code
        for n in range(limit + 1)
    ]
    assert statuses[:limit] == [200] * limit
    assert statuses[limit] == 429


def test_sign_up_is_rate_limited_per_address(client):
    limit = _limit("signup", "ip")
    statuses = []
    for n in range(limit + 1):
        client.cookies.clear()
        data = {"email": f"new{n}@example.org", "password1": PASSWORD, "password2": PASSWORD}
        statuses.append(client.post("/accounts/signup/", data).status_code)
    assert statuses[:limit] == [302] * limit
    assert statuses[limit] == 429


def test_password_reset_is_rate_limited_per_email_address(client):
    UserFactory(email="known@example.org")
    limit = _limit("reset_password", "key")
    data = {"email": "known@example.org"}
    statuses = [client.post("/accounts/password/reset/", data).status_code for _ in range(limit)]
    # The same key asked for again in the same second is the same outbox row: at least one mail.
    sent_within_limit = len(mail.outbox)
    statuses.append(client.post("/accounts/password/reset/", data).status_code)
    assert statuses[:limit] == [302] * limit
    assert statuses[limit] == 429
    assert sent_within_limit >= 1
    assert len(mail.outbox) == sent_within_limit  # the refused request sent nothing


def test_password_reset_is_rate_limited_per_address(client):
    limit = _limit("reset_password", "ip")
    statuses = [
        client.post("/accounts/password/reset/", {"email": f"someone{n}@example.org"}).status_code
        for n in range(limit + 1)
    ]
    assert statuses[:limit] == [302] * limit
    assert statuses[limit] == 429


def test_series_subscribe_is_rate_limited_per_address(client):
    from events.views_subscriptions import SUBSCRIBE_LIMIT_PER_MINUTE
    from tests.factories import SeriesFactory

    series = SeriesFactory()
    path = f"/subscriptions/series/{series.slug}/"
    statuses = [
        client.post(path, {"email": f"reader{n}@example.org"}).status_code
        for n in range(SUBSCRIBE_LIMIT_PER_MINUTE + 1)
    ]
    assert statuses == [302] * SUBSCRIBE_LIMIT_PER_MINUTE + [429]
    assert series.subscriptions.count() == SUBSCRIBE_LIMIT_PER_MINUTE


def test_unsubscribe_links_are_rate_limited_per_address(client):
    from events.views_subscriptions import LINK_LIMIT_PER_MINUTE
    from tests.factories import SeriesSubscriptionFactory

    subscriptions = [SeriesSubscriptionFactory() for _ in range(LINK_LIMIT_PER_MINUTE + 1)]
    statuses = [
        client.post(f"/subscriptions/unsubscribe/{subscription.token}/").status_code
        for subscription in subscriptions
    ]
    assert statuses == [200] * LINK_LIMIT_PER_MINUTE + [429]
    subscriptions[-1].refresh_from_db()
    assert subscriptions[-1].unsubscribed_at is None  # the refused one changed nothing


def test_guest_registration_is_rate_limited_per_address(client):
    from events.models import Registration
    from events.views_registration import GUEST_REGISTRATIONS_PER_HOUR
    from tests.factories import EventFactory

    event = EventFactory(capacity=100)
    path = f"/events/{event.slug}/register/"
    statuses = [
        client.post(
            path, {"name": f"Guest {n}", "email": f"guest{n}@example.org", "attendance": "in_person"}
        ).status_code
        for n in range(GUEST_REGISTRATIONS_PER_HOUR + 1)
    ]
    assert statuses == [302] * GUEST_REGISTRATIONS_PER_HOUR + [429]
    assert Registration.objects.filter(event=event).count() == GUEST_REGISTRATIONS_PER_HOUR
    refused = client.post(path, {"name": "Late", "email": "late@example.org", "attendance": "in_person"})
    assert [str(m) for m in refused.context["messages"]] == [
        "Too many registrations from your network; please try again in an hour."
    ]
