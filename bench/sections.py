"""The figures of issue 8 whose code is still being built, one function each.

Each function gets the BenchContext and returns a list of Rows, or None while what it measures
does not exist yet (the report then says "not yet available"). Fill one in by replacing its body;
keep it bounded (a minute or two at most) and on loopback.
"""

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Row:
    figure: str
    value: str
    target: str = ""
    met: bool | None = None  # None: no target

    @property
    def verdict(self) -> str:
        return {True: "met", False: "**missed**", None: ""}[self.met]


def _module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def bench_feed_build(ctx) -> list[Row] | None:
    """Feed build for 2,000 events, cold cache and after one event changed, each as a ratio to the
    time icalendar alone takes to serialise the same 2,000 events built in memory.
    Targets: cold <= 1.5, after one change <= 0.2.

    bench/feed_build.py has the baseline (a: icalendar alone on the same events in memory); fill
    in its site_feed_seconds() with (b) the site's builder, cache cleared, and (c) the builder
    after saving one event. This section then reports b/a and c/a.
    """
    if not _module_exists("events.feeds"):
        return None
    result = ctx.django_step("bench.feed_build")
    if result["site_seconds"] is None:
        return None
    baseline = result["icalendar_seconds"]
    cold, after_change = result["site_seconds"]
    return [
        Row(f"icalendar alone, {result['events']} events", f"{baseline * 1000:.0f} ms"),
        Row(
            "site feed, cold cache",
            f"{cold / baseline:.2f} × ({cold * 1000:.0f} ms)",
            "≤ 1.5",
            cold / baseline <= 1.5,
        ),
        Row(
            "site feed, after one event changed",
            f"{after_change / baseline:.2f} × ({after_change * 1000:.0f} ms)",
            "≤ 0.2",
            after_change / baseline <= 0.2,
        ),
    ]


def bench_invitations(ctx) -> list[Row] | None:
    """2,000 invitations through two real Celery workers on Redis to a local SMTP server (aiosmtpd
    on loopback), as a ratio to a plain loop sending the same messages over one SMTP connection.
    Target >= 0.5.

    To fill in: start aiosmtpd on 127.0.0.1, time the plain loop (django.core.mail.get_connection
    with the SMTP backend, one open connection); then start `celery -A hubsite worker
    --concurrency 1` twice (ctx.env, queue CELERY_QUEUE), enqueue the 2,000 through the invitation
    service and time until the SMTP sink has them all. Stop the workers in a finally.
    """
    if not _module_exists("events.invitations") and not _module_exists("events.tasks"):
        return None
    return None


def bench_registrations(ctx) -> list[Row] | None:
    """100 concurrent HTTP registrations for 10 seats through gunicorn: confirmed count (must be
    10) and the time it took.

    To fill in: create an event with capacity 10 (a Django step), then 100 threads each GET the
    event page for the CSRF cookie and POST the guest registration form to ctx.base_url with the
    header X-Forwarded-Proto: https and Referer/Origin of ctx.base_url; count confirmed rows after.
    """
    return None


SECTIONS: list[tuple[str, Callable]] = [
    ("Feed build (2,000 events) vs icalendar alone", bench_feed_build),
    ("Invitations: 2 Celery workers vs one SMTP loop", bench_invitations),
    ("Registrations: 100 concurrent for 10 seats", bench_registrations),
]
