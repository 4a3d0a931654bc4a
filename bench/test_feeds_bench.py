"""Feed build time for 2,000 events against icalendar's own build and serialisation of the same events.

Run: `.venv/bin/python -m pytest bench/test_feeds_bench.py -s -p no:logging` (with DATABASE_URL and
REDIS_URL for the production-like numbers). Prints numbers; never a pass/fail on time.
"""

import datetime as dt
import time

import pytest
from django.test import Client
from django.utils import timezone
from icalendar import Calendar

from events.feeds import events_for_calendar
from events.models import Event
from events.services import events_bulk_create
from hubsite import ical
from tests.factories import ResearcherFactory, RoomFactory, ThemeFactory

EVENTS = 2000


@pytest.mark.django_db
def test_feed_build_times():
    room, theme = RoomFactory(), ThemeFactory()
    researchers = [ResearcherFactory() for _ in range(20)]
    now = timezone.now()
    candidates = [
        Event(
            title=f"Talk {n}",
            slug=f"talk-{n}",
            abstract="Some *abstract* text with a [link](https://example.org). " * 10,
            start=now + dt.timedelta(hours=n),
            end=now + dt.timedelta(hours=n, minutes=60),
            room=room,
            status="published",
        )
        for n in range(EVENTS)
    ]
    # Through the events service, like every write of events (one hour each: no room clash).
    events, _refused = events_bulk_create(
        events=candidates,
        speakers={event.slug: [researchers[n % 20]] for n, event in enumerate(candidates)},
        themes={event.slug: [theme] for event in candidates},
    )
    loaded = events_for_calendar([event.pk for event in events])

    started = time.perf_counter()
    calendar = Calendar()
    for event in loaded:
        calendar.add_component(ical.event_component(event))
    calendar.to_ical()
    baseline = time.perf_counter() - started

    client = Client()
    started = time.perf_counter()
    client.get("/events/calendar.ics")
    cold = time.perf_counter() - started
    started = time.perf_counter()
    client.get("/events/calendar.ics")
    warm = time.perf_counter() - started
    changed = Event.objects.get(slug="talk-5")
    changed.title = "Changed"
    changed.save()
    started = time.perf_counter()
    client.get("/events/calendar.ics")
    after_change = time.perf_counter() - started
    print(
        f"\nicalendar build+serialise {baseline:.3f}s | feed cold {cold:.3f}s ({cold / baseline:.2f}x) | "
        f"cached {warm:.3f}s | after one change {after_change:.3f}s ({after_change / baseline:.2f}x)"
    )
