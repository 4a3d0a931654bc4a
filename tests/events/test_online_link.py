"""The online meeting link: confirmed online registrants only, from the time it opens.

One rule (events.models.online_link_for) and every surface: each page, the JSON-LD, every calendar
feed, the Atom feed, every e-mail about the event, the personal join link and the page cache are
read as each kind of reader, and the secret link appears exactly where the rule allows it.
"""

import datetime as dt
import json
import re
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.urls import reverse

from events import services
from events.models import ONLINE_LINK_LEAD, Event, Registration, online_link_for
from hubsite.models import OutboxMessage
from tests.factories import (
    EventSpeakerFactory,
    RegistrationFactory,
    RoomFactory,
    SeriesFactory,
    SeriesSubscriptionFactory,
    StaffFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

SECRET = "https://meet.example.org/j/secret-8c1f0e"
START = dt.datetime(2031, 7, 1, 5, 0, tzinfo=dt.UTC)
BEFORE_IT_OPENS = START - ONLINE_LINK_LEAD - dt.timedelta(minutes=5)
AFTER_IT_OPENS = START - dt.timedelta(minutes=30)
READERS = ("anonymous", "non-registrant", "waiting", "pending", "in person", "confirmed online", "staff")


@pytest.fixture
def commit_now(monkeypatch):
    monkeypatch.setattr(transaction, "on_commit", lambda callback, using=None, robust=False: callback())


def hybrid_seminar(visibility: str) -> Event:
    """A hybrid seminar of a series, published through the services (so it is announced)."""
    series = SeriesFactory(title="Scaling", slug="scaling")
    SeriesSubscriptionFactory(series=series, email="follower@example.org")
    event = services.event_create(
        title="Scaling laws",
        slug="scaling-laws",
        series=series,
        start=START,
        end=START + dt.timedelta(hours=1),
        room=RoomFactory(capacity=1),
        format=Event.Format.HYBRID,
        online_url=SECRET,
        visibility=visibility,
        capacity=1,
        speakers_tba=True,
    )
    EventSpeakerFactory(event=event)
    services.event_publish(event=event)
    event.refresh_from_db()
    return event


def readers(event: Event) -> dict:
    """Each kind of reader, with their registration (made through the services where they can be)."""
    users = {name: UserFactory(email=f"{name.replace(' ', '-')}@example.org") for name in READERS[1:6]}
    users["staff"] = StaffFactory(email="staff-reader@example.org")
    with time_machine.travel(START - dt.timedelta(days=3), tick=False):
        services.registration_create(event=event, email=users["in person"].email, user=users["in person"])
        for name in ("confirmed online", "waiting"):
            services.registration_create(
                event=event, email=users[name].email, user=users[name], attendance="online"
            )
    # Online places are unlimited; put this one on the waiting list as a full event would.
    Registration.objects.filter(email=users["waiting"].email).update(
        status=Registration.Status.WAITING, queued_at=START - dt.timedelta(days=3)
    )
    # A guest registration with the reader's own (verified) address, not confirmed yet.
    RegistrationFactory(
        event=event, email=users["pending"].email, status="pending", attendance="online", confirmed_at=None
    )
    return users


def pages(client: Client, event: Event, user) -> dict[str, str]:
    """Every page and feed this reader can open about the event, as text (headers included)."""
    urls = {
        "home": reverse("events:home"),
        "list": reverse("events:list"),
        "detail": event.get_absolute_url(),
        "register": reverse("events:register", kwargs={"slug": event.slug}),
        "series": event.series.get_absolute_url(),
        "calendar": reverse("events:calendar_feed"),
        "series calendar": reverse("events:series_calendar", kwargs={"slug": event.series.slug}),
        "event calendar": reverse("events:event_calendar", kwargs={"slug": event.slug}),
        "atom": reverse("events:feed_atom"),
    }
    if user is not None:
        calendar = services.personal_calendar_get(user=user)
        urls["my seminars"] = reverse("events:my_seminars")
        urls["personal calendar"] = reverse("events:personal_calendar", kwargs={"token": calendar.token})
    seen = {}
    for name, url in urls.items():
        response = client.get(url)
        assert response.status_code in (200, 302, 404), (name, response.status_code)
        seen[name] = f"{response.headers}\n{response.content.decode()}"
    return seen


@pytest.mark.parametrize("visibility", ["public", "members"])
@pytest.mark.parametrize("moment", [BEFORE_IT_OPENS, AFTER_IT_OPENS], ids=["before", "after"])
def test_only_confirmed_online_registrants_see_the_link_and_only_once_it_opens(visibility, moment):
    event = hybrid_seminar(visibility)
    users = readers(event)
    found = {}
    with time_machine.travel(moment, tick=False):
        for reader in READERS:
            client = Client()
            user = users.get(reader)
            if user is not None:
                client.force_login(user)
            for surface, text in pages(client, event, user).items():
                if SECRET in text:
                    found.setdefault(reader, []).append(surface)
    if moment == AFTER_IT_OPENS:
        assert found == {"confirmed online": ["detail", "register", "my seminars"]}
    else:
        assert found == {}


def test_the_json_ld_names_the_event_page_as_its_virtual_location(client):
    event = hybrid_seminar("public")
    with time_machine.travel(AFTER_IT_OPENS, tick=False):
        page = client.get(event.get_absolute_url()).content.decode()
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1))
    assert data["location"][1] == {
        "@type": "VirtualLocation",
        "url": settings.SITE_URL + event.get_absolute_url(),
    }


def test_no_email_about_the_event_carries_the_link_only_the_personal_join_link(client, commit_now):
    """Invitation, announcement, every registration mail, update, reminders and cancellation."""
    event = hybrid_seminar("public")
    users = readers(event)
    with time_machine.travel(START - dt.timedelta(days=2), tick=False):
        services.event_invitations_send(event=event, invitees=[services.Invitee(email="guest@example.org")])
        services.registration_create(event=event, email="walk-in@example.org", name="Walk In")
        late = UserFactory(email="late@example.org")
        services.registration_create(event=event, email=late.email, user=late)  # the seat is taken: waits
        in_person = Registration.objects.get(email=users["in person"].email)
        services.registration_cancel(registration=in_person)  # frees the seat: a promotion follows
        services.event_update(event=event, room=RoomFactory(capacity=5))
    with time_machine.travel(START - dt.timedelta(days=2) + dt.timedelta(hours=1), tick=False):
        services.event_update_notices_send(event_id=event.pk)
    for offset in settings.EVENT_REMINDERS:
        with time_machine.travel(START - offset + dt.timedelta(minutes=1), tick=False):
            services.event_reminders_send()
    with time_machine.travel(START - dt.timedelta(minutes=10), tick=False):
        services.event_cancel(event=event, reason="The speaker is ill.")
    messages = list(OutboxMessage.objects.all())
    kinds = {message.kind for message in messages}
    assert kinds >= {
        "invitation",
        "series_announcement",
        "registration_confirm_link",
        "registration_confirmed",
        "registration_waiting",
        "registration_promoted",
        "registration_cancelled",
        "event_update",
        "reminder-24h",
        "reminder-1h",
        "event_cancelled",
    }
    for message in messages:
        assert SECRET not in json.dumps(
            [message.subject, message.body_text, message.body_html, message.attachments, message.headers]
        ), message.kind
    # The online registrant's reminder carries their personal join link, which opens the meeting.
    reminder = OutboxMessage.objects.get(kind="reminder-1h", recipient=users["confirmed online"].email)
    join_path = re.search(r"/registrations/join/[^/\s]+/", reminder.body_text).group(0)
    with time_machine.travel(AFTER_IT_OPENS, tick=False):
        opened = client.get(join_path)
    # The event is cancelled by now: the join link no longer opens anything.
    assert opened.status_code == 403
    assert SECRET not in opened.content.decode()


def test_the_personal_join_link_opens_the_meeting_only_for_a_confirmed_online_registrant(client, commit_now):
    event = hybrid_seminar("public")
    users = readers(event)
    opened = {}
    for reader in ("waiting", "in person", "confirmed online"):
        registration = Registration.objects.get(email=users[reader].email)
        path = reverse(
            "events:registration_join", kwargs={"token": services.registration_join_token(registration)}
        )
        for moment in (BEFORE_IT_OPENS, AFTER_IT_OPENS):
            with time_machine.travel(moment, tick=False):
                response = client.get(path)
            opened[(reader, moment == AFTER_IT_OPENS)] = (response.status_code, response.get("Location", ""))
    assert opened == {
        ("waiting", False): (403, ""),
        ("waiting", True): (403, ""),
        ("in person", False): (403, ""),
        ("in person", True): (403, ""),
        ("confirmed online", False): (403, ""),
        ("confirmed online", True): (302, SECRET),
    }


def test_a_page_that_shows_the_link_is_never_stored_and_the_cached_page_never_has_it(page_cache):
    event = hybrid_seminar("public")
    users = readers(event)
    member, anonymous = Client(), Client()
    with time_machine.travel(AFTER_IT_OPENS, tick=False):
        member.force_login(users["confirmed online"])
        for url in (event.get_absolute_url(), reverse("events:register", kwargs={"slug": event.slug})):
            shown = member.get(url)
            assert SECRET in shown.content.decode()
            assert set(shown["Cache-Control"].split(", ")) >= {"private", "no-store"}
        first, second = anonymous.get(event.get_absolute_url()), anonymous.get(event.get_absolute_url())
    assert (first["X-Page-Cache"], second["X-Page-Cache"]) == ("miss", "hit")
    assert SECRET not in first.content.decode() + second.content.decode()


def test_the_rule_is_one_function_and_no_template_reads_the_link_itself():
    """Templates get the link from online_link_for (as `online_link`), never from the event row."""
    templates = Path(settings.BASE_DIR) / "templates"
    readers_of_the_field = sorted(
        str(path.relative_to(templates))
        for path in templates.rglob("*")
        if path.is_file() and "online_url" in path.read_text(encoding="utf-8", errors="replace")
    )
    assert [path for path in readers_of_the_field if not path.startswith("admin/")] == []


@pytest.mark.parametrize(
    ("status", "attendance", "event_status", "moment", "allowed"),
    [
        ("confirmed", "online", "published", START - ONLINE_LINK_LEAD, True),
        ("confirmed", "online", "published", START + dt.timedelta(hours=1), True),
        ("confirmed", "online", "published", START - ONLINE_LINK_LEAD - dt.timedelta(seconds=1), False),
        ("confirmed", "online", "published", START + dt.timedelta(hours=1, seconds=1), False),
        ("confirmed", "in_person", "published", START, False),
        ("waiting", "online", "published", START, False),
        ("pending", "online", "published", START, False),
        ("cancelled", "online", "published", START, False),
        ("confirmed", "online", "cancelled", START, False),
    ],
)
def test_online_link_for_follows_the_rule(status, attendance, event_status, moment, allowed):
    event = RegistrationFactory(
        event__start=START,
        event__end=START + dt.timedelta(hours=1),
        event__format=Event.Format.HYBRID,
        event__online_url=SECRET,
        event__status=event_status,
        event__cancellation_reason="Ill" if event_status == "cancelled" else "",
    ).event
    registration = RegistrationFactory(event=event, status=status, attendance=attendance, queued_at=START)
    assert online_link_for(event=event, registration=registration, now=moment) == (SECRET if allowed else "")
    assert online_link_for(event=event, registration=None, now=moment) == ""
