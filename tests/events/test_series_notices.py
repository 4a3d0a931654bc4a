"""A series subscription promises mail when a session is changed (moved) or cancelled: it comes.

Once per burst like the registrants' update, one outbox row per address (a subscriber who is also a
registrant of the session gets the registrant's message only), with List-Unsubscribe like the
announcements, in the subscriber's language.
"""

import datetime as dt

import pytest
import time_machine
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import translation
from icalendar import Calendar

from events import services, tasks
from hubsite.models import OutboxMessage
from tests import smtp
from tests.factories import (
    EventFactory,
    RegistrationFactory,
    RoomFactory,
    SeriesFactory,
    SeriesSubscriptionFactory,
)

pytestmark = pytest.mark.django_db
smtp_server, smtp_mailer = smtp.smtp_server, smtp.smtp_mailer

START = dt.datetime(2031, 7, 1, 5, 0, tzinfo=dt.UTC)
SAVED = START - dt.timedelta(days=3)
DUE = SAVED + dt.timedelta(seconds=300)


@pytest.fixture
def commit_now(monkeypatch):
    monkeypatch.setattr(transaction, "on_commit", lambda callback, using=None, robust=False: callback())


@pytest.fixture
def session(settings):
    """A public session of a series with a follower, a Korean follower, a follower who also
    registered, a registrant, a pending subscription and one that left."""
    settings.EVENT_UPDATE_DELAY_SECONDS = 300
    series = SeriesFactory(title="Deep learning", slug="deep-learning")
    for email, extra in (
        ("follower@example.org", {}),
        ("korean@example.org", {"language": "ko"}),
        ("both@example.org", {}),
        ("pending@example.org", {"confirmed_at": None}),
        ("left@example.org", {"unsubscribed_at": START - dt.timedelta(days=9)}),
    ):
        SeriesSubscriptionFactory(series=series, email=email, **extra)
    event = EventFactory(
        title="Scaling laws", series=series, start=START, end=START + dt.timedelta(hours=1), sequence=1
    )
    RegistrationFactory(event=event, email="both@example.org", name="Both")
    RegistrationFactory(event=event, email="ann@example.org", name="Ann")
    return event


def rows(kind):
    return sorted(OutboxMessage.objects.filter(kind=kind).values_list("recipient", "revision"))


def move(event, **fields):
    with time_machine.travel(SAVED, tick=False):
        services.event_update(event=event, **fields)
    with time_machine.travel(DUE, tick=False):
        return tasks.send_due_event_updates()


def test_followers_hear_of_a_moved_session_once_with_one_click_unsubscribe(session, commit_now, smtp_mailer):
    with time_machine.travel(SAVED, tick=False):
        services.event_update(
            event=session, start=START + dt.timedelta(hours=1), end=START + dt.timedelta(hours=2)
        )
    with time_machine.travel(SAVED + dt.timedelta(minutes=2), tick=False):
        services.event_update(event=session, room=RoomFactory(name="Auditorium"))
    assert rows("event_update") == []
    with time_machine.travel(DUE, tick=False):
        assert tasks.send_due_event_updates() == 4
        assert tasks.send_due_event_updates() == 0
    assert rows("event_update") == [
        ("ann@example.org", 3),
        ("both@example.org", 3),
        ("follower@example.org", 3),
        ("korean@example.org", 3),
    ]
    received = {item.rcpt_tos[0]: item.message for item in smtp_mailer.received}
    follower = received["follower@example.org"]
    assert follower["Subject"] == "Changed: Scaling laws"
    assert follower["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    subscription = session.series.subscriptions.get(email="follower@example.org")
    assert follower["List-Unsubscribe"] == f"<{services.subscription_unsubscribe_url(subscription)}>"
    text = follower.get_body(("plain",)).get_content()
    assert "The time or place of a seminar in Deep learning, a series you follow, has changed." in text
    assert "Auditorium" in text
    assert "Cancel your registration" not in text
    assert services.subscription_unsubscribe_url(subscription) in text
    (part,) = [p for p in follower.iter_attachments() if p.get_content_type() == "text/calendar"]
    calendar = Calendar.from_ical(part.get_content())
    assert calendar["METHOD"] == "PUBLISH"
    assert calendar.walk("VEVENT")[0]["SEQUENCE"] == 3
    # The follower who registered gets the registrant's message, with their own cancel link.
    both = received["both@example.org"].get_body(("plain",)).get_content()
    assert "a seminar you registered for has changed" in both
    assert "List-Unsubscribe" not in received["both@example.org"]
    korean = received["korean@example.org"]
    assert korean["Subject"] == "변경: Scaling laws"
    with translation.override("ko"):
        expected = translation.gettext(
            "The time or place of a seminar in %(series)s, a series you follow, has changed. "
            "This is the seminar now:"
        ) % {"series": "Deep learning"}
    assert expected != "The time or place of a seminar in Deep learning, a series you follow, has changed."
    assert expected in korean.get_body(("plain",)).get_content()


def test_a_new_online_link_alone_is_for_registrants_not_followers(session, commit_now):
    session.format = "hybrid"
    session.online_url = "https://meet.example.org/old"
    session.save()
    assert move(session, online_url="https://meet.example.org/new") == 2
    assert [recipient for recipient, _revision in rows("event_update")] == [
        "ann@example.org",
        "both@example.org",
    ]


def test_a_members_only_session_is_not_sent_to_followers(session, commit_now):
    session.visibility = "members"
    session.save()
    move(session, start=START + dt.timedelta(hours=1), end=START + dt.timedelta(hours=2))
    assert [recipient for recipient, _revision in rows("event_update")] == [
        "ann@example.org",
        "both@example.org",
    ]


def test_followers_hear_of_a_cancelled_session_once(session, commit_now, smtp_mailer):
    services.event_invitations_send(
        event=session, invitees=[services.Invitee(email="follower@example.org")]
    )  # invited and following: one message
    before = len(smtp_mailer.received)
    services.event_cancel(event=session, reason="The speaker is ill.")
    assert rows("event_cancelled") == [
        ("ann@example.org", 2),
        ("both@example.org", 2),
        ("follower@example.org", 2),
        ("korean@example.org", 2),
    ]
    received = {item.rcpt_tos[0]: item.message for item in smtp_mailer.received[before:]}
    assert sorted(received) == [
        "ann@example.org",
        "both@example.org",
        "follower@example.org",
        "korean@example.org",
    ]
    korean = received["korean@example.org"]
    assert korean["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    (part,) = [p for p in korean.iter_attachments() if p.get_content_type() == "text/calendar"]
    component = Calendar.from_ical(part.get_content()).walk("VEVENT")[0]
    assert (str(component["STATUS"]), component["SEQUENCE"]) == ("CANCELLED", 2)
    assert "List-Unsubscribe" not in received["ann@example.org"]


def test_a_draft_never_announced_is_cancelled_without_telling_followers(session, commit_now):
    draft = EventFactory(series=session.series, status="draft", published_at=None)
    services.event_cancel(event=draft, reason="Not needed")
    assert OutboxMessage.objects.filter(kind="event_cancelled").count() == 0


def test_the_subscribe_page_promises_what_is_sent_in_both_languages():
    series = SeriesFactory(slug="deep-learning")
    url = reverse("events:series_subscribe", kwargs={"slug": series.slug})
    english = Client().get(url).content.decode()
    korean = Client(headers={"accept-language": "ko"}).get(url).content.decode()
    assert (
        "Get an e-mail when a seminar of this series is announced, moved to another time or room, "
        "or cancelled." in english
    )
    assert (
        "이 시리즈의 세미나가 공지되거나, 다른 시간이나 장소로 옮겨지거나, 취소될 때 이메일을 받습니다."
        in korean
    )
