"""The pages `make bench` measures. One line a page; {event} and {series} are filled with slugs
from the bench database (see bench/queries.py). A page answering 404 is reported as not yet
available."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    # The ratio to /healthz/live the issue sets as a target (None: no target, reported only).
    target: float | None = 0.5
    # Also measure the conditional GET (If-None-Match -> 304), with this target.
    conditional_target: float | None = None


FLOOR = Page("health (floor)", "/healthz/live", target=None)

PAGES = [
    Page("home", "/"),
    Page("events list", "/events/"),
    Page("event page", "/events/{event}/"),
    Page("series page", "/series/{series}/"),
    Page("calendar feed", "/events/calendar.ics", conditional_target=0.8),
    Page("series list", "/series/"),
    Page("partners", "/partners/"),
    Page("researchers", "/researchers/"),
    Page("projects", "/projects/"),
]


def slugs_from_database() -> dict[str, str]:
    """Slugs of a real public event and series (needs Django set up)."""
    from events.models import Event, Series

    event = Event.objects.public().upcoming().first() or Event.objects.public().first()
    series = Series.objects.public().order_by("pk").first()
    return {"event": event.slug if event else "no-event", "series": series.slug if series else "no-series"}
