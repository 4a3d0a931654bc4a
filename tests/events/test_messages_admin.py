"""Staff send invitations from the admin: pick audiences, see the count, confirm."""

import datetime as dt

import pytest
from django.db import transaction

from hubsite.models import OutboxMessage
from tests.factories import (
    DraftEventFactory,
    EventFactory,
    ResearcherFactory,
    SeriesFactory,
    SeriesSubscriptionFactory,
    StaffFactory,
    UserFactory,
)
from tests.signin import force_login_with_mfa

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/events/event/"
START = dt.datetime(2031, 7, 1, 5, 0, tzinfo=dt.UTC)


@pytest.fixture
def staff_client(client, monkeypatch):
    monkeypatch.setattr(transaction, "on_commit", lambda callback, using=None, robust=False: callback())
    force_login_with_mfa(client, StaffFactory(email="staff@example.org"))
    return client


@pytest.fixture
def event():
    series = SeriesFactory()
    return EventFactory(title="Scaling laws", series=series, start=START, end=START + dt.timedelta(hours=1))


def invite_url(event) -> str:
    return f"/admin/events/event/{event.pk}/invite/"


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_invite_action_opens_the_page_for_one_event(staff_client, event):
    response = staff_client.post(CHANGELIST, {"action": "invite_people", "_selected_action": [event.pk]})
    assert response.status_code == 302
    assert response["Location"] == invite_url(event)


def test_invite_action_wants_exactly_one_event(staff_client, event):
    other = EventFactory()
    response = staff_client.post(
        CHANGELIST, {"action": "invite_people", "_selected_action": [event.pk, other.pk]}, follow=True
    )
    assert messages_of(response) == ["Choose exactly one event to send invitations for."]


def test_invite_page_shows_each_audience_with_its_size(staff_client, event):
    SeriesSubscriptionFactory.create_batch(2, series=event.series)
    ResearcherFactory(user=UserFactory())
    response = staff_client.get(invite_url(event))
    assert response.status_code == 200
    counts = {value: count for value, _label, count in response.context["audience_counts"]}
    # The staff member has no researcher record, so is not among the researchers.
    assert counts == {"subscribers": 2, "researchers": 1, "visitors": 0, "partners": 0}


def test_invite_page_for_a_draft_sends_staff_back_with_the_reason(staff_client):
    draft = DraftEventFactory(title="Draft talk")
    response = staff_client.get(invite_url(draft), follow=True)
    assert messages_of(response) == [
        "Only a published event can be sent as an invitation; “Draft talk” is draft."
    ]


def test_invalid_pasted_addresses_are_listed_back(staff_client, event):
    response = staff_client.post(
        invite_url(event), {"addresses": "ok@example.org\nnot-an-address, also bad", "preview": "1"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "addresses": [
            "These are not valid e-mail addresses: not-an-address, also bad. Correct or remove them."
        ]
    }
    assert response.context["plan"] is None
    assert OutboxMessage.objects.count() == 0


def test_nothing_chosen_is_a_clear_error(staff_client, event):
    response = staff_client.post(invite_url(event), {"addresses": "", "preview": "1"})
    assert response.context["form"].non_field_errors() == [
        "Choose at least one audience or paste some addresses."
    ]


def test_preview_shows_the_deduplicated_count_and_sends_nothing(staff_client, event):
    SeriesSubscriptionFactory(series=event.series, email="ann@example.org")
    response = staff_client.post(
        invite_url(event),
        {"audiences": ["subscribers"], "addresses": "ANN@example.org, bo@example.org", "preview": "1"},
    )
    plan = response.context["plan"]
    assert [i.email for i in plan.invitees] == ["ann@example.org", "bo@example.org"]
    assert b"2 different addresses" in response.content
    assert b'value="Send 2 invitations"' in response.content
    assert OutboxMessage.objects.count() == 0


def test_confirm_sends_and_again_reaches_only_the_new_people(staff_client, event, mailoutbox):
    first = staff_client.post(
        invite_url(event), {"addresses": "ann@example.org", "confirm": "1"}, follow=True
    )
    assert messages_of(first) == [
        "1 invitation queued. 0 people had already been invited and got nothing more."
    ]
    second = staff_client.post(
        invite_url(event), {"addresses": "Ann@example.org\nbo@example.org", "confirm": "1"}, follow=True
    )
    assert messages_of(second) == [
        "1 invitation queued. 1 person had already been invited and got nothing more."
    ]
    assert sorted(
        OutboxMessage.objects.about(event).filter(kind="invitation").values_list("recipient", flat=True)
    ) == ["ann@example.org", "bo@example.org"]
    assert [m.to for m in mailoutbox] == [["ann@example.org"], ["bo@example.org"]]


@pytest.mark.parametrize("count", [1, 20])
def test_invite_page_query_count_is_constant(staff_client, event, django_assert_num_queries, count):
    SeriesSubscriptionFactory.create_batch(count, series=event.series)
    for _ in range(count):
        ResearcherFactory(user=UserFactory())
    staff_client.get(invite_url(event))  # warm the session and content types
    with django_assert_num_queries(7):
        assert staff_client.get(invite_url(event)).status_code == 200


@pytest.mark.parametrize("count", [1, 20])
def test_invite_preview_query_count_is_constant(staff_client, event, django_assert_num_queries, count):
    SeriesSubscriptionFactory.create_batch(count, series=event.series)
    for _ in range(count):
        ResearcherFactory(user=UserFactory())
    data = {"audiences": ["subscribers", "researchers", "visitors", "partners"], "preview": "1"}
    staff_client.post(invite_url(event), data)
    with django_assert_num_queries(13):
        response = staff_client.post(invite_url(event), data)
    assert len(response.context["plan"].invitees) == 2 * count


def test_invite_page_links_to_the_invitations_sent(staff_client, event):
    response = staff_client.get(invite_url(event))
    assert response.context["sent_url"] == (
        f"/admin/hubsite/outboxmessage/?about={_event_type(event)}%3A{event.pk}&kind__exact=invitation"
    )
    assert response.context["sent_url"].encode() in response.content.replace(b"&amp;", b"&")


def _event_type(event) -> int:
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(event).pk
