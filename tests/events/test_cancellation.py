"""A cancelled event: every registration ends with it, each person is told once, every page says so."""

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from events import services
from events.models import Event, Registration
from hubsite.models import OutboxMessage
from tests.factories import (
    EventFactory,
    ProjectFactory,
    RegistrationFactory,
    RoomFactory,
    SeriesFactory,
    ThemeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

REASON = "The speaker is ill."


@pytest.fixture
def commit_now(monkeypatch):
    monkeypatch.setattr(transaction, "on_commit", lambda callback, using=None, robust=False: callback())


def full_event_with_everyone():
    """A full one-seat seminar: a confirmed member, a waiting member, a pending guest, one who left."""
    event = EventFactory(
        title="Scaling laws",
        slug="scaling-laws",
        room=RoomFactory(capacity=1),
        series=SeriesFactory(slug="scaling"),
        project=ProjectFactory(slug="scaling-project"),
    )
    theme = ThemeFactory(slug="scaling-theme")
    event.themes.add(theme)
    people = {
        "confirmed": UserFactory(email="ann@example.org"),
        "waiting": UserFactory(email="bo@example.org"),
    }
    services.registration_create(event=event, email="ann@example.org", user=people["confirmed"])
    services.registration_create(event=event, email="bo@example.org", user=people["waiting"])
    services.registration_create(event=event, email="cy@example.org", name="Cy")  # pending guest
    gone = RegistrationFactory(event=event, email="dee@example.org", status="cancelled")
    services.event_invitations_send(event=event, invitees=[services.Invitee(email="eve@example.org")])
    return event, people, gone


def test_cancelling_ends_every_registration_and_tells_each_person_once(commit_now):
    event, _people, gone = full_event_with_everyone()
    before = OutboxMessage.objects.count()
    services.event_cancel(event=event, reason=REASON)
    statuses = dict(Registration.objects.filter(event=event).values_list("email", "status"))
    assert statuses == {
        "ann@example.org": "event_cancelled",
        "bo@example.org": "event_cancelled",
        "cy@example.org": "event_cancelled",
        "dee@example.org": "cancelled",
    }
    assert Registration.objects.filter(event=event, status="event_cancelled", cancelled_at=None).count() == 0
    new = OutboxMessage.objects.order_by("pk")[before:]
    assert sorted((message.kind, message.recipient) for message in new) == [
        ("event_cancelled", "ann@example.org"),
        ("event_cancelled", "bo@example.org"),
        ("event_cancelled", "cy@example.org"),
        ("event_cancelled", "eve@example.org"),
    ]
    gone.refresh_from_db()
    assert gone.cancelled_at is None  # the person who had left is not touched


MESSAGE = "This event has been cancelled, so its registrations have ended."


@pytest.mark.parametrize(
    "action",
    ["register signed in", "register as guest", "confirm link", "cancel", "promote", "check in"],
)
def test_registration_actions_on_a_cancelled_event_refuse_with_a_clear_message(commit_now, action):
    event, _people, _gone = full_event_with_everyone()
    services.event_cancel(event=event, reason=REASON)
    confirmed = Registration.objects.get(email="ann@example.org")
    waiting = Registration.objects.get(email="bo@example.org")
    pending = Registration.objects.get(email="cy@example.org")
    calls = {
        "register signed in": lambda: services.registration_create(
            event=event, email="new@example.org", user=UserFactory(email="new@example.org")
        ),
        "register as guest": lambda: services.registration_create(
            event=event, email="new@example.org", name="New"
        ),
        "confirm link": lambda: services.registration_confirm_email(
            token=services.registration_confirm_token(pending)
        ),
        "cancel": lambda: services.registration_cancel(registration=confirmed),
        "promote": lambda: services.registration_promote(registration=waiting),
        "check in": lambda: services.registration_check_in(registration=confirmed),
    }
    before = OutboxMessage.objects.count()
    with pytest.raises(services.RegistrationError) as caught:
        calls[action]()
    expected = "This event has been cancelled." if action.startswith("register") else MESSAGE
    assert caught.value.messages == [expected]
    assert OutboxMessage.objects.count() == before
    assert (
        Registration.objects.filter(event=event).exclude(status__in=["event_cancelled", "cancelled"]).count()
        == 0
    )


def test_every_page_that_shows_a_cancelled_event_says_it_is_cancelled(commit_now):
    event, people, _gone = full_event_with_everyone()
    pending = Registration.objects.get(email="cy@example.org")
    confirmed = Registration.objects.get(email="ann@example.org")
    services.event_cancel(event=event, reason=REASON)
    anonymous = {
        "event page": (event.get_absolute_url(), "This event is cancelled."),
        "register page": (
            reverse("events:register", kwargs={"slug": event.slug}),
            "This event has been cancelled.",
        ),
        "events list": (reverse("events:list"), "Cancelled"),
        "home": (reverse("events:home"), "Cancelled"),
        "series page": (event.series.get_absolute_url(), "Cancelled"),
        "project page": (reverse("projects:detail", kwargs={"slug": "scaling-project"}), "Cancelled"),
        "theme page": (reverse("projects:theme_detail", kwargs={"slug": "scaling-theme"}), "Cancelled"),
        "confirm link": (
            reverse(
                "events:registration_confirm", kwargs={"token": services.registration_confirm_token(pending)}
            ),
            MESSAGE,
        ),
        "cancel link": (
            reverse(
                "events:registration_cancel", kwargs={"token": services.registration_cancel_token(confirmed)}
            ),
            MESSAGE,
        ),
        "join link": (
            reverse(
                "events:registration_join", kwargs={"token": services.registration_join_token(confirmed)}
            ),
            "This event has been cancelled.",
        ),
    }
    signed_in = {
        "event page": (
            event.get_absolute_url(),
            "Registration is closed: every registration ended with the cancellation.",
        ),
        "my seminars": (reverse("events:my_seminars"), "Ended: the event was cancelled"),
    }
    said = {}
    for reader, pages in (("anonymous", anonymous), ("ann", signed_in), ("bo", signed_in)):
        client = Client()
        if reader != "anonymous":
            client.force_login(people["confirmed" if reader == "ann" else "waiting"])
        for page, (url, expected) in pages.items():
            text = client.get(url).content.decode()
            said[(reader, page)] = (
                expected in text,
                "full, you can join the waiting list" in text,
                "Waiting list: number" in text,
                "Register with one click" in text or ">Register</button>" in text,
            )
    assert said == dict.fromkeys(said, (True, False, False, False))


def test_my_seminars_offers_no_cancel_button_for_a_cancelled_event(client, commit_now):
    event, people, _gone = full_event_with_everyone()
    services.event_cancel(event=event, reason=REASON)
    client.force_login(people["confirmed"])
    page = client.get(reverse("events:my_seminars")).content.decode()
    assert "Scaling laws" in page
    assert (
        reverse("events:my_registration_cancel", args=[Registration.objects.get(email="ann@example.org").pk])
        not in page
    )


def test_the_personal_calendar_keeps_a_cancelled_seminar_as_cancelled(client, commit_now):
    event, people, _gone = full_event_with_everyone()
    services.event_cancel(event=event, reason=REASON)
    calendar = services.personal_calendar_get(user=people["confirmed"])
    feed = client.get(reverse("events:personal_calendar", kwargs={"token": calendar.token})).content.decode()
    assert feed.count("STATUS:CANCELLED") == 1


def test_the_migration_ends_registrations_of_events_cancelled_before_it():
    event = EventFactory(status=Event.Status.CANCELLED, cancellation_reason=REASON)
    live = EventFactory()
    for status in ("pending", "confirmed", "waiting", "cancelled"):
        RegistrationFactory(event=event, status=status, queued_at=timezone.now())
        RegistrationFactory(event=live, status=status, queued_at=timezone.now())
    migration = importlib.import_module("events.migrations.0002_registrations_end_with_their_event")
    migration.end_registrations_of_cancelled_events(apps, None)
    assert sorted(Registration.objects.filter(event=event).values_list("status", flat=True)) == [
        "cancelled",
        "event_cancelled",
        "event_cancelled",
        "event_cancelled",
    ]
    assert sorted(Registration.objects.filter(event=live).values_list("status", flat=True)) == [
        "cancelled",
        "confirmed",
        "pending",
        "waiting",
    ]


def test_a_cancelled_event_over_soon_is_still_listed_until_its_end(commit_now):
    """My seminars lists the ended registration only while the event is still to come."""
    event, people, _gone = full_event_with_everyone()
    services.event_cancel(event=event, reason=REASON)
    Event.objects.filter(pk=event.pk).update(
        start=timezone.now() - dt.timedelta(hours=3), end=timezone.now() - dt.timedelta(hours=2)
    )
    client = Client()
    client.force_login(people["confirmed"])
    assert "Scaling laws" not in client.get(reverse("events:my_seminars")).content.decode()


def test_the_visitors_stay_page_says_their_offered_seminar_is_cancelled(client, commit_now):
    from tests.factories import VisitFactory

    event = EventFactory(title="My talk")
    visit = VisitFactory(offers_seminar=True, seminar_title="My talk", seminar_event=event)
    services.event_cancel(event=event, reason=REASON)
    client.force_login(visit.researcher.user)
    page = client.get(reverse("visits:detail", args=[visit.pk])).content.decode()
    assert "This seminar has been cancelled." in page
    assert "The hub staff will schedule it" not in page
