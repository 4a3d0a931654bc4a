"""No overbooking, ever: 100 people register at the same moment for 10 seats, five times in a row."""

import threading
import time
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.db import OperationalError, connection

from events import services
from events.models import Registration
from hubsite.models import OutboxMessage
from tests.factories import EventFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PEOPLE = 100
SEATS = 10
# The PostgreSQL server is shared (max_connections 100): like a web server's connection pool, at most
# this many of the 100 threads hold a connection at once; the rest queue for one, all still racing.
CONNECTIONS = 30
_pool = threading.BoundedSemaphore(CONNECTIONS)


def with_connection(work):
    """Run `work` on this thread's own connection, waiting for a free one if the server is full."""
    with _pool:
        try:
            for attempt in range(50):
                try:
                    connection.ensure_connection()
                    break
                except OperationalError:
                    connection.close()
                    time.sleep(0.05 * (attempt + 1))
            return work()
        finally:
            connection.close()


def race(event) -> list[Exception]:
    start = threading.Barrier(PEOPLE)
    errors: list[Exception] = []

    def register(n: int) -> None:
        try:
            start.wait()
            with_connection(
                lambda: services.registration_create(
                    event=event, email=f"person{n}@example.org", name=f"Person {n}", user=_users[n]
                )
            )
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=register, args=(n,)) for n in range(PEOPLE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


_users: dict = {}


def make_users(prefix: str, count: int) -> list:
    """Accounts without password hashing, which would dominate the run time."""
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"{prefix}{n}-{uuid.uuid4().hex[:8]}", email=f"{prefix}{n}@example.org")
        for n in range(count)
    )
    return users


@pytest.mark.parametrize("round_number", range(5))
def test_hundred_concurrent_registrations_for_ten_seats(round_number, settings):
    _users.clear()
    _users.update(dict(enumerate(make_users("person", PEOPLE))))
    event = EventFactory(capacity=SEATS)
    assert race(event) == []
    registrations = list(Registration.objects.filter(event=event).with_position().order_by("pk"))
    confirmed = [r for r in registrations if r.status == Registration.Status.CONFIRMED]
    waiting = [r for r in registrations if r.status == Registration.Status.WAITING]
    assert (len(confirmed), len(waiting), len(registrations)) == (SEATS, PEOPLE - SEATS, PEOPLE)
    # Arrival order: the order in which they got the event's lock, which is the order of their rows.
    assert max(r.pk for r in confirmed) < min(r.pk for r in waiting)
    by_queue = sorted(waiting, key=lambda r: (r.queued_at, r.pk))
    assert [r.pk for r in by_queue] == [r.pk for r in waiting]
    assert [r.position for r in waiting] == list(range(1, PEOPLE - SEATS + 1))


def test_concurrent_registrations_with_the_same_address_make_one(settings):
    event = EventFactory(capacity=SEATS)
    start = threading.Barrier(20)
    outcomes: list[str] = []

    def register() -> None:
        try:
            start.wait()
            with_connection(
                lambda: services.registration_create(event=event, email="same@example.org", name="S")
            )
            outcomes.append("ok")
        except services.RegistrationError as error:
            outcomes.append(error.code)

    threads = [threading.Thread(target=register) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Every guest gets the same answer; the address gets one message (the others come too soon).
    assert outcomes == ["ok"] * 20
    assert Registration.objects.filter(event=event).count() == 1
    assert list(
        OutboxMessage.objects.filter(recipient="same@example.org").values_list("kind", "revision")
    ) == [("registration_confirm_link", 0)]


def test_concurrent_cancellations_promote_each_waiting_person_once(settings):
    event = EventFactory(capacity=5)
    seated = [
        services.registration_create(event=event, email=user.email, name="S", user=user)
        for user in make_users("s", 5)
    ]
    waiting = [
        services.registration_create(event=event, email=user.email, name="W", user=user)
        for user in make_users("w", 8)
    ]
    start = threading.Barrier(len(seated))

    def cancel(registration) -> None:
        start.wait()
        with_connection(lambda: services.registration_cancel(registration=registration))

    threads = [threading.Thread(target=cancel, args=(r,)) for r in seated]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = [Registration.objects.get(pk=r.pk).status for r in waiting]
    assert statuses == ["confirmed"] * 5 + ["waiting"] * 3
