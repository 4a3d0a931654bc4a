"""A visitor's offered seminar is drafted by the events services on approval, under the room rule:
the series' room if it is free then, else a draft without a room and a warning to staff."""

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse

from events import services as event_services
from events.models import Event
from tests.factories import EventFactory, RoomFactory, SeriesFactory, StaffFactory, WorkspaceFactory
from tests.signin import force_login_with_mfa
from visits import services
from visits.models import Visit

from .conftest import days

SEOUL = ZoneInfo("Asia/Seoul")


@pytest.fixture
def auditorium(db):
    return RoomFactory(name="Auditorium", capacity=120)


@pytest.fixture
def visitor_series(auditorium):
    return SeriesFactory(
        slug="visitor-seminars", default_room=auditorium, default_weekday=None, default_start_time=dt.time(16)
    )


def slot(visit):
    """Where the draft goes: the stay's eighth day at 16:00 in Seoul, one hour."""
    start = dt.datetime.combine(visit.first_day + dt.timedelta(days=7), dt.time(16), tzinfo=SEOUL)
    return start, start + dt.timedelta(hours=1)


def offering(endorsed, today, title="Scaling in the wild"):
    return endorsed(offers_seminar=True, seminar_title=title, **days(today, 3, 20))


def approve_in_admin(client, visit):
    return client.post(
        reverse("admin:visits_visit_changelist"),
        {"action": "approve", "_selected_action": [visit.pk]},
        follow=True,
    )


def messages_in(response):
    return [str(m) for m in response.context["messages"]]


@pytest.mark.django_db
def test_seminar_draft_takes_the_series_room_when_it_is_free(
    visitor_series, auditorium, endorsed, staff, workspace, today
):
    visit = services.visit_approve(visit=offering(endorsed, today), by=staff)
    event = visit.seminar_event
    assert (event.room, event.status, (event.start, event.end)) == (
        auditorium,
        Event.Status.DRAFT,
        slot(visit),
    )
    assert list(event.speaker_links.values_list("researcher", "role")) == [(visit.researcher.pk, "speaker")]
    assert services.visit_seminar_warnings(event) == []


@pytest.mark.django_db
def test_seminar_draft_room_taken_is_a_draft_without_a_room_and_staff_are_told_why(
    visitor_series, auditorium, endorsed, workspace, today, admin_client
):
    visit = offering(endorsed, today)
    start, end = slot(visit)
    booked = EventFactory(
        title="Robotics colloquium", room=auditorium, start=start - dt.timedelta(minutes=30), end=end
    )
    response = approve_in_admin(admin_client, visit)
    visit.refresh_from_db()
    event = visit.seminar_event
    assert (visit.status, event.room, event.status) == (Visit.Status.APPROVED, None, Event.Status.DRAFT)
    assert Event.objects.filter(room=auditorium).count() == 1
    warning = (
        f"The seminar draft has no room: Auditorium is already booked for “Robotics colloquium”, "
        f"{event_services.format_local_range(booked)}. Choose a room or another time before publishing."
    )
    assert messages_in(response) == [f"{visit}: approved.", f"{visit}: {warning}"]
    assert services.visit_seminar_warnings(event) == [warning]


@pytest.mark.django_db
@pytest.mark.parametrize("holder", ["draft", "cancelled"])
def test_seminar_draft_a_draft_holds_the_room_and_a_cancelled_event_does_not(
    holder, visitor_series, auditorium, endorsed, staff, workspace, today
):
    visit = offering(endorsed, today)
    start, end = slot(visit)
    EventFactory(room=auditorium, start=start, end=end, status=holder, cancellation_reason="Ill.")
    visit = services.visit_approve(visit=visit, by=staff)
    assert visit.seminar_event.room == (None if holder == "draft" else auditorium)


@pytest.mark.django_db
def test_seminar_draft_an_unbookable_room_is_not_taken(
    visitor_series, auditorium, endorsed, staff, workspace, today
):
    auditorium.is_bookable = False
    auditorium.save()
    visit = services.visit_approve(visit=offering(endorsed, today), by=staff)
    assert visit.seminar_event.room is None


@pytest.mark.django_db
def test_seminar_draft_an_offer_the_events_rules_refuse_is_named_and_nothing_is_approved(
    visitor_series, endorsed, staff, workspace, today
):
    visit = endorsed(
        offers_seminar=True, seminar_title="T", seminar_abstract="<script>x</script>", **days(today, 3, 20)
    )
    with pytest.raises(ValidationError) as refused:
        services.visit_approve(visit=visit, by=staff)
    assert refused.value.messages == [
        "The offered seminar cannot be drafted: Scripts, event handlers (such as onclick=) and javascript: "
        "links are not allowed here; write plain Markdown."
    ]
    visit.refresh_from_db()
    assert (visit.status, visit.allocations.count(), Event.objects.count()) == (Visit.Status.ENDORSED, 0, 0)


@pytest.mark.django_db
def test_seminar_draft_series_is_made_once_when_missing(endorsed, staff, workspace, today):
    first = services.visit_approve(visit=offering(endorsed, today, "One"), by=staff)
    second = services.visit_approve(visit=offering(endorsed, today, "Two"), by=staff)
    assert first.seminar_event.series == second.seminar_event.series
    assert (first.seminar_event.series.slug, first.seminar_event.series.title) == (
        "visitor-seminars",
        "Visitor seminars",
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_seminar_draft_two_approvals_at_once_for_one_slot_book_the_room_once(
    visitor_series, auditorium, today
):
    """Two staff approve two stays that start the same day, at the same moment, in the admin."""
    WorkspaceFactory(desks=5)
    visits = [
        Visit.objects.get(pk=v.pk)
        for v in (
            _endorsed_offer(today, "First talk"),
            _endorsed_offer(today, "Second talk"),
        )
    ]
    clients = []
    for _ in visits:
        client = Client()
        force_login_with_mfa(client, StaffFactory())
        clients.append(client)
    barrier = threading.Barrier(2)
    responses = [None, None]

    def approve(index):
        try:
            barrier.wait()
            responses[index] = clients[index].post(
                reverse("admin:visits_visit_changelist"),
                {"action": "approve", "_selected_action": [visits[index].pk]},
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.status_code for r in responses] == [302, 302]
    drafts = Event.objects.filter(visit__in=visits).order_by("room")
    assert sorted(Visit.objects.filter(pk__in=[v.pk for v in visits]).values_list("status", flat=True)) == [
        "approved",
        "approved",
    ]
    assert [event.room for event in drafts] == [auditorium, None]
    assert Event.objects.filter(room=auditorium).count() == 1


def _endorsed_offer(today, title):
    from tests.factories import VisitFactory

    return VisitFactory(
        status=Visit.Status.ENDORSED, offers_seminar=True, seminar_title=title, **days(today, 3, 20)
    )
