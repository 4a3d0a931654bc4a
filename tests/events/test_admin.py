import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from events.models import Event
from events.services import event_publish
from tests.events.test_pages import make_events
from tests.factories import (
    DraftEventFactory,
    EventFactory,
    EventSpeakerFactory,
    RoomFactory,
    SeriesFactory,
    SeriesSubscriptionFactory,
    StaffFactory,
)
from tests.signin import force_login_with_mfa

pytestmark = pytest.mark.django_db
ADD_URL = "/admin/events/event/add/"
CHANGELIST = "/admin/events/event/"


@pytest.fixture
def staff_client(client):
    force_login_with_mfa(client, StaffFactory())
    return client


def form_data(**overrides):
    data = {
        "kind": "seminar",
        "title": "A talk",
        "slug": "",
        "abstract": "",
        "time_zone": "Europe/Paris",
        "start": "2031-07-01T16:00",
        "end": "2031-07-01T17:00",
        "format": "in_person",
        "room": "",
        "online_url": "",
        "capacity": "",
        "visibility": "public",
        "language": "en",
        "recording_url": "",
        "slides_url": "",
        "speaker_links-TOTAL_FORMS": "0",
        "speaker_links-INITIAL_FORMS": "0",
        "speaker_links-MIN_NUM_FORMS": "0",
        "speaker_links-MAX_NUM_FORMS": "1000",
        "registrations-TOTAL_FORMS": "0",
        "registrations-INITIAL_FORMS": "0",
        "registrations-MIN_NUM_FORMS": "0",
        "registrations-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def test_admin_add_stores_the_start_typed_in_the_event_zone(staff_client):
    response = staff_client.post(ADD_URL, form_data())
    assert response.status_code == 302
    event = Event.objects.get()
    assert event.start == dt.datetime(2031, 7, 1, 14, 0, tzinfo=dt.UTC)
    assert event.slug == "a-talk-2031-07-01"
    assert event.status == Event.Status.DRAFT


def test_admin_add_nonexistent_local_time_is_a_form_error(staff_client):
    response = staff_client.post(ADD_URL, form_data(start="2031-03-30T02:30", end="2031-03-30T04:00"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["start"] == [
        "Sun 30 Mar 2031, 02:30 does not exist in Europe/Paris: the clocks skip that hour when daylight "
        "saving time starts. Choose another time."
    ]
    assert Event.objects.count() == 0


def test_admin_add_unknown_zone_and_end_before_start_are_form_errors(staff_client):
    response = staff_client.post(ADD_URL, form_data(time_zone="Nowhere/City"))
    assert response.context["adminform"].form.errors["time_zone"] == [
        "“Nowhere/City” is not a known time zone; use an IANA name such as Asia/Seoul."
    ]
    response = staff_client.post(ADD_URL, form_data(end="2031-07-01T15:00"))
    assert response.context["adminform"].form.errors["end"] == ["The end must be after the start."]
    assert Event.objects.count() == 0


def test_admin_add_capacity_above_room_is_a_form_error(staff_client):
    room = RoomFactory(name="Tiny", capacity=10)
    response = staff_client.post(ADD_URL, form_data(room=room.pk, capacity="11"))
    assert response.context["adminform"].form.errors["capacity"] == [
        "Tiny seats 10; the event cannot offer 11 seats there."
    ]


def test_admin_change_into_clashing_room_is_refused_with_the_clash(staff_client):
    room = RoomFactory(name="Hall")
    EventFactory(
        title="Keynote",
        room=room,
        start=dt.datetime(2031, 7, 1, 14, tzinfo=dt.UTC),
        end=dt.datetime(2031, 7, 1, 15, tzinfo=dt.UTC),
    )
    event = EventFactory(
        time_zone="Europe/Paris",
        start=dt.datetime(2031, 7, 1, 14, tzinfo=dt.UTC),
        end=dt.datetime(2031, 7, 1, 15, tzinfo=dt.UTC),
    )
    response = staff_client.post(
        f"/admin/events/event/{event.pk}/change/", form_data(title=event.title, slug=event.slug, room=room.pk)
    )
    assert response.context["adminform"].form.errors["room"] == [
        "Hall is already booked for “Keynote”, Tue 1 Jul 2031, 23:00 – Wed 2 Jul 2031, 00:00 KST."
    ]
    event.refresh_from_db()
    assert event.room != room


def test_admin_change_published_time_raises_sequence(staff_client):
    event = EventFactory(
        time_zone="Europe/Paris",
        start=dt.datetime(2031, 7, 1, 14, tzinfo=dt.UTC),
        end=dt.datetime(2031, 7, 1, 15, tzinfo=dt.UTC),
    )
    response = staff_client.post(
        f"/admin/events/event/{event.pk}/change/",
        form_data(
            title=event.title,
            slug=event.slug,
            room=event.room.pk,
            start="2031-07-01T17:00",
            end="2031-07-01T18:00",
        ),
    )
    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.start, event.sequence) == (dt.datetime(2031, 7, 1, 15, tzinfo=dt.UTC), 1)


def test_admin_publish_action_publishes_complete_and_reports_incomplete(staff_client):
    ready = DraftEventFactory(speakers_tba=True)
    incomplete = DraftEventFactory(title="No speaker")
    response = staff_client.post(
        CHANGELIST, {"action": "publish_events", "_selected_action": [ready.pk, incomplete.pk]}, follow=True
    )
    texts = [str(m) for m in response.context["messages"]]
    assert texts == [
        "No speaker: Add a speaker, or tick “speakers to be announced”, before publishing.",
        "1 event published.",
    ]
    ready.refresh_from_db()
    incomplete.refresh_from_db()
    assert (ready.status, incomplete.status) == (Event.Status.PUBLISHED, Event.Status.DRAFT)


def test_admin_cancel_action_asks_for_a_reason_then_cancels(staff_client):
    event = EventFactory()
    response = staff_client.post(CHANGELIST, {"action": "cancel_events", "_selected_action": [event.pk]})
    assert response.status_code == 200
    assert b"Reason (shown to everyone)" in response.content
    staff_client.post(
        CHANGELIST,
        {"action": "cancel_events", "_selected_action": [event.pk], "apply": "1", "reason": "Storm"},
    )
    event.refresh_from_db()
    assert (event.status, event.cancellation_reason) == (Event.Status.CANCELLED, "Storm")
    # Still listed, marked cancelled.
    assert b"Cancelled" in staff_client.get(CHANGELIST).content


def test_admin_published_event_cannot_be_deleted_and_staff_are_told_to_cancel_it(staff_client):
    event = EventFactory(title="Scaling laws")
    for method in (staff_client.get, staff_client.post):
        response = method(f"/admin/events/event/{event.pk}/delete/", follow=True)
        assert response.redirect_chain == [(f"/admin/events/event/{event.pk}/change/", 302)]
        assert [str(m) for m in response.context["messages"]] == [
            "“Scaling laws” is published, so it cannot be deleted: cancel it instead."
        ]
    assert Event.objects.filter(pk=event.pk).exists()


def test_admin_cancelled_event_cannot_be_deleted_and_staff_are_told_why(staff_client):
    event = EventFactory(title="Robots", status=Event.Status.CANCELLED, cancellation_reason="Ill.")
    response = staff_client.post(f"/admin/events/event/{event.pk}/delete/", {"post": "yes"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "“Robots” is cancelled: it stays listed as cancelled and cannot be deleted."
    ]
    assert Event.objects.filter(pk=event.pk).exists()


def test_admin_draft_is_deleted_through_the_service_with_its_speakers(staff_client, monkeypatch):
    from events import services

    calls = []
    original = services.event_delete
    monkeypatch.setattr(services, "event_delete", lambda **kwargs: calls.append(kwargs) or original(**kwargs))
    monkeypatch.setattr("events.admin.event_delete", services.event_delete)
    draft = DraftEventFactory()
    EventSpeakerFactory(event=draft)
    assert staff_client.get(f"/admin/events/event/{draft.pk}/delete/").status_code == 200
    response = staff_client.post(f"/admin/events/event/{draft.pk}/delete/", {"post": "yes"})
    assert (response.status_code, [c["event"].pk for c in calls]) == (302, [draft.pk])
    assert not Event.objects.filter(pk=draft.pk).exists()


def test_admin_draft_published_after_the_delete_page_opened_is_not_deleted(staff_client):
    """The confirmation page was opened on a draft; someone published it before "Yes, I'm sure"."""
    draft = DraftEventFactory(title="Robots", speakers_tba=True)
    assert staff_client.get(f"/admin/events/event/{draft.pk}/delete/").status_code == 200
    event_publish(event=draft)
    response = staff_client.post(f"/admin/events/event/{draft.pk}/delete/", {"post": "yes"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "“Robots” is published, so it cannot be deleted: cancel it instead."
    ]
    assert Event.objects.filter(pk=draft.pk, status=Event.Status.PUBLISHED).exists()


def test_admin_the_service_refuses_a_draft_published_under_its_lock(monkeypatch):
    """The admin's own check passed a moment before the event was published: the service, which
    reads the event under its lock, refuses."""
    from events.services import event_delete

    event = EventFactory(title="Robots")
    stale = Event.objects.get(pk=event.pk)
    stale.status = Event.Status.DRAFT
    with pytest.raises(ValidationError) as refused:
        event_delete(event=stale)
    assert refused.value.messages == ["“Robots” is published, so it cannot be deleted: cancel it instead."]
    assert Event.objects.filter(pk=event.pk).exists()


def test_admin_series_subscriptions_are_unsubscribed_not_deleted(staff_client):
    active = SeriesSubscriptionFactory(email="reader@example.org")
    gone = SeriesSubscriptionFactory(unsubscribed_at=timezone.now())
    changelist = "/admin/events/seriessubscription/"
    response = staff_client.post(
        changelist, {"action": "unsubscribe", "_selected_action": [active.pk, gone.pk]}, follow=True
    )
    assert [str(m) for m in response.context["messages"]] == [
        "1 address unsubscribed: it gets no more announcements."
    ]
    active.refresh_from_db()
    assert active.unsubscribed_at is not None
    assert staff_client.post(f"{changelist}{active.pk}/delete/", {"post": "yes"}).status_code == 403


def test_admin_duplicate_action_makes_a_draft_a_week_later(staff_client):
    event = EventFactory()
    EventSpeakerFactory(event=event)
    staff_client.post(CHANGELIST, {"action": "duplicate_next_week", "_selected_action": [event.pk]})
    copy = Event.objects.exclude(pk=event.pk).get()
    assert (copy.start - event.start, copy.status) == (dt.timedelta(weeks=1), Event.Status.DRAFT)


def test_admin_generate_sessions_previews_then_creates(staff_client):
    series = SeriesFactory(default_weekday=1, default_start_time=dt.time(16))
    url = f"/admin/events/series/{series.pk}/generate/"
    data = {"first_date": "2027-09-07", "last_date": "2027-09-21", "every_weeks": "1"}
    preview = staff_client.post(url, {**data, "preview": "1"})
    assert [e.pk for e in preview.context["plan"].sessions] == [None, None]
    assert "The day preceding Chuseok" in preview.content.decode()
    assert Event.objects.count() == 0
    response = staff_client.post(url, {**data, "confirm": "1"})
    assert response.status_code == 302
    assert Event.objects.filter(series=series).count() == 2


def test_admin_index_shows_next_14_days_and_tba_drafts(staff_client):
    soon = timezone.now() + dt.timedelta(days=3)
    EventFactory(title="Published soon", start=soon, end=soon + dt.timedelta(hours=1))
    DraftEventFactory(
        title="Draft without speaker", start=soon, end=soon + dt.timedelta(hours=1), speakers_tba=True
    )
    response = staff_client.get("/admin/")
    html = response.content.decode()
    assert "Published soon" in html
    assert "Draft without speaker" in html


def test_admin_index_links_to_the_next_14_days_when_there_are_many(staff_client):
    from events.templatetags.events_admin import AGENDA_ROWS, events_admin_agenda

    make_events(AGENDA_ROWS + 1)
    agenda = events_admin_agenda()
    assert (len(agenda["next_14_days"]), agenda["more_in_14_days"]) == (AGENDA_ROWS, True)
    response = staff_client.get(CHANGELIST + "?" + agenda["changelist_query"])
    assert response.status_code == 200
    assert response.context["cl"].result_count == AGENDA_ROWS + 1


@pytest.mark.parametrize("count", [2, 500])
def test_admin_changelist_query_count_is_constant(staff_client, django_assert_num_queries, count):
    make_events(count)
    staff_client.get(CHANGELIST)  # warm the session and content types; the count includes the staff MFA check
    with django_assert_num_queries(10):
        assert staff_client.get(CHANGELIST).status_code == 200


def test_admin_save_refused_by_the_service_after_the_form_passed_is_reported(staff_client, monkeypatch):
    # What a lost race looks like: the form's early check saw a free room, the locked check does not.
    room = RoomFactory(name="Hall")
    EventFactory(
        title="Keynote",
        room=room,
        start=dt.datetime(2031, 7, 1, 14, tzinfo=dt.UTC),
        end=dt.datetime(2031, 7, 1, 15, tzinfo=dt.UTC),
    )
    monkeypatch.setattr("events.forms.event_check", lambda event: None)
    response = staff_client.post(ADD_URL, form_data(room=room.pk), follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "Hall is already booked for “Keynote”, Tue 1 Jul 2031, 23:00 – Wed 2 Jul 2031, 00:00 KST."
    ]
    assert Event.objects.count() == 1


def test_admin_search_finds_speaker_names(staff_client):
    event = EventFactory(title="Plain title")
    EventSpeakerFactory(event=event, researcher__name="Katherine Johnson")
    EventFactory(title="Other")
    response = staff_client.get(CHANGELIST, {"q": "Katherine"})
    assert [e.pk for e in response.context["cl"].result_list] == [event.pk]


def test_admin_changelist_shows_local_start_and_capacity(staff_client):
    EventFactory(
        time_zone="Europe/Paris",
        start=dt.datetime(2031, 7, 1, 14, tzinfo=dt.UTC),
        end=dt.datetime(2031, 7, 1, 15, tzinfo=dt.UTC),
        room__capacity=40,
        capacity=30,
    )
    html = staff_client.get(CHANGELIST).content.decode()
    assert "Tue 1 Jul 2031, 16:00 CEST" in html
    assert "0 / 30" in html


def test_admin_publish_from_the_event_page(staff_client):
    draft = DraftEventFactory(speakers_tba=True)
    url = f"/admin/events/event/{draft.pk}/change/"
    response = staff_client.post(
        url, {"CHANGE_FORM-action": "publish_events", "_selected_action": [draft.pk]}
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Event.Status.PUBLISHED


def test_admin_cancel_from_the_event_page_asks_reason_then_posts_to_the_list(staff_client):
    event = EventFactory()
    url = f"/admin/events/event/{event.pk}/change/"
    response = staff_client.post(url, {"CHANGE_FORM-action": "cancel_events", "_selected_action": [event.pk]})
    assert b'action="/admin/events/event/"' in response.content
    staff_client.post(
        CHANGELIST, {"action": "cancel_events", "_selected_action": [event.pk], "apply": "1", "reason": "Flu"}
    )
    event.refresh_from_db()
    assert event.cancellation_reason == "Flu"


def test_admin_cancel_without_reason_shows_the_message(staff_client):
    event = EventFactory()
    response = staff_client.post(
        CHANGELIST, {"action": "cancel_events", "_selected_action": [event.pk], "apply": "1", "reason": ""}
    )
    assert response.context["form"].errors == {
        "reason": ["Give a reason for the cancellation: attendees see it."]
    }
    event.refresh_from_db()
    assert event.status == Event.Status.PUBLISHED


def test_admin_series_page_links_to_session_generation(staff_client):
    series = SeriesFactory()
    html = staff_client.get(f"/admin/events/series/{series.pk}/change/").content.decode()
    assert f'href="/admin/events/series/{series.pk}/generate/"' in html


def test_admin_generate_sessions_with_last_before_first_is_a_form_error(staff_client):
    series = SeriesFactory()
    response = staff_client.post(
        f"/admin/events/series/{series.pk}/generate/",
        {"first_date": "2027-09-21", "last_date": "2027-09-07", "every_weeks": "1", "preview": "1"},
    )
    assert response.context["form"].errors == {
        "last_date": ["The last date must be on or after the first date."]
    }


def test_admin_room_capacity_below_an_upcoming_events_seats_is_refused(staff_client):
    room = RoomFactory(name="Hall", capacity=100)
    EventFactory(room=room, capacity=80)
    response = staff_client.post(
        f"/admin/events/room/{room.pk}/change/",
        {"name": "Hall", "location": "", "capacity": "60", "is_bookable": "on", "accessibility_notes": ""},
    )
    assert response.context["adminform"].form.errors == {
        "capacity": ["An upcoming event here offers 80 seats; lower its capacity first."]
    }
    room.refresh_from_db()
    assert room.capacity == 100


def test_admin_sets_the_registration_window_in_the_event_zone(staff_client):
    response = staff_client.post(
        ADD_URL,
        form_data(
            registration_opens="2031-06-01T09:00",
            registration_closes="2031-07-01T12:00",
            online_capacity="",
        ),
    )
    assert response.status_code == 302
    event = Event.objects.get(title="A talk")
    assert event.registration_opens == dt.datetime(2031, 6, 1, 7, tzinfo=dt.UTC)  # 09:00 CEST
    assert event.registration_closes == dt.datetime(2031, 7, 1, 10, tzinfo=dt.UTC)


def test_admin_refuses_a_registration_window_that_closes_before_it_opens(staff_client):
    response = staff_client.post(
        ADD_URL, form_data(registration_opens="2031-06-10T09:00", registration_closes="2031-06-01T09:00")
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["registration_closes"] == [
        "Registration must close after it opens."
    ]


def test_admin_refuses_registration_closing_after_the_event_ended(staff_client):
    response = staff_client.post(ADD_URL, form_data(registration_closes="2031-07-02T09:00"))
    assert response.context["adminform"].form.errors["registration_closes"] == [
        "Registration cannot close after the event has ended."
    ]
