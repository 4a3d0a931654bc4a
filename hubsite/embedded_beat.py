"""The periodic tasks of CELERY_BEAT_SCHEDULE for the embedded default, where there is no beat.

With no Redis, Celery runs tasks eagerly in the web process and nothing runs on a schedule: the
outbox sweep, reminders, the seats of expired holds and the updates of moved seminars (which are
due a few minutes after the first save, so that a burst of saves makes one message) would never
happen. `manage.py embedded_beat` (started by `make run` next to the web server) runs the same
schedule in its own process: each entry's task, eagerly, every `schedule` seconds. Production runs
`celery beat` and a worker instead; the tasks are the same and idempotent, so a run twice is harmless.
"""

import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from celery import current_app
from django.db import close_old_connections, connection

logger = logging.getLogger(__name__)


@dataclass
class Entry:
    name: str
    task: str
    every: float
    args: tuple = ()
    kwargs: Mapping | None = None
    next_run: float = 0.0


def entries_of(schedule: Mapping[str, Mapping]) -> list[Entry]:
    """The beat schedule's entries; every one must repeat after a number of seconds."""
    entries = []
    for name, spec in schedule.items():
        every = spec["schedule"]
        if isinstance(every, dt.timedelta):
            every = every.total_seconds()
        if not isinstance(every, int | float) or every <= 0:
            raise ValueError(f"Beat entry {name!r}: the embedded beat runs only schedules in seconds.")
        entries.append(
            Entry(
                name=name,
                task=spec["task"],
                every=float(every),
                args=tuple(spec.get("args", ())),
                kwargs=spec.get("kwargs"),
            )
        )
    return entries


class EmbeddedBeat:
    """Runs each entry at once when started (catching up on what became due while nothing ran),
    then every `every` seconds, one after the other in this process."""

    def __init__(self, schedule: Mapping[str, Mapping], *, clock: Callable[[], float] = time.monotonic):
        self.entries = entries_of(schedule)
        self.clock = clock
        # What a worker does when it starts: import every app's tasks module (autodiscovery).
        current_app.loader.import_default_modules()

    def run_due(self) -> list[str]:
        """Run the entries whose time has come; return their names."""
        ran = []
        for entry in self.entries:
            now = self.clock()
            if now < entry.next_run:
                continue
            entry.next_run = now + entry.every
            try:
                current_app.tasks[entry.task].apply(args=entry.args, kwargs=entry.kwargs or {}, throw=True)
            except Exception:
                # One failing entry (a database locked for a moment) must not stop the others.
                logger.exception("Embedded beat: %s (%s) failed", entry.name, entry.task)
            finally:
                # As a worker does between tasks (never inside a transaction: a test's).
                if not connection.in_atomic_block:
                    close_old_connections()
            ran.append(entry.name)
        return ran

    def seconds_to_next(self) -> float:
        return max(0.0, min(entry.next_run for entry in self.entries) - self.clock())
