"""`python -m bench.feed_build`: the feed-build figures (see bench/sections.py, bench_feed_build).

The baseline is ready: the icalendar library alone serialising the same events, already in
memory. What remains is timing the site's own feed builder (cold cache, then after one event
changed) once events/feeds.py exists; put that in `site_feed_seconds` and the section will
report both ratios.
"""

import time
import zoneinfo

from . import django_step


def events_in_memory() -> list[dict]:
    """The public events as plain values, loaded before any timing starts."""
    from events.models import Event

    return list(
        Event.objects.public().values(
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


def site_feed_seconds() -> tuple[float, float] | None:
    """(cold cache, after one event changed) for the site's feed builder; None until it exists."""
    return None


def main() -> None:
    django_step.setup()
    rows = events_in_memory()
    baseline = icalendar_alone_seconds(rows)
    site = site_feed_seconds()
    django_step.emit({"events": len(rows), "icalendar_seconds": baseline, "site_seconds": site})


if __name__ == "__main__":
    main()
