"""The figures of issue 8 beyond the pages, one function each.

Each function gets the BenchContext and returns a list of Rows, or None while what it measures
does not exist (the report then says "not yet available"). Each is bounded (a minute or so) and
on loopback; the Django halves are the steps bench/feed_build.py, bench/invitations.py and
bench/registrations.py.
"""

import http.client
import http.cookies
import importlib.util
import re
import threading
import time
import urllib.parse
from collections import Counter
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

    bench/feed_build.py: (a) icalendar alone on the feed's events as plain values in memory, (b) the
    view of /events/calendar.ics with an empty cache, (c) the view after one event changed through
    event_update (its VEVENT rebuilt, the rest from the cache); best of 3 each. Reports b/a, c/a.
    """
    if not _module_exists("events.feeds"):
        return None
    result = ctx.django_step("bench.feed_build")
    if result["site_seconds"] is None:
        return None
    baseline = result["icalendar_seconds"]
    cold, after_change = result["site_seconds"]
    components = result["site_components_seconds"]
    return [
        Row(
            f"icalendar alone, the {result['events']} events of `/events/calendar.ics`, in memory",
            f"{baseline * 1000:.0f} ms",
        ),
        Row(
            "for context: the site's VEVENT builder on the same events in memory, no cache",
            f"{components / baseline:.2f} × ({components * 1000:.0f} ms)",
        ),
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

    bench/invitations.py: an aiosmtpd sink on 127.0.0.1 (a process of its own), two `celery -A
    hubsite worker --concurrency 1` processes on the bench's Redis and queue, the 2,000 enqueued
    through events.services.event_invitations_send and timed from its commit until the sink has
    them all (then each address exactly once, every row sent); the baseline sends the same
    rendered messages in a loop over one connection. Workers and sink are stopped in a finally.
    """
    if not _module_exists("hubsite.tasks") or not _module_exists("aiosmtpd"):
        return None
    r = ctx.django_step("bench.invitations")
    n = r["messages"]
    ratio = r["loop_seconds"] / r["celery_seconds"]
    end_to_end = r["loop_seconds"] / (r["enqueue_seconds"] + r["celery_seconds"])
    exactly_once = (
        r["received"] == n and r["distinct_recipients"] == n and r["twice"] == 0 and r["all_expected"]
    )
    return [
        Row(
            f"plain loop: {n} rendered messages over one SMTP connection",
            f"{r['loop_seconds']:.1f} s ({n / r['loop_seconds']:.0f}/s)",
        ),
        Row(
            f"Celery: {r['workers']} workers, {r['batch_size']} rows a task, commit to last arrival",
            f"{r['celery_seconds']:.1f} s ({n / r['celery_seconds']:.0f}/s)",
        ),
        Row("throughput ratio, Celery to the plain loop", f"{ratio:.2f}", "≥ 0.5", ratio >= 0.5),
        Row(
            "event_invitations_send: render and write the 2,000 rows (before the commit)",
            f"{r['enqueue_seconds']:.1f} s",
        ),
        Row("ratio with the rendering counted too", f"{end_to_end:.2f}"),
        Row(
            "arrived / distinct addresses / twice",
            f"{r['received']} / {r['distinct_recipients']} / {r['twice']}",
            f"{n} / {n} / 0",
            exactly_once,
        ),
        Row(
            "outbox rows",
            ", ".join(f"{count} {status}" for status, count in sorted(r["rows"].items())),
            f"{n} sent",
            r["rows"] == {"sent": n},
        ),
    ]


def bench_registrations(ctx) -> list[Row] | None:
    """100 concurrent HTTP registrations for 10 seats through gunicorn: confirmed count (must be
    10) and the time it took.

    Signed-in one-click registrations: each of 100 users (a session of their own, made by the
    Django step bench/registrations.py) GETs the register page for its CSRF token, then all 100
    threads are released together and POST the form. A signed-in registration takes its seat or
    its place on the waiting list inside the request, under the event's row lock, so the count of
    confirmed rows is exactly what the lock decided (a guest's seat would wait for the e-mail link,
    and guests from one address are rate-limited to 10 an hour).
    """
    if not _module_exists("events.views_registration"):
        return None
    setup = ctx.django_step("bench.registrations", "setup")
    slug, seats = setup["slug"], setup["seats"]
    path = f"/events/{slug}/register/"
    port = int(ctx.base_url.rsplit(":", 1)[1])
    barrier = threading.Barrier(len(setup["sessions"]) + 1)
    outcomes: list[tuple[int, str]] = []
    lock = threading.Lock()

    def one(session_key: str) -> None:
        cookies = {setup["session_cookie"]: session_key}
        status, token = 0, ""
        try:
            status, headers, body = _http(port, "GET", path, cookies)
            cookies.update(_set_cookies(headers))
            found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
            token = found.group(1).decode() if found else ""
        finally:
            barrier.wait(timeout=120)
        if status != 200 or not token:
            with lock:
                outcomes.append((status, "no form"))
            return
        form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "attendance": "in_person"})
        status, headers, _body = _http(
            port, "POST", path, cookies, body=form.encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": f"https://127.0.0.1:{port}",
                "Referer": f"https://127.0.0.1:{port}{path}",
            },
        )  # fmt: skip
        with lock:
            outcomes.append((status, headers.get("location", "")))

    threads = [threading.Thread(target=one, args=(key,)) for key in setup["sessions"]]
    for thread in threads:
        thread.start()
    barrier.wait(timeout=120)  # every thread has its form: go
    started = time.perf_counter()
    for thread in threads:
        thread.join(timeout=120)
    elapsed = time.perf_counter() - started
    counts = ctx.django_step("bench.registrations", "count", slug)
    statuses = counts["statuses"]
    redirected = sum(1 for status, _ in outcomes if status == 302)
    confirmed = statuses.get("confirmed", 0)
    waiting = statuses.get("waiting", 0)
    everyone = confirmed == seats and waiting == len(threads) - seats and counts["users_twice"] == 0
    return [
        Row("kind", "signed-in one-click (100 users, each a session of their own)"),
        Row(
            "POST answers",
            ", ".join(f"{n} × {code}" for code, n in sorted(Counter(s for s, _ in outcomes).items())),
            f"{len(threads)} × 302",
            redirected == len(threads),
        ),
        Row("confirmed", str(confirmed), f"= {seats}", confirmed == seats),
        Row(
            "on the waiting list / registered twice",
            f"{waiting} / {counts['users_twice']}",
            f"{len(threads) - seats} / 0",
            everyone,
        ),
        Row("time for the 100 POSTs (all released together)", f"{elapsed * 1000:.0f} ms"),
    ]


def _http(port: int, method: str, path: str, cookies: dict, *, body: bytes | None = None, headers=None):
    """One request to the loopback gunicorn, as behind the load balancer; (status, headers, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(
            method, path, body=body,
            headers={
                "X-Forwarded-Proto": "https",
                "Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items()),
                **(headers or {}),
            },
        )  # fmt: skip
        response = connection.getresponse()
        headers = {k.lower(): v for k, v in response.getheaders()}
        headers["set-cookie"] = response.headers.get_all("Set-Cookie") or []
        return response.status, headers, response.read()
    finally:
        connection.close()


def _set_cookies(headers: dict) -> dict:
    jar = http.cookies.SimpleCookie()
    for value in headers["set-cookie"]:
        jar.load(value)
    return {name: morsel.value for name, morsel in jar.items()}


SECTIONS: list[tuple[str, Callable]] = [
    ("Feed build (2,000 events) vs icalendar alone", bench_feed_build),
    ("Invitations: 2 Celery workers vs one SMTP loop", bench_invitations),
    ("Registrations: 100 concurrent for 10 seats", bench_registrations),
]
