import csv
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from events.models import Registration
from hubsite.models import OutboxMessage
from tests.factories import EventFactory, RegistrationFactory, StaffFactory
from tests.signin import force_login_with_mfa

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    force_login_with_mfa(client, StaffFactory())
    return client


def waiting(event, n):
    return RegistrationFactory(event=event, status="waiting", queued_at=timezone.now(), name=f"Waiting {n}")


def test_event_change_page_shows_registrations_inline_with_status_and_position(staff_client):
    event = EventFactory(capacity=1)
    RegistrationFactory(event=event, name="Seated Person")
    waiting(event, 1)
    waiting(event, 2)
    page = staff_client.get(reverse("admin:events_event_change", args=[event.pk])).content.decode()
    assert "Seated Person" in page
    assert "On the waiting list" in page
    positions = re.findall(r'class="field-position">\s*<p>([^<]*)</p>', page)
    assert positions == ["–", "1", "2"]


def test_event_changelist_shows_registration_counts(staff_client):
    event = EventFactory(capacity=1)
    RegistrationFactory(event=event)
    waiting(event, 1)
    waiting(event, 2)
    RegistrationFactory(event=event, status="cancelled")
    page = staff_client.get(reverse("admin:events_event_changelist")).content.decode()
    assert '<td class="field-registrations_capacity">1 / 1</td>' in page
    assert '<td class="field-waiting_list_count">2</td>' in page


@pytest.mark.parametrize("events", [1, 10])
def test_event_changelist_query_count_is_the_same_for_one_and_many(
    staff_client, django_assert_num_queries, events
):
    for _ in range(events):
        event = EventFactory()
        RegistrationFactory(event=event)
    staff_client.get(reverse("admin:events_event_changelist"))
    # the same count as tests/events/test_admin.py's changelist test, registrations or not
    with django_assert_num_queries(10):
        response = staff_client.get(reverse("admin:events_event_changelist"))
    assert response.status_code == 200


@pytest.mark.parametrize("rows", [1, 10])
def test_registration_changelist_query_count_is_the_same_for_one_and_many(
    staff_client, django_assert_num_queries, rows
):
    event = EventFactory(capacity=1)
    for n in range(rows):
        waiting(event, n)
    staff_client.get(reverse("admin:events_registration_changelist"))
    with django_assert_num_queries(7):  # including the staff MFA check
        response = staff_client.get(reverse("admin:events_registration_changelist"))
    assert response.status_code == 200


def test_check_in_action_marks_confirmed_people_and_explains_the_others(staff_client):
    event = EventFactory(capacity=1)
    seated = RegistrationFactory(event=event)
    in_line = waiting(event, 1)
    response = staff_client.post(
        reverse("admin:events_registration_changelist"),
        {"action": "check_in", "_selected_action": [seated.pk, in_line.pk]},
        follow=True,
    )
    seated.refresh_from_db()
    in_line.refresh_from_db()
    assert seated.checked_in_at is not None
    assert in_line.checked_in_at is None
    page = response.content.decode()
    assert "1 person checked in." in page
    assert "Only confirmed people can be checked in." in page


def test_promote_action_needs_a_free_seat(staff_client):
    event = EventFactory(capacity=1)
    RegistrationFactory(event=event)
    in_line = waiting(event, 1)
    url = reverse("admin:events_registration_changelist")
    response = staff_client.post(url, {"action": "promote", "_selected_action": [in_line.pk]}, follow=True)
    assert "There is no free seat: raise the capacity first." in response.content.decode()
    event.capacity = 2
    event.save()
    staff_client.post(url, {"action": "promote", "_selected_action": [in_line.pk]})
    in_line.refresh_from_db()
    assert in_line.status == Registration.Status.CONFIRMED


def test_fill_free_seats_action_on_events_promotes_in_order(staff_client):
    event = EventFactory(capacity=1)
    first = waiting(event, 1)
    second = waiting(event, 2)
    staff_client.post(
        reverse("admin:events_event_changelist"),
        {"action": "fill_free_seats", "_selected_action": [event.pk]},
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("confirmed", "waiting")


def test_csv_export_of_an_events_registrations(staff_client):
    event = EventFactory(capacity=1, slug="scaling-talk", title="Scaling talk")
    RegistrationFactory(event=event, name='=HYPERLINK("http://evil")', email="a@example.org")
    waiting(event, 1)
    RegistrationFactory(event=EventFactory(), name="Other event")
    response = staff_client.post(
        reverse("admin:events_event_changelist"),
        {"action": "export_registrations_csv", "_selected_action": [event.pk]},
    )
    assert response["Content-Disposition"] == 'attachment; filename="registrations-scaling-talk.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "event",
        "name",
        "e-mail",
        "attendance",
        "status",
        "waiting position",
        "registered at",
        "confirmed at",
        "checked in at",
    ]
    assert [row[1] for row in rows[1:]] == ['\'=HYPERLINK("http://evil")', "Waiting 1"]
    assert [row[4:6] for row in rows[1:]] == [["Confirmed", ""], ["On the waiting list", "1"]]


def test_registrations_cannot_be_added_by_hand_in_the_admin(staff_client):
    assert staff_client.get(reverse("admin:events_registration_add")).status_code == 403


def test_cancel_action_tells_each_person_and_promotes_the_waiting_list(staff_client):
    """Instead of "Delete selected", which freed the seat silently and left the waiting list waiting."""
    event = EventFactory(capacity=1)
    seated = RegistrationFactory(event=event, email="seated@example.org")
    in_line = waiting(event, 1)
    done = RegistrationFactory(event=event, status="cancelled", email="gone@example.org")
    response = staff_client.post(
        reverse("admin:events_registration_changelist"),
        {"action": "cancel_registrations", "_selected_action": [seated.pk, done.pk]},
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == [
        f"{done}: This registration is already cancelled.",
        "1 registration cancelled.",
        "1 person was promoted from the waiting list.",
    ]
    statuses = dict(Registration.objects.values_list("pk", "status"))
    assert (statuses[seated.pk], statuses[in_line.pk]) == ("cancelled", "confirmed")
    assert sorted(OutboxMessage.objects.values_list("kind", "recipient")) == [
        ("registration_cancelled", "seated@example.org"),
        ("registration_promoted", in_line.email),
    ]


def test_registrations_cannot_be_deleted_in_the_admin(staff_client):
    registration = RegistrationFactory()
    url = reverse("admin:events_registration_delete", args=[registration.pk])
    assert staff_client.post(url, {"post": "yes"}).status_code == 403
    assert Registration.objects.filter(pk=registration.pk).exists()
