"""The room rule in the database: on PostgreSQL an exclusion constraint refuses two room-holding
events in one room at overlapping times; the services' check (`_room_clash`) and the constraint
agree on what holds a room, and a write that reaches the constraint gets the services' message."""

import datetime as dt
import importlib
import itertools
import threading

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test import Client

from events import services
from events.models import Event
from tests.factories import EventFactory, RoomFactory, StaffFactory
from tests.signin import force_login_with_mfa

START = dt.datetime(2031, 5, 6, 7, 0, tzinfo=dt.UTC)  # 16:00 in Seoul
HOUR = dt.timedelta(hours=1)
STATUSES = [Event.Status.DRAFT, Event.Status.PUBLISHED, Event.Status.CANCELLED]


def insert_beneath_the_service(**fields):
    """An event row written straight to the table, as code that skips the services would."""
    reason = "Speaker ill." if fields.get("status") == Event.Status.CANCELLED else ""
    with transaction.atomic():
        return Event.objects.create(cancellation_reason=reason, **fields)


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize(("held", "new"), list(itertools.product(STATUSES, STATUSES)))
def test_room_rule_database_and_service_agree_for_every_pair_of_statuses(held, new):
    room = RoomFactory(name="Auditorium")
    EventFactory(room=room, start=START, end=START + HOUR, status=held, cancellation_reason="x")
    candidate = Event(room=room, start=START + HOUR / 2, end=START + 2 * HOUR, status=new)
    service_refuses = services._room_clash(candidate) is not None
    try:
        insert_beneath_the_service(
            title="Beneath", slug="beneath", room=room, start=candidate.start, end=candidate.end, status=new
        )
        database_refuses = False
    except IntegrityError as error:
        assert services._is_room_overlap(error)
        database_refuses = True
    both_hold_the_room = held != Event.Status.CANCELLED and new != Event.Status.CANCELLED
    assert (service_refuses, database_refuses) == (both_hold_the_room, both_hold_the_room)


@pytest.mark.postgres
@pytest.mark.django_db
def test_room_rule_database_refuses_an_overlap_written_beneath_the_service():
    room = RoomFactory(name="Auditorium")
    EventFactory(room=room, start=START, end=START + HOUR)
    with pytest.raises(IntegrityError) as refused:
        insert_beneath_the_service(
            title="Clash",
            slug="clash",
            room=room,
            start=START + dt.timedelta(minutes=59),
            end=START + HOUR * 2,
        )
    assert services._is_room_overlap(refused.value)
    # Back to back is not an overlap, another room is free, and an event without a room holds none.
    insert_beneath_the_service(title="Next", slug="next", room=room, start=START + HOUR, end=START + 2 * HOUR)
    insert_beneath_the_service(
        title="Elsewhere", slug="elsewhere", room=RoomFactory(), start=START, end=START + HOUR
    )
    insert_beneath_the_service(title="Online", slug="online", room=None, start=START, end=START + HOUR)
    insert_beneath_the_service(title="Online 2", slug="online-2", room=None, start=START, end=START + HOUR)
    assert Event.objects.filter(room=room).count() == 2


@pytest.mark.postgres
@pytest.mark.django_db
def test_room_rule_moving_an_event_onto_a_booking_beneath_the_service_is_refused():
    room = RoomFactory()
    EventFactory(room=room, start=START, end=START + HOUR)
    other = EventFactory(room=room, start=START + 3 * HOUR, end=START + 4 * HOUR)
    with pytest.raises(IntegrityError), transaction.atomic():
        Event.objects.filter(pk=other.pk).update(start=START, end=START + HOUR)


@pytest.mark.django_db
def test_room_rule_constraint_is_postgres_only_and_skipped_on_sqlite():
    constraint = next(c for c in Event._meta.constraints if c.name == services.ROOM_CONSTRAINT)
    sql = constraint.create_sql(Event, connection.SchemaEditorClass(connection, collect_sql=True))
    if connection.vendor == "postgresql":
        assert str(sql) == (
            'ALTER TABLE "events_event" ADD CONSTRAINT "event_room_no_overlap" EXCLUDE USING GIST '
            '((TSTZRANGE("start", "end", \'[)\')) WITH &&, "room_id" WITH =) '
            'WHERE (("room_id" IS NOT NULL AND NOT ("status" = \'cancelled\')))'
        )
    else:
        assert sql is None
    # The same condition decides what the services' check counts as holding a room.
    assert str(Event.objects.occupying_rooms().query.where) == str(
        Event.objects.filter(constraint.condition).query.where
    )


@pytest.mark.django_db
def test_room_rule_a_constraint_violation_reaching_the_service_answers_the_clear_message(monkeypatch):
    """As if the check under the lock had missed the clash: the database's refusal becomes the
    same message, naming the booking (on SQLite the lock makes this impossible, so it is staged)."""
    room = RoomFactory(name="Auditorium")
    booked = EventFactory(title="Scaling laws", room=room, start=START, end=START + HOUR)
    monkeypatch.setattr(services, "event_check", lambda event, **kwargs: None)
    if connection.vendor != "postgresql":
        original_save = Event.save

        def save_refused_by_the_database(self, *args, **kwargs):
            if self.pk is None and self.room_id == room.pk:
                raise IntegrityError(
                    f'conflicting key value violates exclusion constraint "{services.ROOM_CONSTRAINT}"'
                )
            return original_save(self, *args, **kwargs)

        monkeypatch.setattr(Event, "save", save_refused_by_the_database)
    with pytest.raises(ValidationError) as refused:
        services.event_create(title="Second", room=room, start=START + HOUR / 2, end=START + 2 * HOUR)
    assert refused.value.message_dict == {
        "room": [f"Auditorium is already booked for “Scaling laws”, {services.format_local_range(booked)}."]
    }
    assert list(Event.objects.values_list("title", flat=True)) == ["Scaling laws"]


# --- Real concurrent requests on PostgreSQL ------------------------------------------------------


def run_together(*jobs):
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def run(index, job):
        try:
            barrier.wait()
            results[index] = job()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def add_form(title, room):
    return {
        "kind": "seminar",
        "title": title,
        "slug": "",
        "abstract": "",
        "time_zone": "Asia/Seoul",
        "start": "2031-05-06T16:00",
        "end": "2031-05-06T17:00",
        "format": "in_person",
        "room": str(room.pk),
        "online_url": "",
        "capacity": "",
        "visibility": "public",
        "language": "en",
        "recording_url": "",
        "slides_url": "",
        **{
            f"{prefix}-{name}": value
            for prefix in ("speaker_links", "registrations")
            for name, value in (
                ("TOTAL_FORMS", "0"),
                ("INITIAL_FORMS", "0"),
                ("MIN_NUM_FORMS", "0"),
                ("MAX_NUM_FORMS", "1000"),
            )
        },
    }


def messages_after(client, response):
    followed = client.get(response["Location"])
    return [str(m) for m in followed.context["messages"]]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_room_rule_two_admin_adds_racing_past_the_check_get_one_booking_and_the_clear_message(monkeypatch):
    """The room lock is taken away and both requests pass the check before either saves: only the
    database stands between them. One is booked; the other answers the services' message, not a 500."""
    room = RoomFactory(name="Auditorium")
    staff = [StaffFactory(), StaffFactory()]
    clients = []
    for user in staff:
        client = Client()
        force_login_with_mfa(client, user)
        clients.append(client)
    both_checked = threading.Barrier(2)
    real_clash = services._room_clash
    checked = threading.local()

    def clash_then_wait(event):
        found = real_clash(event)
        if not getattr(checked, "done", False):  # the check in event_check; not the message lookup
            checked.done = True
            both_checked.wait(timeout=10)
        return found

    monkeypatch.setattr(services, "_lock_room", lambda room_id: None)
    monkeypatch.setattr(services, "_room_clash", clash_then_wait)
    responses = run_together(
        *(
            lambda c=c, t=t: c.post("/admin/events/event/add/", add_form(t, room))
            for c, t in zip(clients, ["First", "Second"], strict=True)
        )
    )
    assert [r.status_code for r in responses] == [302, 302]
    booked = Event.objects.get(room=room)
    loser = next(i for i, r in enumerate(responses) if r["Location"] == "/admin/events/event/add/")
    monkeypatch.setattr(services, "_room_clash", real_clash)
    assert messages_after(clients[loser], responses[loser]) == [
        f"Auditorium is already booked for “{booked.title}”, {services.format_local_range(booked)}."
    ]
    assert Event.objects.count() == 1


# --- The migration that adds the constraint --------------------------------------------------------


def release_rooms_of_clashing_drafts():
    migration = importlib.import_module("events.migrations.0004_event_room_no_overlap")
    migration.release_rooms_of_clashing_drafts(django_apps, None)


@pytest.fixture
def without_the_constraint(db):
    """The table as it was before the migration (PostgreSQL's DDL rolls back with the test)."""
    constraint = next(c for c in Event._meta.constraints if c.name == services.ROOM_CONSTRAINT)
    if connection.vendor == "postgresql":
        with connection.schema_editor() as editor:
            editor.remove_constraint(Event, constraint)
    yield constraint


def test_room_rule_migration_takes_the_room_from_clashing_drafts_only(without_the_constraint):
    room = RoomFactory()
    published = EventFactory(room=room, start=START, end=START + HOUR)
    draft_over_it = EventFactory(room=room, start=START, end=START + HOUR, status=Event.Status.DRAFT)
    first_draft = EventFactory(room=room, start=START + 5 * HOUR, end=START + 6 * HOUR, status="draft")
    later_draft = EventFactory(room=room, start=START + 5 * HOUR, end=START + 6 * HOUR, status="draft")
    cancelled = EventFactory(
        room=room, start=START, end=START + HOUR, status="cancelled", cancellation_reason="x"
    )
    elsewhere = EventFactory(start=START, end=START + HOUR)
    release_rooms_of_clashing_drafts()
    rooms = dict(Event.objects.values_list("pk", "room"))
    assert [
        rooms[e.pk] for e in (published, draft_over_it, first_draft, later_draft, cancelled, elsewhere)
    ] == [
        room.pk,
        None,
        room.pk,
        None,
        room.pk,
        elsewhere.room_id,
    ]
    if connection.vendor == "postgresql":  # the constraint can now be added
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the inserts' deferred foreign-key checks
        with connection.schema_editor() as editor:
            editor.add_constraint(Event, without_the_constraint)


def test_room_rule_migration_stops_and_names_published_events_that_overlap(without_the_constraint):
    room = RoomFactory(name="Auditorium")
    EventFactory(title="One", slug="one", room=room, start=START, end=START + HOUR)
    EventFactory(title="Two", slug="two", room=room, start=START + HOUR / 2, end=START + 2 * HOUR)
    with pytest.raises(RuntimeError) as stopped:
        release_rooms_of_clashing_drafts()
    assert str(stopped.value) == (
        "A room can hold one event at a time, and these published events overlap: move or cancel one of "
        "each pair in the admin, then migrate again.\n"
        "“Two” (two) and “One” (one) are both in Auditorium at overlapping times "
        "(2031-05-06T07:30:00+00:00 and 2031-05-06T07:00:00+00:00)"
    )
