"""`manage.py embedded_beat`: the beat schedule, run in this process, for the embedded default."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from hubsite.celery import app
from hubsite.embedded_beat import EmbeddedBeat


class Command(BaseCommand):
    help = (
        "Run the periodic tasks of CELERY_BEAT_SCHEDULE (outbox sweep, reminders, seminar updates, …) "
        "in this process. For the embedded default (eager tasks, no Redis); `make run` starts it. "
        "Production runs `celery -A hubsite beat` and a worker instead."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run every entry once, then stop.")

    def handle(self, *args, once: bool = False, **options):
        if not app.conf.task_always_eager:
            raise CommandError(
                "Celery tasks are not eager here (REDIS_URL is set): run `celery -A hubsite beat` "
                "and `celery -A hubsite worker` instead."
            )
        beat = EmbeddedBeat(settings.CELERY_BEAT_SCHEDULE)
        if once:
            ran = beat.run_due()
            self.stdout.write(f"Ran {', '.join(ran)}.")
            return
        self.stdout.write("Running the periodic tasks here (Ctrl+C stops).")
        try:
            while True:
                beat.run_due()
                time.sleep(max(1.0, beat.seconds_to_next()))
        except KeyboardInterrupt:
            pass
