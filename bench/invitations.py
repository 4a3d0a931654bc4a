"""`python -m bench.invitations`: the figures of bench_invitations (see bench/sections.py).

1. An SMTP sink of its own (bench/smtp_sink.py, aiosmtpd on 127.0.0.1, a separate process) and
   two Celery workers (`celery -A hubsite worker --concurrency 1`, each a process of its own, on
   the bench's Redis and queue), all told to send to the sink through EMAIL_URL.
2. A published event and 2,000 invitations through events.services.event_invitations_send: the
   rows are rendered and written in one transaction and handed to Celery when it commits
   (hubsite.send_outbox_batch, OUTBOX_BATCH_SIZE rows a task, one SMTP connection each). Timed:
   the service call (rendering and writing) and, from its return, the delivery until the sink has
   all 2,000; then every address must have arrived exactly once and every row must say sent.
3. The baseline: the same 2,000 rendered messages (hubsite.mail.build_email of the rows, built
   before the clock starts) sent in a plain loop over one SMTP connection to the same sink.
Workers and sink are stopped in `finally`.
"""

import datetime as dt
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from . import django_step

MESSAGES = int(os.environ.get("BENCH_INVITATIONS", "2000"))
WORKERS = 2
ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
CELERY = str(ROOT / ".venv" / "bin" / "celery")
DEADLINE_SECONDS = 240


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def received_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def wait_for(path: Path, count: int, started: float, marker: bytes = b"") -> float:
    """Seconds from `started` until `path` holds `count` lines with `marker` (polled every 20 ms)."""
    while True:
        with path.open("rb") as file:
            lines = sum(1 for line in file if marker in line)
        if lines >= count:
            return time.perf_counter() - started
        if time.perf_counter() - started > DEADLINE_SECONDS:
            raise RuntimeError(f"only {lines} of {count} messages arrived in {DEADLINE_SECONDS} s")
        time.sleep(0.02)


class Worker:
    """One `celery worker` process; `ready` is set when it logs that it is ready."""

    def __init__(self, name: str, env: dict):
        queue = env.get("CELERY_QUEUE", "hub")
        self.process = subprocess.Popen(
            [
                CELERY, "-A", "hubsite", "worker", "--concurrency", "1", "--queues", queue,
                "--hostname", f"{name}@%h", "--without-gossip", "--without-mingle",
                "--without-heartbeat", "--loglevel", "INFO",
            ],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.ready = threading.Event()
        self.log: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.log.append(line)
            if " ready." in line:
                self.ready.set()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # warm shutdown
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def published_event():
    from django.utils import timezone

    from events import services
    from events.models import Event, Room

    stamp = timezone.now().strftime("%Y%m%d%H%M%S")
    room = Room.objects.create(name=f"Bench invitations {stamp}", capacity=200)
    start = (timezone.now() + dt.timedelta(days=40)).replace(microsecond=0)
    return services.event_create(
        title=f"Bench: an invitation to 2,000 people {stamp}",
        abstract="A seminar the bench invites 2,000 people to, with *Markdown* and a [link](https://example.org).",
        start=start,
        end=start + dt.timedelta(hours=1),
        time_zone="Asia/Seoul",
        room=room,
        format=Event.Format.IN_PERSON,
        speakers_tba=True,
        status=Event.Status.PUBLISHED,
    )


def run(sink_file: Path) -> dict:
    from django.conf import settings

    from events import services
    from hubsite.celery import app
    from hubsite.mail import build_email, outbox_mailer
    from hubsite.models import OutboxMessage

    event = published_event()
    marker = f"invitee-{event.pk}-"
    invitees = [
        services.Invitee(email=f"{marker}{n:04d}@example.org", name=f"Invitee {n}") for n in range(MESSAGES)
    ]
    expected = {invitee.email for invitee in invitees}
    # Tasks left in the bench's queue by the seeding (mail to demo people) would share the workers.
    purged = app.control.purge()

    workers = [Worker(f"bench-invitations-{n}", dict(os.environ)) for n in range(WORKERS)]
    try:
        for worker in workers:
            if not worker.ready.wait(timeout=90):
                raise RuntimeError("a Celery worker did not start:\n" + "".join(worker.log[-30:]))
        started = time.perf_counter()
        new = services.event_invitations_send(event=event, invitees=invitees)
        enqueued = time.perf_counter()
        assert new == MESSAGES, new
        delivered = wait_for(sink_file, MESSAGES, enqueued, f" {marker}".encode())
        time.sleep(1.0)  # anything sent twice would arrive now
    finally:
        for worker in workers:
            worker.stop()
    lines = received_lines(sink_file)
    recipients = Counter(line.split(" ", 1)[1] for line in lines if f" {marker}" in line)
    rows = OutboxMessage.objects.about(event).filter(kind=services.INVITATION_KIND)
    statuses = Counter(rows.values_list("status", flat=True))

    # The baseline: the same rendered messages over one connection, in a plain loop.
    messages = [build_email(message) for message in rows.order_by("pk")]
    sink_file.write_text("")
    mailer = outbox_mailer()
    loop_started = time.perf_counter()
    mailer.open()
    try:
        for message in messages:
            mailer.send_messages([message])
    finally:
        mailer.close()
    loop_sent = time.perf_counter() - loop_started
    loop_delivered = wait_for(sink_file, len(messages), loop_started)
    return {
        "messages": MESSAGES,
        "workers": WORKERS,
        "batch_size": settings.OUTBOX_BATCH_SIZE,
        "enqueue_seconds": enqueued - started,
        "celery_seconds": delivered,
        "loop_seconds": max(loop_sent, loop_delivered),
        "received": sum(recipients.values()),
        "other_mail": len(lines) - sum(recipients.values()),
        "purged_tasks": purged,
        "distinct_recipients": len(recipients),
        "twice": sum(1 for n in recipients.values() if n > 1),
        "all_expected": set(recipients) == expected,
        "rows": dict(statuses),
    }


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="hub-bench-smtp-") as folder:
        sink_file = Path(folder) / "received.txt"
        sink_file.write_text("")
        port = free_port()
        sink = subprocess.Popen(
            [PYTHON, "-m", "bench.smtp_sink", str(port), str(sink_file)],
            cwd=ROOT, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            if sink.stdout.readline().strip() != "READY":
                raise RuntimeError("the SMTP sink did not start")
            # This process and both workers send to the sink (read by the settings at start-up).
            os.environ["EMAIL_URL"] = f"smtp://127.0.0.1:{port}"
            django_step.setup()
            result = run(sink_file)
        finally:
            sink.terminate()
            try:
                sink.wait(timeout=10)
            except subprocess.TimeoutExpired:
                sink.kill()
    django_step.emit(result)


if __name__ == "__main__":
    sys.exit(main())
