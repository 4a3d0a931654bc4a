import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from events.models import Event
from events.services import event_create, event_update
from tests.factories import EventFactory, RoomFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(*jobs):
    barrier = threading.Barrier(len(jobs))
    outcomes = []

    def run(job):
        try:
            barrier.wait()
            job()
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


def test_event_create_race_for_one_room_books_it_once():
    room = RoomFactory()
    start = dt.datetime(2031, 5, 1, 7, tzinfo=dt.UTC)

    def book(title):
        return lambda: event_create(title=title, room=room, start=start, end=start + dt.timedelta(hours=1))

    assert race(book("First"), book("Second")) == ["ok", "refused"]
    assert Event.objects.filter(room=room).count() == 1


def test_event_update_race_moving_two_events_into_one_room_moves_one():
    room = RoomFactory()
    start = dt.datetime(2031, 5, 1, 7, tzinfo=dt.UTC)
    first = EventFactory(start=start, end=start + dt.timedelta(hours=1))
    second = EventFactory(start=start, end=start + dt.timedelta(hours=1))
    assert race(
        lambda: event_update(event=first, room=room), lambda: event_update(event=second, room=room)
    ) == [
        "ok",
        "refused",
    ]
    assert Event.objects.filter(room=room).count() == 1
