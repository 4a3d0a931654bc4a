"""`python -m bench.feed_build`: the feed-build figures (see bench/sections.py, bench_feed_build).

The baseline: the icalendar library alone serialising the same events, already in memory (the
events of `/events/calendar.ics`, the feed measured). The site: the view of `/events/calendar.ics`
called directly (no middleware, no page cache), with an empty cache (every VEVENT built), then
after one event changed through events.services.event_update (one VEVENT rebuilt, the others read
from the cache). Each is the best of REPEAT runs.
"""

import time
import zoneinfo

from . import django_step

REPEAT = 3


def feed_pks() -> list[int]:
    """The events of `/events/calendar.ics` (its window and bound), the ones both sides serialise."""
    from events.feeds import CalendarFeed
    from events.models import Event

    feed = CalendarFeed(key="bench", name="bench", queryset=Event.objects.public())
    return list(feed.events().values_list("pk", flat=True))


def events_in_memory(pks: list[int]) -> list[dict]:
    """The feed's events as plain values, loaded before any timing starts."""
    from events.models import Event

    return list(
        Event.objects.filter(pk__in=pks).values(
            "calendar_uid", "sequence", "title", "abstract", "start", "end", "time_zone"
        )
    )


def icalendar_alone_seconds(rows: list[dict], *, repeat: int = 3) -> float:
    """Best of `repeat`: build a VCALENDAR of these events with icalendar and serialise it."""
    import icalendar

    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        calendar = icalendar.Calendar()
        calendar.add("prodid", "-//Seoul AI Research Hub//bench//EN")
        calendar.add("version", "2.0")
        for row in rows:
            zone = zoneinfo.ZoneInfo(row["time_zone"])
            event = icalendar.Event()
            event.add("uid", f"{row['calendar_uid']}@hub.example.org")
            event.add("sequence", row["sequence"])
            event.add("summary", row["title"])
            event.add("description", row["abstract"])
            event.add("dtstart", row["start"].astimezone(zone))
            event.add("dtend", row["end"].astimezone(zone))
            event.add("dtstamp", row["start"])
            calendar.add_component(event)
        calendar.add_missing_timezones()
        calendar.to_ical()
        best = min(best, time.perf_counter() - started)
    return best


def site_components_seconds(pks: list[int], *, repeat: int = 3) -> float:
    """Context, not a target: the site's own VEVENT builder (hubsite.ical.event_component, every
    field the feed shows: speakers, room, themes, links) on the same events already in memory, no
    cache, as bench/test_feeds_bench.py measures it. The gap to `icalendar_alone_seconds` is the cost
    of the richer VEVENT; the gap from here to the cold feed is the feed's own machinery."""
    from icalendar import Calendar

    from events.feeds import events_for_calendar
    from hubsite import ical

    loaded = events_for_calendar(pks)
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        calendar = Calendar()
        for event in loaded:
            calendar.add_component(ical.event_component(event))
        calendar.to_ical()
        best = min(best, time.perf_counter() - started)
    return best


def _feed_seconds(request_factory) -> tuple[float, int]:
    from events.views_feeds import events_calendar

    started = time.perf_counter()
    response = events_calendar(request_factory.get("/events/calendar.ics"))
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.status_code
    return elapsed, response.content.count(b"BEGIN:VEVENT")


def site_feed_seconds(pks: list[int]) -> tuple[float, float, int]:
    """(cold cache, after one event changed, VEVENTs in the feed) for the site's feed builder."""
    from django.core.cache import cache
    from django.test import RequestFactory

    from events import services
    from events.models import Event

    factory = RequestFactory()
    cold = []
    for _ in range(REPEAT):
        cache.clear()  # Redis database 8, the bench's own: every VEVENT is built again
        seconds, vevents = _feed_seconds(factory)
        cold.append(seconds)
    changed = []
    for n in range(REPEAT):
        _feed_seconds(factory)  # warm: every VEVENT cached
        event = Event.objects.get(pk=pks[(n + 1) * len(pks) // (REPEAT + 1)])
        services.event_update(event=event, title=f"{event.title[:180]} (bench change {n})")
        seconds, _ = _feed_seconds(factory)
        changed.append(seconds)
    return min(cold), min(changed), vevents


def main() -> None:
    django_step.setup()
    pks = feed_pks()
    rows = events_in_memory(pks)
    baseline = icalendar_alone_seconds(rows, repeat=REPEAT)
    components = site_components_seconds(pks, repeat=REPEAT)
    cold, after_change, vevents = site_feed_seconds(pks)
    django_step.emit(
        {
            "events": len(rows),
            "vevents": vevents,
            "icalendar_seconds": baseline,
            "site_components_seconds": components,
            "site_seconds": [cold, after_change],
        }
    )


if __name__ == "__main__":
    main()
