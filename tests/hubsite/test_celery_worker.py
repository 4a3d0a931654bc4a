"""A real `celery worker` process on the real Redis runs a task that writes to the database."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from hubsite.celery import app as celery_app
from hubsite.models import Heartbeat

BASE_DIR = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def test_worker_process_runs_a_task_end_to_end():
    queue = f"test-{uuid.uuid4().hex[:8]}"
    db = settings.DATABASES["default"]
    env = os.environ | {
        # The worker talks to the test database this test is using.
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{connection.settings_dict['NAME']}",
        "DJANGO_DEBUG": "true",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_QUEUE": queue,
    }
    command = [sys.executable, "-m", "celery", "-A", "hubsite", "worker", "-Q", queue, "-c", "1"]
    worker = subprocess.Popen(
        [*command, "--without-gossip", "--without-mingle", "--loglevel", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        celery_app.conf.task_always_eager = False
        celery_app.send_task("hubsite.heartbeat", kwargs={"name": queue}, queue=queue)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not Heartbeat.objects.filter(name=queue).exists():
            time.sleep(0.2)
        assert Heartbeat.objects.filter(name=queue).count() == 1
    finally:
        worker.terminate()
        output, _ = worker.communicate(timeout=30)
    assert worker.returncode in (0, -15), output.decode()
