import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from events.models import Event
from events.services import (
    event_cancel,
    event_create,
    event_duplicate_next_week,
    event_publish,
    event_update,
    local_to_aware,
    series_generate_sessions,
)
from tests.factories import (
    DraftEventFactory,
    EventFactory,
    EventSpeakerFactory,
    RoomFactory,
    SeriesFactory,
)

pytestmark = pytest.mark.django_db
SEOUL = ZoneInfo("Asia/Seoul")


def at(year, month, day, hour, minute=0, zone=SEOUL):
    return dt.datetime(year, month, day, hour, minute, tzinfo=zone)


def messages_of(excinfo) -> dict:
    return excinfo.value.message_dict


def test_event_create_overlapping_room_is_refused_naming_the_clash():
    room = RoomFactory(name="Seminar Room A")
    EventFactory(title="Scaling talk", room=room, start=at(2030, 3, 5, 16), end=at(2030, 3, 5, 17, 30))
    with pytest.raises(ValidationError) as excinfo:
        event_create(title="Other", room=room, start=at(2030, 3, 5, 17), end=at(2030, 3, 5, 18))
    assert messages_of(excinfo) == {
        "room": ["Seminar Room A is already booked for “Scaling talk”, Tue 5 Mar 2030, 16:00–17:30 KST."]
    }
    assert Event.objects.count() == 1


def test_event_create_back_to_back_in_one_room_is_allowed():
    room = RoomFactory()
    EventFactory(room=room, start=at(2030, 3, 5, 16), end=at(2030, 3, 5, 17))
    event = event_create(title="Next", room=room, start=at(2030, 3, 5, 17), end=at(2030, 3, 5, 18))
    assert event.pk is not None
    assert event.slug == "next-2030-03-05"


def test_event_create_cancelled_event_does_not_hold_the_room():
    room = RoomFactory()
    EventFactory(
        room=room,
        start=at(2030, 3, 5, 16),
        end=at(2030, 3, 5, 17),
        status=Event.Status.CANCELLED,
        cancellation_reason="Ill",
    )
    event = event_create(title="Instead", room=room, start=at(2030, 3, 5, 16), end=at(2030, 3, 5, 17))
    assert event.room == room


def test_event_create_end_before_start_is_refused():
    with pytest.raises(ValidationError) as excinfo:
        event_create(title="Backwards", start=at(2030, 3, 5, 16), end=at(2030, 3, 5, 15))
    assert messages_of(excinfo) == {"end": ["The end must be after the start."]}


def test_event_create_capacity_above_room_is_refused():
    room = RoomFactory(name="Small room", capacity=20)
    with pytest.raises(ValidationError) as excinfo:
        event_create(title="Big", room=room, capacity=30, start=at(2030, 3, 5, 16), end=at(2030, 3, 5, 17))
    assert messages_of(excinfo) == {
        "capacity": ["Small room seats 20; the event cannot offer 30 seats there."]
    }


def test_event_create_unknown_time_zone_is_refused():
    with pytest.raises(ValidationError) as excinfo:
        event_create(
            title="Where", time_zone="Mars/Olympus", start=at(2030, 3, 5, 16), end=at(2030, 3, 5, 17)
        )
    assert messages_of(excinfo) == {
        "time_zone": ["“Mars/Olympus” is not a known time zone; use an IANA name such as Asia/Seoul."]
    }


def test_event_create_link_that_is_not_http_is_refused():
    with pytest.raises(ValidationError) as excinfo:
        event_create(
            title="Odd link",
            format=Event.Format.ONLINE,
            online_url="ftp://example.org/talk",
            start=at(2030, 3, 5, 16),
            end=at(2030, 3, 5, 17),
        )
    assert messages_of(excinfo) == {
        "online_url": ["Enter a web address that starts with http:// or https://."]
    }


def test_event_create_markdown_with_script_or_handler_is_refused():
    for abstract in (
        "Hi <script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[x](javascript:alert(1))",
    ):
        with pytest.raises(ValidationError) as excinfo:
            event_create(title="Sneaky", abstract=abstract, start=at(2030, 3, 5, 16), end=at(2030, 3, 5, 17))
        assert messages_of(excinfo) == {
            "abstract": [
                "Scripts, event handlers (such as onclick=) and javascript: links are not allowed here; "
                "write plain Markdown."
            ]
        }


def test_event_create_slug_that_clashes_is_refused():
    EventFactory(slug="taken", start=at(2030, 3, 5, 10), end=at(2030, 3, 5, 11))
    with pytest.raises(ValidationError) as excinfo:
        event_create(title="Mine", slug="taken", start=at(2030, 3, 6, 16), end=at(2030, 3, 6, 17))
    assert messages_of(excinfo) == {
        "slug": ["Another event already uses this address (slug); choose another one."]
    }


def test_event_create_without_slug_gets_a_free_one():
    EventFactory(slug="talk-2030-03-05", start=at(2030, 3, 4, 10), end=at(2030, 3, 4, 11))
    event = event_create(title="Talk", start=at(2030, 3, 5, 16), end=at(2030, 3, 5, 17))
    assert event.slug == "talk-2030-03-05-2"


def test_local_to_aware_nonexistent_local_time_is_refused():
    with pytest.raises(ValidationError) as excinfo:
        local_to_aware(dt.datetime(2030, 3, 31, 2, 30), "Europe/Paris")
    assert messages_of(excinfo) == {
        "start": [
            "Sun 31 Mar 2030, 02:30 does not exist in Europe/Paris: the clocks skip that hour when daylight "
            "saving time starts. Choose another time."
        ]
    }


def test_local_to_aware_paris_time_is_stored_as_that_instant():
    aware = local_to_aware(dt.datetime(2030, 7, 1, 16, 0), "Europe/Paris")
    assert aware.astimezone(dt.UTC) == dt.datetime(2030, 7, 1, 14, 0, tzinfo=dt.UTC)


def test_event_publish_incomplete_draft_lists_what_is_missing():
    draft = DraftEventFactory(room=None, format=Event.Format.ONLINE, online_url="")
    with pytest.raises(ValidationError) as excinfo:
        event_publish(event=draft)
    assert messages_of(excinfo) == {
        "online_url": ["An online or hybrid event needs its online link before it is published."],
        "__all__": ["A published event needs a place: a room or an online link."],
        "speakers_tba": ["Add a speaker, or tick “speakers to be announced”, before publishing."],
    }
    draft.refresh_from_db()
    assert draft.status == Event.Status.DRAFT


def test_event_publish_with_tba_publishes_and_stamps_the_time():
    draft = DraftEventFactory(speakers_tba=True)
    event_publish(event=draft)
    assert draft.status == Event.Status.PUBLISHED
    assert draft.published_at is not None
    assert draft.sequence == 0


def test_event_publish_with_a_speaker_publishes():
    draft = DraftEventFactory()
    EventSpeakerFactory(event=draft)
    event_publish(event=draft)
    assert draft.status == Event.Status.PUBLISHED


def test_event_publish_twice_is_refused():
    event = EventFactory()
    with pytest.raises(ValidationError) as excinfo:
        event_publish(event=event)
    assert excinfo.value.messages == [f"“{event.title}” is published; only a draft can be published."]


def test_event_update_published_time_change_raises_sequence_and_reports_fields():
    event = EventFactory()
    changed = event_update(
        event=event, start=event.start + dt.timedelta(hours=1), end=event.end + dt.timedelta(hours=1)
    )
    assert changed == frozenset({"start", "end"})
    assert event.sequence == 1


def test_event_update_room_and_link_changes_raise_sequence_once():
    event = EventFactory(format=Event.Format.HYBRID, online_url="https://meet.example.org/a")
    changed = event_update(event=event, room=RoomFactory(), online_url="https://meet.example.org/b")
    assert changed == frozenset({"room", "online_url"})
    assert event.sequence == 1


def test_event_update_title_only_keeps_sequence():
    event = EventFactory()
    assert event_update(event=event, title="New title") == frozenset()
    assert event.sequence == 0
    assert event.title == "New title"


def test_event_update_draft_time_change_keeps_sequence():
    draft = DraftEventFactory()
    assert event_update(event=draft, end=draft.end + dt.timedelta(minutes=30)) == frozenset({"end"})
    assert draft.sequence == 0


def test_event_update_into_a_clashing_room_is_refused_and_nothing_changes():
    room = RoomFactory(name="Auditorium")
    EventFactory(title="Keynote", room=room, start=at(2030, 3, 5, 16), end=at(2030, 3, 5, 18))
    event = EventFactory(start=at(2030, 3, 5, 17), end=at(2030, 3, 5, 18))
    old_room = event.room
    with pytest.raises(ValidationError) as excinfo:
        event_update(event=event, room=room)
    assert messages_of(excinfo) == {
        "room": ["Auditorium is already booked for “Keynote”, Tue 5 Mar 2030, 16:00–18:00 KST."]
    }
    event.refresh_from_db()
    assert event.room == old_room
    assert event.sequence == 0


def test_event_update_status_is_not_an_update():
    with pytest.raises(TypeError):
        event_update(event=EventFactory(), status=Event.Status.DRAFT)


def test_event_cancel_keeps_the_event_with_reason_and_raises_sequence():
    event = EventFactory()
    event_cancel(event=event, reason="The speaker is ill.")
    assert Event.objects.filter(pk=event.pk).count() == 1
    assert (event.status, event.cancellation_reason, event.sequence) == (
        Event.Status.CANCELLED,
        "The speaker is ill.",
        1,
    )


def test_event_cancel_without_reason_is_refused():
    with pytest.raises(ValidationError) as excinfo:
        event_cancel(event=EventFactory(), reason="  ")
    assert messages_of(excinfo) == {
        "cancellation_reason": ["Give a reason for the cancellation: attendees see it."]
    }


def test_event_duplicate_next_week_keeps_local_time_across_dst_and_copies_speakers():
    event = EventFactory(
        time_zone="Europe/Paris",
        start=at(2030, 3, 26, 16, zone=ZoneInfo("Europe/Paris")),
        end=at(2030, 3, 26, 17, zone=ZoneInfo("Europe/Paris")),
        speakers_tba=False,
    )
    link = EventSpeakerFactory(event=event)
    copy = event_duplicate_next_week(event=event)
    assert copy.local_start.replace(tzinfo=None) == dt.datetime(2030, 4, 2, 16, 0)
    assert copy.end - copy.start == dt.timedelta(hours=1)
    assert copy.status == Event.Status.DRAFT
    assert [s.researcher for s in copy.speaker_links.all()] == [link.researcher]
    assert copy.calendar_uid != event.calendar_uid


def test_series_generate_sessions_skips_korean_holiday_and_clash_and_lists_them():
    room = RoomFactory(name="Seminar Room A")
    # Thursdays at 16:00 from 2026-09-03; 2026-09-24 is the day before Chuseok.
    series = SeriesFactory(
        default_weekday=3, default_start_time=dt.time(16), default_room=room, title="Robots"
    )
    EventFactory(title="Workshop", room=room, start=at(2026, 10, 1, 15), end=at(2026, 10, 1, 17))
    plan = series_generate_sessions(
        series=series, first_date=dt.date(2026, 9, 1), last_date=dt.date(2026, 11, 12)
    )
    assert [e.local_start.date() for e in plan.sessions] == [
        dt.date(2026, 9, 3), dt.date(2026, 9, 10), dt.date(2026, 9, 17), dt.date(2026, 10, 8),
        dt.date(2026, 10, 15), dt.date(2026, 10, 22), dt.date(2026, 10, 29), dt.date(2026, 11, 5),
        dt.date(2026, 11, 12),
    ]  # fmt: skip
    assert plan.skipped == [
        (dt.date(2026, 9, 24), "Korean public holiday: The day preceding Chuseok"),
        (
            dt.date(2026, 10, 1),
            "Seminar Room A is already booked for “Workshop”, Thu 1 Oct 2026, 15:00–17:00 KST.",
        ),
    ]
    assert Event.objects.filter(series=series, status=Event.Status.DRAFT, speakers_tba=True).count() == 9


def test_series_generate_sessions_dry_run_writes_nothing():
    series = SeriesFactory()
    plan = series_generate_sessions(
        series=series,
        first_date=dt.date(2030, 1, 7),
        last_date=dt.date(2030, 2, 4),
        every_weeks=2,
        dry_run=True,
    )
    assert [e.local_start.date() for e in plan.sessions] == [dt.date(2030, 1, 8), dt.date(2030, 1, 22)]
    assert Event.objects.count() == 0


def test_series_generate_sessions_run_twice_skips_what_exists():
    series = SeriesFactory()
    first = series_generate_sessions(
        series=series, first_date=dt.date(2030, 1, 7), last_date=dt.date(2030, 1, 20)
    )
    second = series_generate_sessions(
        series=series, first_date=dt.date(2030, 1, 7), last_date=dt.date(2030, 1, 20)
    )
    assert len(first.sessions) == 2
    assert second.sessions == []
    assert len(second.skipped) == 2


def test_series_generate_sessions_without_default_time_is_refused():
    series = SeriesFactory(default_weekday=None)
    with pytest.raises(ValidationError) as excinfo:
        series_generate_sessions(series=series, first_date=dt.date(2030, 1, 1), last_date=dt.date(2030, 2, 1))
    assert excinfo.value.messages == ["Set the series' default weekday and start time first."]


def test_staff_story_ten_weekly_sessions_publish_clash_cancel(client):
    room, other_room = RoomFactory(name="Room 1"), RoomFactory(name="Room 2")
    series = SeriesFactory(default_weekday=1, default_start_time=dt.time(16), default_room=room)
    # Tuesdays 2027-09-07 .. 2027-11-16: eleven, less the day before Chuseok (14 September).
    plan = series_generate_sessions(
        series=series, first_date=dt.date(2027, 9, 7), last_date=dt.date(2027, 11, 16)
    )
    assert len(plan.sessions) == 10
    assert plan.skipped == [(dt.date(2027, 9, 14), "Korean public holiday: The day preceding Chuseok")]
    for session in plan.sessions:
        event_publish(event=session)
    blocker = EventFactory(
        title="Board meeting", room=other_room, start=plan.sessions[3].start, end=plan.sessions[3].end
    )
    with pytest.raises(ValidationError) as excinfo:
        event_update(event=plan.sessions[3], room=other_room)
    assert "Board meeting" in excinfo.value.message_dict["room"][0]
    event_cancel(event=plan.sessions[4], reason="Room flooded")
    response = client.get("/events/", {"series": series.slug})
    listed = [e.pk for e in response.context["events"]]
    assert listed == [s.pk for s in plan.sessions]
    assert blocker.pk not in listed
    detail = client.get(plan.sessions[4].get_absolute_url()).content.decode()
    assert "This event is cancelled." in detail
    assert "Room flooded" in detail
