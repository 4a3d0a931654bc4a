"""`make bench` (through bench/run.sh, which sets up the database, Redis and the environment).

Seeds the database, counts queries per page at 10 and at 2,000 events, starts gunicorn with the
production settings and 2 workers, loads each page with wrk on loopback, runs the pluggable
sections (bench/sections.py), then prints the table and writes it to bench/results/latest.md.
Every figure comes from this one run: the ratios are to /healthz/live measured alongside.
"""

import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .loadgen import LoadResult, wrk
from .pages import FLOOR, PAGES, Page
from .sections import SECTIONS

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "latest.md"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")

THROUGHPUT_SECONDS = int(os.environ.get("BENCH_SECONDS", "8"))
THROUGHPUT_CONNECTIONS = 16
LATENCY_SECONDS = int(os.environ.get("BENCH_LATENCY_SECONDS", "5"))
LATENCY_CONNECTIONS = 4  # "a moderate load": two requests waiting per worker
WARMUP_SECONDS = 1
EVENTS_SMALL, EVENTS_LARGE = 10, int(os.environ.get("BENCH_EVENTS", "2000"))
NOT_YET = "not yet available"


def log(message: str) -> None:
    print(f"== {message}", flush=True)


@dataclass
class BenchContext:
    """What a section of the bench gets: the running site and a way to run Django steps."""

    base_url: str
    env: dict = field(default_factory=lambda: dict(os.environ))
    notes: list[str] = field(default_factory=list)

    def manage(self, *args: str, timeout: int = 600) -> str:
        return subprocess.run(
            [PYTHON, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True,
            check=True, timeout=timeout,
        ).stdout  # fmt: skip

    def django_step(self, module: str, *args: str, timeout: int = 600):
        """Run `python -m <module> args` against the bench database; return what it emitted."""
        result = subprocess.run(
            [PYTHON, "-m", module, *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode:
            raise RuntimeError(f"{module} failed:\n{result.stderr[-3000:]}")
        line = next(line for line in result.stdout.splitlines() if line.startswith("BENCH_RESULT "))
        return json.loads(line.removeprefix("BENCH_RESULT "))


# --- the machine ------------------------------------------------------------------------------


def machine_info() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
    import django

    postgres = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip()
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": f"{model.group(1).strip() if model else platform.processor()} × {os.cpu_count()} cores",
        "load": Path("/proc/loadavg").read_text().split()[0],
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgres": postgres.removeprefix("psql (PostgreSQL) "),
        "wrk": (wrk_version.stdout + wrk_version.stderr).split()[1]
        if wrk_version.stdout + wrk_version.stderr
        else "?",
    }


# --- data and query counts -------------------------------------------------------------------


def seed_supports_events(ctx: BenchContext) -> bool:
    return "--events" in ctx.manage("seed_demo", "--help")


def seed(ctx: BenchContext, events: int, *, with_option: bool) -> str:
    if with_option:
        ctx.manage("seed_demo", "--events", str(events))
        return f"seed_demo --events {events}"
    ctx.manage("seed_demo")
    ctx.django_step("bench.data", "--events", str(events))
    return f"seed_demo, then bench/data.py up to {events} events (seed_demo has no --events yet)"


# --- the server --------------------------------------------------------------------------------


@contextmanager
def gunicorn(ctx: BenchContext, port: int):
    if status(ctx.base_url + FLOOR.path)[0]:
        raise RuntimeError(f"something already answers on {ctx.base_url}: choose another BENCH_PORT")
    command = [
        GUNICORN,
        "hubsite.wsgi",
        "--workers",
        "2",
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=ctx.env)
    try:
        deadline = time.monotonic() + 30
        while status(ctx.base_url + FLOOR.path)[0] != 200:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.3)
        if server.poll() is not None:
            raise RuntimeError("gunicorn exited: is the port taken?")
        yield server
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def status(url: str, headers: dict | None = None) -> tuple[int, dict]:
    assert url.startswith("http://127.0.0.1:")
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https", **(headers or {})})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback URL
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)
    except OSError:
        return 0, {}


# --- load --------------------------------------------------------------------------------------


@dataclass
class Measured:
    page: Page
    path: str
    label: str
    throughput: LoadResult | None = None
    latency: LoadResult | None = None
    target: float | None = None
    note: str = ""


def load(url: str, headers: list[str] = ()) -> tuple[LoadResult, LoadResult]:
    wrk(url, seconds=WARMUP_SECONDS, connections=THROUGHPUT_CONNECTIONS, headers=headers)
    throughput = wrk(url, seconds=THROUGHPUT_SECONDS, connections=THROUGHPUT_CONNECTIONS, headers=headers)
    latency = wrk(url, seconds=LATENCY_SECONDS, connections=LATENCY_CONNECTIONS, headers=headers)
    return throughput, latency


def measure_pages(ctx: BenchContext, slugs: dict) -> tuple[list[Measured], list[LoadResult]]:
    floors = []
    log(f"load: {FLOOR.path} (floor)")
    floor = Measured(FLOOR, FLOOR.path, FLOOR.name)
    floor.throughput, floor.latency = load(ctx.base_url + FLOOR.path)
    floors.append(floor.throughput)
    measured = [floor]
    for page in PAGES:
        path = page.path.format(**slugs)
        code, headers = status(ctx.base_url + path)
        row = Measured(page, path, page.name, target=page.target)
        measured.append(row)
        if code == 404:
            row.note = NOT_YET
            continue
        if code != 200:
            row.note = f"answers {code}; not measured"
            continue
        log(f"load: {path}")
        row.throughput, row.latency = load(ctx.base_url + path)
        if page.conditional_target is not None:
            etag = headers.get("ETag")
            conditional = Measured(
                page, path, f"{page.name}, If-None-Match (304)", target=page.conditional_target
            )
            measured.append(conditional)
            if not etag:
                conditional.note = "no ETag on the 200; not measured"
                continue
            if status(ctx.base_url + path, {"If-None-Match": etag})[0] != 304:
                conditional.note = "If-None-Match does not give 304; not measured"
                continue
            log(f"load: {path} with If-None-Match")
            conditional.throughput, conditional.latency = load(
                ctx.base_url + path, [f"If-None-Match: {etag}"]
            )
    # The floor again at the end: the ratios use the mean of both, and the spread shows the noise.
    log(f"load: {FLOOR.path} (floor, again)")
    again, _ = load(ctx.base_url + FLOOR.path)
    floors.append(again)
    return measured, floors


# --- the report --------------------------------------------------------------------------------


def fmt(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def render(machine, seeding, queries_small, queries_large, measured, floors, sections) -> str:
    floor_rps = sum(f.per_second for f in floors) / len(floors)
    spread = abs(floors[0].per_second - floors[1].per_second) / floor_rps * 100 if floor_rps else 0
    lines = [
        "# `make bench` results",
        "",
        f"- Date: {machine['date']}",
        f"- CPU: {machine['cpu']} (load average {machine['load']} at the start; the machine is shared)",
        f"- Python {machine['python']}, Django {machine['django']}, PostgreSQL {machine['postgres']}, "
        f"wrk {machine['wrk']}",
        "- Server: gunicorn, 2 sync workers, production settings (DEBUG off, whitenoise, Redis cache), "
        "plain HTTP on loopback with `X-Forwarded-Proto: https`",
        f"- Load: wrk on loopback, {THROUGHPUT_CONNECTIONS} connections × {THROUGHPUT_SECONDS} s "
        f"for requests/s; {LATENCY_CONNECTIONS} connections × {LATENCY_SECONDS} s for latency; "
        f"{WARMUP_SECONDS} s warm-up first",
        f"- Data: {seeding}",
        f"- Floor: `/healthz/live` measured before and after the pages: {fmt(floors[0].per_second)} and "
        f"{fmt(floors[1].per_second)} req/s (spread {spread:.0f} %); ratios use the mean, "
        f"{fmt(floor_rps)} req/s",
        "",
        "## Requests per second and latency",
        "",
        "| page | path | req/s | ratio to floor | target | p50 ms | p95 ms | errors |",
        "| --- | --- | ---: | ---: | --- | ---: | ---: | ---: |",
    ]
    for row in measured:
        if row.throughput is None:
            lines.append(f"| {row.label} | `{row.path}` | {row.note} | | {_target(row.target)} | | | |")
            continue
        ratio = row.throughput.per_second / floor_rps if floor_rps else 0
        verdict = "" if row.target is None else (" met" if ratio >= row.target else " **missed**")
        lines.append(
            f"| {row.label} | `{row.path}` | {fmt(row.throughput.per_second)} | {ratio:.2f} | "
            f"{_target(row.target)}{verdict} | {row.latency.p50_ms:.1f} | {row.latency.p95_ms:.1f} | "
            f"{row.throughput.errors + row.latency.errors} |"
        )
    small_n, large_n = queries_small["events"], queries_large["events"]
    lines += [
        "",
        f"## Queries per page (cold cache), at {small_n} and at {large_n} events",
        "",
        f"| page | path | queries at {small_n} | queries at {large_n} | equal |",
        "| --- | --- | ---: | ---: | --- |",
    ]
    for name, small in queries_small["pages"].items():
        large = queries_large["pages"].get(name, {**small, "queries": "?"})
        if small["status"] == 404 or large["status"] == 404:
            lines.append(f"| {name} | `{large['path']}` | {NOT_YET} | | |")
            continue
        equal = "yes" if small["queries"] == large["queries"] else "**no**"
        if "(304)" in name and 304 not in (small["status"], large["status"]):
            equal += f" (answered {small['status']} and {large['status']}, not 304)"
        lines.append(f"| {name} | `{large['path']}` | {small['queries']} | {large['queries']} | {equal} |")
    for title, rows in sections:
        lines += ["", f"## {title}", ""]
        if rows is None:
            lines.append(NOT_YET + ".")
            continue
        lines += ["| figure | value | target | |", "| --- | ---: | --- | --- |"]
        lines += [f"| {r.figure} | {r.value} | {r.target} | {r.verdict} |" for r in rows]
    lines += [
        "",
        "## What limits these figures",
        "",
        "- wrk, gunicorn, PostgreSQL and Redis share the same cores (and other work on the machine), so "
        "absolute requests/s are low and noisy; the ratios to the floor, taken in the same run, are the "
        "figures to compare between runs.",
        "- Two sync workers serve one request each at a time: a page's requests/s is bounded by its "
        "own time in Python (middleware, template rendering, ORM) and PostgreSQL.",
        "- The floor is answered by the first middleware (hubsite.health), before sessions, locale, "
        "CSRF and CSP: about a millisecond. A rendered page reaches 0.5 of it only when anonymous "
        "pages are served from a cache (per-view cache or conditional GETs).",
        "- The calendar feed is not behind the page cache: its 200 is the whole feed (every event of the "
        "90-day window, about a megabyte at 2,000 events) read from the cache under its ETag, and its "
        "304 computes the feed's state on every request (one aggregate query over the window's events "
        "and a Redis read) behind the whole middleware stack.",
        "- Registrations: with 2 sync workers at most two of the 100 POSTs wait on the event's row lock at "
        "once; the many-thread race is the PostgreSQL test of registration_create.",
        "",
    ]
    return "\n".join(lines)


def _target(target: float | None) -> str:
    return "" if target is None else f"≥ {target}"


def main() -> int:
    started = time.monotonic()
    port = int(os.environ["BENCH_PORT"])  # a free port chosen by bench/run.sh
    ctx = BenchContext(base_url=f"http://127.0.0.1:{port}")
    machine = machine_info()

    with_option = seed_supports_events(ctx)
    log(
        f"seed {EVENTS_SMALL} events ({'seed_demo --events' if with_option else 'seed_demo + bench/data.py'})"
    )
    seed(ctx, EVENTS_SMALL, with_option=with_option)
    queries_small = ctx.django_step("bench.queries")
    log(f"seed {EVENTS_LARGE} events")
    seeding = seed(ctx, EVENTS_LARGE, with_option=with_option)
    queries_large = ctx.django_step("bench.queries")

    log("gunicorn (2 workers, production settings)")
    with gunicorn(ctx, port):
        measured, floors = measure_pages(ctx, queries_large["slugs"])
        sections = []
        for title, function in SECTIONS:
            log(f"section: {title}")
            sections.append((title, function(ctx)))

    report = render(machine, seeding, queries_small, queries_large, measured, floors, sections)
    report += f"\nRun time: {time.monotonic() - started:.0f} s.\n"
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report)
    print("\n" + report)
    print(f"Written to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
