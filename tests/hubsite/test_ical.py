import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import vobject
from icalendar import Calendar

from hubsite import ical
from tests.factories import EventFactory, EventSpeakerFactory, ResearcherFactory, RoomFactory, ThemeFactory

pytestmark = pytest.mark.django_db

NASTY = (
    "Line one\r\nSUMMARY:injected\rBEGIN:VEVENT\nEND:VCALENDAR; a, b \\ c\x00\x07\x0b\x1b\x7f\x85\u2028end"
)


def parse_both(data: bytes):
    """Parse with icalendar and with vobject, an independent parser; both must accept the bytes."""
    calendar = Calendar.from_ical(data)
    other = vobject.readOne(data.decode("utf-8"))
    return calendar, other


def test_clean_text_drops_control_characters_and_normalises_breaks():
    assert ical.clean_text("a\r\nb\rc\x00d\x1be\u2028f\x85g") == "a\nb\ncde\nf\ng"


def test_clean_text_single_line_joins_everything_with_spaces():
    assert ical.clean_text("  a\r\n\tb\u2029c  ", single_line=True) == "a b c"


def test_clean_text_keeps_paragraphs_but_not_runs_of_blank_lines():
    assert ical.clean_text("one\n\n\n\n two \n three") == "one\n\ntwo\nthree"


def test_prodid_is_stable_and_names_the_hub(settings):
    settings.HUB_NAME = "Seoul AI Research Hub"
    assert ical.prodid() == "-//Seoul AI Research Hub//Seminars//EN"


def test_new_calendar_has_the_subscription_properties():
    data = ical.new_calendar(name="Hub – Seminars").to_ical().decode()
    assert data.splitlines() == [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{ical.prodid()}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "NAME:Hub – Seminars",
        "X-WR-CALNAME:Hub – Seminars",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
        "END:VCALENDAR",
    ]


def test_vevent_text_from_people_cannot_inject_or_break_lines():
    theme = ThemeFactory(name="Robotics; control, \\ learning\r\nX-EVIL:1")
    researcher = ResearcherFactory(
        name="Ann\r\nATTENDEE:mailto:evil@example.org", institution__name="U; of, X"
    )
    stored = NASTY.replace("\x00", "")  # PostgreSQL refuses NUL in text; it is tested in memory below
    event = EventFactory(
        title=stored,
        abstract=stored + " " + "long-word-" * 200,
        room=RoomFactory(name="Room\nA", location="Floor 3;\r\nwest"),
    )
    event.themes.add(theme)
    EventSpeakerFactory(event=event, researcher=researcher)
    event.refresh_from_db()
    event.title = NASTY
    data = ical.calendar_bytes(
        name=NASTY,
        vevents=[ical.event_component(event).to_ical()],
        tzids=[event.time_zone],
        years=(2025, 2027),
    )
    for line in data.split(b"\r\n")[:-1]:
        assert len(line) <= 75
        assert not any(byte < 0x20 and byte != 0x09 for byte in line)
    calendar, other = parse_both(data)
    (vevent,) = calendar.events
    assert str(vevent["SUMMARY"]) == "Line one SUMMARY:injected BEGIN:VEVENT END:VCALENDAR; a, b \\ c end"
    assert str(other.vevent.summary.value) == str(vevent["SUMMARY"])
    assert vevent.categories == ["Robotics; control, \\ learning X-EVIL:1"]
    assert str(vevent["LOCATION"]) == "Room A, Floor 3; west"
    description = str(vevent["DESCRIPTION"])
    assert description.startswith("Speaker: Ann ATTENDEE:mailto:evil@example.org (U; of, X)\n\nLine one\n")
    assert "ATTENDEE" not in vevent
    assert "X-EVIL" not in vevent
    assert [component.name for component in calendar.subcomponents] == ["VTIMEZONE", "VEVENT"]
    assert (
        str(calendar["X-WR-CALNAME"]) == "Line one SUMMARY:injected BEGIN:VEVENT END:VCALENDAR; a, b \\ c end"
    )


def test_vevent_carries_every_property_with_the_events_time_zone(settings):
    settings.SITE_URL = "https://hub.example.org"
    zone = ZoneInfo("Europe/Berlin")
    event = EventFactory(
        title="Scaling",
        time_zone="Europe/Berlin",
        start=dt.datetime(2027, 3, 2, 16, 0, tzinfo=zone),
        end=dt.datetime(2027, 3, 2, 17, 30, tzinfo=zone),
        sequence=3,
    )
    event.themes.add(ThemeFactory(name="Scaling laws"))
    component = ical.event_component(event)
    assert str(component["UID"]) == f"{event.calendar_uid}@hub.example.org"
    assert component["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert component.to_ical().decode().count("DTSTART;TZID=Europe/Berlin:20270302T160000") == 1
    end = component.DTEND
    assert end == dt.datetime(2027, 3, 2, 17, 30, tzinfo=zone)
    assert component["SEQUENCE"] == 3
    assert str(component["STATUS"]) == "CONFIRMED"
    assert str(component["URL"]) == f"https://hub.example.org/events/{event.slug}/"
    assert component.categories == ["Scaling laws"]
    assert {"DTSTAMP", "LAST-MODIFIED", "SUMMARY", "DESCRIPTION", "LOCATION"} <= set(component)


def test_vevent_status_tentative_for_speakers_to_be_announced():
    event = EventFactory(speakers_tba=True)
    assert str(ical.event_component(event)["STATUS"]) == "TENTATIVE"
    assert "Speakers to be announced." in str(ical.event_component(event)["DESCRIPTION"])


def test_vevent_of_a_cancelled_event_says_so_everywhere():
    event = EventFactory(status="cancelled", cancellation_reason="Speaker ill")
    component = ical.event_component(event)
    assert str(component["STATUS"]) == "CANCELLED"
    assert str(component["SUMMARY"]) == f"Cancelled: {event.title}"
    assert str(component["DESCRIPTION"]).startswith("CANCELLED: Speaker ill\n\n")


def test_vtimezone_matches_every_tzid_used():
    seoul = EventFactory(time_zone="Asia/Seoul")
    berlin = EventFactory(time_zone="Europe/Berlin")
    data = ical.calendar_bytes(
        name="x",
        vevents=[ical.event_component(e).to_ical() for e in (seoul, berlin)],
        tzids=["Asia/Seoul", "Europe/Berlin"],
        years=ical.timezone_years([seoul.start]),
    )
    calendar, _ = parse_both(data)
    assert sorted(tz.tz_name for tz in calendar.timezones) == ["Asia/Seoul", "Europe/Berlin"]
    assert calendar.get_missing_tzids() == set()


def test_invitation_request_names_organizer_and_attendee(settings):
    settings.DEFAULT_FROM_EMAIL = "Seoul AI Research Hub <seminars@hub.example.org>"
    event = EventFactory(sequence=2)
    data = ical.invitation_bytes(
        event=event,
        attendee_email="min@example.org",
        attendee_name='Min, Jun; "Lee"',
        method="REQUEST",
        partstat="ACCEPTED",
    )
    calendar, other = parse_both(data)
    assert str(calendar["METHOD"]) == "REQUEST"
    (vevent,) = calendar.events
    assert str(vevent["ORGANIZER"]) == "mailto:seminars@hub.example.org"
    assert vevent["ORGANIZER"].params["CN"] == "Seoul AI Research Hub"
    assert str(vevent["ATTENDEE"]) == "mailto:min@example.org"
    assert vevent["ATTENDEE"].params["CN"] == 'Min, Jun; "Lee"'
    assert vevent["ATTENDEE"].params["PARTSTAT"] == "ACCEPTED"
    assert vevent["SEQUENCE"] == 2
    assert str(vevent["UID"]) == ical.event_uid(event)
    assert other.vevent.attendee.value == "mailto:min@example.org"
    assert "REFRESH-INTERVAL" not in calendar


def test_invitation_cancel_marks_the_event_cancelled():
    event = EventFactory()
    calendar, _ = parse_both(
        ical.invitation_bytes(event=event, attendee_email="a@example.org", attendee_name="A", method="CANCEL")
    )
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(calendar.events[0]["STATUS"]) == "CANCELLED"


def test_invitation_refuses_an_unknown_method():
    with pytest.raises(ValueError, match="Unsupported METHOD ADD"):
        ical.invitation_bytes(
            event=EventFactory(), attendee_email="a@example.org", attendee_name="A", method="ADD"
        )


def test_event_vevent_bytes_are_cached_per_sequence():
    event = EventFactory()
    first = ical.event_vevent_bytes(event)
    event.title = "Changed without saving"
    assert ical.event_vevent_bytes(event) == first
    event.sequence += 1
    assert b"Changed without saving" in ical.event_vevent_bytes(event)


def test_related_version_moves_when_a_speaker_changes():
    researcher = ResearcherFactory()
    before = ical.related_version()
    researcher.name = "New name"
    researcher.save()
    assert ical.related_version() > before


def test_markdown_plain_text_takes_the_markup_and_any_html_away():
    text = (
        '# Title\n\nSome **bold**, *it* and _u_, snake_case_name, 2*3*4, [link](https://x.org "t") '
        "![img](a.png) `code` <script>alert(1)</script><b>x</b> &amp; a < b\n> quote\n- item"
    )
    assert ical.markdown_plain_text(text) == (
        "Title\n\nSome bold, it and u, snake_case_name, 2*3*4, link (https://x.org) img code x & a < b\n"
        "quote\n- item"
    )
