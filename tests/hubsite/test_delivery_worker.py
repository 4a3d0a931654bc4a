"""Real `celery worker` processes on the real Redis deliver the outbox to a real SMTP server on loopback."""

import collections
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F

from hubsite.celery import app as celery_app
from hubsite.models import OutboxMessage
from hubsite.services import outbox_sweep, outbox_write
from tests import smtp
from tests.factories import ThemeFactory

BASE_DIR = Path(__file__).resolve().parents[2]
Status = OutboxMessage.Status

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

smtp_server = smtp.smtp_server


def start_worker(smtp_server, *options) -> subprocess.Popen:
    db = settings.DATABASES["default"]
    env = os.environ | {
        # The worker talks to the test database this test is using, and to the loopback SMTP server.
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{connection.settings_dict['NAME']}",
        "DJANGO_DEBUG": "true",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EMAIL_URL": smtp_server.url,
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "hubsite",
        "worker",
        "-Q",
        settings.CELERY_TASK_DEFAULT_QUEUE,
    ]
    return subprocess.Popen(
        [*command, *options, "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def stop_worker(worker: subprocess.Popen) -> str:
    if worker.poll() is None:
        worker.terminate()
    output, _ = worker.communicate(timeout=30)
    return output.decode()


def wait_until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def unfinished() -> int:
    return OutboxMessage.objects.filter(status__in=[Status.QUEUED, Status.SENDING]).count()


@pytest.fixture
def broker():
    """Tasks go to Redis for real, on a queue emptied before and after."""
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    yield
    celery_app.control.purge()


def write_batch(count: int) -> list[str]:
    theme = ThemeFactory()
    recipients = [f"reader{n:03d}@example.org" for n in range(count)]
    with transaction.atomic():
        for recipient in recipients:
            outbox_write(kind="notice", about=theme, recipient=recipient, subject="News", body_text="Hello\n")
    return recipients


def test_a_worker_sends_a_batch_of_hundreds_over_few_connections(broker, smtp_server):
    worker = start_worker(smtp_server, "-c", "2")
    try:
        recipients = write_batch(300)  # committed: 3 batch tasks of OUTBOX_BATCH_SIZE (100)
        assert wait_until(lambda: unfinished() == 0, 45), f"{unfinished()} rows still unfinished"
    finally:
        output = stop_worker(worker)
    assert OutboxMessage.objects.filter(status=Status.SENT).count() == 300, output
    assert sorted(smtp_server.recipients()) == recipients
    assert smtp_server.connections == 3


def test_a_worker_killed_mid_batch_loses_nothing_and_resends_only_the_message_in_flight(broker, smtp_server):
    smtp_server.handler.hold_at = 40  # the 40th message is in flight: received, not yet answered
    worker = start_worker(smtp_server, "-P", "solo")
    try:
        recipients = write_batch(120)  # two batch tasks (100 + 20), taken one at a time
        assert smtp_server.handler.holding.wait(30), "the worker never reached the 40th message"
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        stop_worker(worker)
    smtp_server.handler.release.set()
    counts = collections.Counter(OutboxMessage.objects.values_list("status", flat=True))
    assert counts == {Status.SENT: 39, Status.SENDING: 1, Status.QUEUED: 80}
    in_flight = OutboxMessage.objects.get(status=Status.SENDING).recipient

    # Time passes (15 minutes for the row in "sending", a minute for the queued ones) ...
    OutboxMessage.objects.filter(status=Status.SENDING).update(
        claimed_at=F("claimed_at") - dt.timedelta(minutes=16)
    )
    OutboxMessage.objects.filter(status=Status.QUEUED).update(
        next_attempt_at=F("next_attempt_at") - dt.timedelta(minutes=2)
    )
    # ... beat runs the sweep, and a new worker starts.
    assert outbox_sweep().redispatched == 81
    worker = start_worker(smtp_server, "-P", "solo")
    try:
        assert wait_until(lambda: unfinished() == 0, 30), f"{unfinished()} rows still unfinished"
    finally:
        output = stop_worker(worker)
    assert OutboxMessage.objects.filter(status=Status.SENT).count() == 120, output
    received = collections.Counter(smtp_server.recipients())
    assert sorted(received) == recipients
    assert {r: n for r, n in received.items() if n > 1} == {in_flight: 2}
