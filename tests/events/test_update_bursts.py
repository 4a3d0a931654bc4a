"""One update per burst of saves, also in the embedded default (eager tasks, no beat, no Redis).

The update of a moved seminar is due EVENT_UPDATE_DELAY_SECONDS after the first change not yet told
(Event.update_notice_due_at); whatever runs the sending (a worker's countdown task, the beat's sweep
of due updates, or the embedded beat of `manage.py embedded_beat`) sends only once it is due.
"""

import datetime as dt

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import transaction

from events import services, tasks
from hubsite.embedded_beat import EmbeddedBeat
from hubsite.models import OutboxMessage
from tests.factories import EventFactory, RegistrationFactory, RoomFactory

pytestmark = pytest.mark.django_db

START = dt.datetime(2031, 7, 1, 5, 0, tzinfo=dt.UTC)
FIRST_SAVE = START - dt.timedelta(days=3)
DELAY = dt.timedelta(seconds=300)


@pytest.fixture
def commit_now(monkeypatch):
    monkeypatch.setattr(transaction, "on_commit", lambda callback, using=None, robust=False: callback())


@pytest.fixture
def seminar(settings):
    settings.EVENT_UPDATE_DELAY_SECONDS = 300
    event = EventFactory(title="Scaling laws", start=START, end=START + dt.timedelta(hours=1), sequence=1)
    RegistrationFactory(event=event, email="ann@example.org")
    RegistrationFactory(event=event, email="bo@example.org")
    return event


def updates():
    return sorted(OutboxMessage.objects.filter(kind="event_update").values_list("recipient", "revision"))


def move(event, hours: int):
    services.event_update(
        event=event, start=START + dt.timedelta(hours=hours), end=START + dt.timedelta(hours=hours + 1)
    )


def test_three_saves_with_eager_tasks_make_one_update_per_person_when_it_is_due(seminar, commit_now):
    """Celery is eager here, as in the embedded default: the task runs at each save, and sends nothing
    until the update is due; then one message per person, with the event as it is by then."""
    from hubsite.celery import app

    assert app.conf.task_always_eager is True  # tests/conftest.py: every test runs tasks eagerly
    for minute, hours in ((0, 1), (1, 2), (2, 3)):
        with time_machine.travel(FIRST_SAVE + dt.timedelta(minutes=minute), tick=False):
            move(seminar, hours)
    assert updates() == []
    with time_machine.travel(FIRST_SAVE + DELAY, tick=False):
        call_command("embedded_beat", "--once")
        call_command("embedded_beat", "--once")
    assert updates() == [("ann@example.org", 4), ("bo@example.org", 4)]
    body = OutboxMessage.objects.filter(kind="event_update").first().body_text
    assert "17:00" in body  # the last move: 3 hours later than 14:00 in Seoul


def test_the_due_time_is_the_first_unsent_change_plus_the_delay_and_a_new_burst_starts_after(
    seminar, commit_now
):
    with time_machine.travel(FIRST_SAVE, tick=False):
        move(seminar, 1)
    with time_machine.travel(FIRST_SAVE + dt.timedelta(minutes=4), tick=False):
        move(seminar, 2)
    seminar.refresh_from_db()
    assert seminar.update_notice_due_at == FIRST_SAVE + DELAY
    with time_machine.travel(FIRST_SAVE + DELAY - dt.timedelta(seconds=1), tick=False):
        assert tasks.send_event_update(seminar.pk) == 0  # a task that runs a moment early
    with time_machine.travel(FIRST_SAVE + DELAY, tick=False):
        assert tasks.send_due_event_updates() == 2
        assert tasks.send_due_event_updates() == 0
        assert tasks.send_event_update(seminar.pk) == 0
    seminar.refresh_from_db()
    assert (seminar.update_notice_due_at, seminar.update_notice_moved) == (None, False)
    later = FIRST_SAVE + dt.timedelta(hours=1)
    with time_machine.travel(later, tick=False):
        move(seminar, 4)
    seminar.refresh_from_db()
    assert seminar.update_notice_due_at == later + DELAY
    with time_machine.travel(later + DELAY, tick=False):
        assert tasks.send_due_event_updates() == 2
    assert updates() == [
        ("ann@example.org", 3),
        ("ann@example.org", 4),
        ("bo@example.org", 3),
        ("bo@example.org", 4),
    ]


def test_a_cancellation_overtakes_an_update_still_owed(seminar, commit_now):
    with time_machine.travel(FIRST_SAVE, tick=False):
        move(seminar, 1)
        services.event_cancel(event=seminar, reason="The speaker is ill.")
    seminar.refresh_from_db()
    assert seminar.update_notice_due_at is None
    with time_machine.travel(FIRST_SAVE + DELAY, tick=False):
        assert tasks.send_due_event_updates() == 0
    assert updates() == []


def test_a_save_that_does_not_move_the_event_owes_no_update(seminar, commit_now):
    services.event_update(event=seminar, title="New title", room=seminar.room)
    seminar.refresh_from_db()
    assert seminar.update_notice_due_at is None


def test_the_embedded_beat_runs_each_entry_at_start_then_every_interval():
    now = [1000.0]
    beat = EmbeddedBeat(
        {
            "updates": {"task": "events.send_due_event_updates", "schedule": 60.0},
            "reminders": {"task": "events.send_reminders", "schedule": dt.timedelta(minutes=5)},
        },
        clock=lambda: now[0],
    )
    runs = []
    for moment in (1000, 1030, 1060, 1300, 1301):
        now[0] = float(moment)
        runs.append((moment, beat.run_due()))
    assert runs == [
        (1000, ["updates", "reminders"]),
        (1030, []),
        (1060, ["updates"]),
        (1300, ["updates", "reminders"]),
        (1301, []),
    ]
    assert beat.seconds_to_next() == 59.0


def test_the_embedded_beat_goes_on_when_one_task_fails(monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("database is locked")

    monkeypatch.setattr(services, "event_reminders_send", broken)
    monkeypatch.setattr(tasks, "event_reminders_send", broken)
    beat = EmbeddedBeat(
        {
            "reminders": {"task": "events.send_reminders", "schedule": 300.0},
            "updates": {"task": "events.send_due_event_updates", "schedule": 60.0},
        }
    )
    assert beat.run_due() == ["reminders", "updates"]


def test_the_embedded_beat_refuses_schedules_it_cannot_keep():
    from celery.schedules import crontab

    with pytest.raises(ValueError, match="'nightly': the embedded beat runs only schedules in seconds"):
        EmbeddedBeat({"nightly": {"task": "hubsite.heartbeat", "schedule": crontab(hour=3)}})


def test_the_embedded_beat_is_for_eager_tasks_only():
    from hubsite.celery import app

    app.conf.task_always_eager = False  # tests/conftest.py puts it back after the test
    with pytest.raises(CommandError, match="not eager here"):
        call_command("embedded_beat", "--once")


def test_beat_sweeps_the_due_updates_every_minute(settings):
    from hubsite.celery import app

    assert settings.CELERY_BEAT_SCHEDULE["event-updates"] == {
        "task": "events.send_due_event_updates",
        "schedule": 60.0,
        "options": {"expires": 55},
    }
    assert "events.send_due_event_updates" in app.tasks


def test_the_whole_beat_schedule_runs_embedded(commit_now):
    """Every entry of the real schedule is a task the embedded beat can find and run."""
    from django.conf import settings

    beat = EmbeddedBeat(settings.CELERY_BEAT_SCHEDULE)
    assert beat.run_due() == list(settings.CELERY_BEAT_SCHEDULE)


def test_a_room_change_is_a_move_too(seminar, commit_now):
    with time_machine.travel(FIRST_SAVE, tick=False):
        services.event_update(event=seminar, room=RoomFactory())
    seminar.refresh_from_db()
    assert (seminar.update_notice_due_at, seminar.update_notice_moved) == (FIRST_SAVE + DELAY, True)
