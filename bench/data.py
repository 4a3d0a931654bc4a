"""`python -m bench.data --events N`: make the bench database hold N public events.

Used only while `seed_demo` has no `--events` option (bench/main.py detects it): the events made
here are plain published seminars in the demo series, one speaker each, three hours apart, so the
pages have realistic rows to list.
"""

import argparse
import datetime as dt

from . import django_step


def top_up_events(total: int) -> int:
    from django.utils import timezone

    from events.models import Event, Series
    from events.services import events_bulk_create
    from researchers.models import Researcher

    existing = Event.objects.count()
    missing = max(0, total - existing)
    if not missing:
        return 0
    series = list(Series.objects.order_by("pk")) or [None]
    speakers = list(Researcher.objects.order_by("pk"))
    base = timezone.now().replace(minute=0, second=0, microsecond=0) + dt.timedelta(days=1)
    now = timezone.now()
    events = [
        Event(
            title=f"Bench seminar {existing + n}: scaling, data and robots",
            slug=f"bench-seminar-{existing + n}",
            abstract="A seminar made by `make bench`, with **Markdown** in its abstract.",
            start=base + dt.timedelta(hours=3 * n),
            end=base + dt.timedelta(hours=3 * n + 1),
            series=series[n % len(series)],
            status=Event.Status.PUBLISHED,
            published_at=now,
        )
        for n in range(missing)
    ]
    # Through the events service, like every write of events (no rooms here, so none is refused).
    events_bulk_create(
        events=events,
        speakers={e.slug: [speakers[n % len(speakers)]] for n, e in enumerate(events)} if speakers else {},
    )
    return missing


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, required=True)
    args = parser.parse_args()
    django_step.setup()
    from events.models import Event

    added = top_up_events(args.events)
    django_step.emit({"added": added, "events": Event.objects.count()})


if __name__ == "__main__":
    main()
