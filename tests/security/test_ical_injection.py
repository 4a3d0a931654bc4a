"""iCalendar injection: hostile text in any field stays one property value in the feed."""

import datetime as dt

import icalendar

from hubsite.text import strip_control_characters

from .ical_injection import ICAL_PAYLOADS, MARK, assert_calendar_is_clean, calendar_problems

START = dt.datetime(2026, 12, 1, 7, 0, tzinfo=dt.UTC)


def _calendar(events: list[icalendar.Event]) -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Seoul AI Research Hub//Seminars//EN")
    calendar.add("version", "2.0")
    for event in events:
        calendar.add_component(event)
    return calendar.to_ical()


def _event(uid: str, text: str, *, clean) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", START)
    event.add("dtstart", START)
    event.add("dtend", START + dt.timedelta(hours=1))
    for field in ("summary", "description", "location"):
        event.add(field, clean(text))
    return event


def test_text_through_the_library_types_with_control_characters_stripped_stays_one_value():
    """How every feed must build text: icalendar's own TEXT type, after strip_control_characters."""
    by_uid = {f"event-{n}@hub.example.org": text for n, text in enumerate(ICAL_PAYLOADS)}
    ics = _calendar([_event(uid, text, clean=strip_control_characters) for uid, text in by_uid.items()])
    texts = {uid: {"SUMMARY": text, "DESCRIPTION": text, "LOCATION": text} for uid, text in by_uid.items()}
    assert_calendar_is_clean(ics, expected_vevents=len(ICAL_PAYLOADS), texts=texts)


def test_the_library_alone_lets_control_characters_through():
    """Why feeds must strip control characters: icalendar escapes CR, LF, ; , and \\ but not those."""
    ics = _calendar([_event("control@hub.example.org", "bell\x07 escape\x1b", clean=str)])
    assert calendar_problems(ics, expected_vevents=1) == [
        "line 5: control character: b'SUMMARY:bell\\x07 escape\\x1b'",
        "line 10: control character: b'DESCRIPTION:bell\\x07 escape\\x1b'",
        "line 11: control character: b'LOCATION:bell\\x07 escape\\x1b'",
    ]


def test_the_check_finds_a_feed_built_by_string_concatenation():
    """The control: a naive feed lets the corpus in, and the check sees it."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//naive//EN"]
    for n, text in enumerate(ICAL_PAYLOADS[:9]):
        lines += ["BEGIN:VEVENT", f"UID:naive-{n}", "DTSTAMP:20261201T070000Z", f"SUMMARY:{text}"]
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    problems = calendar_problems(("\r\n".join(lines) + "\r\n").encode(), expected_vevents=9)
    assert f"injected property X-{MARK} in VEVENT" in problems
    assert f"injected UID {MARK}@evil.example" in problems
    assert "unexpected component VALARM" in problems
    assert "injected ATTENDEE in VEVENT" in problems
    assert "icalendar reads 11 VEVENTs, expected 9" in problems
    assert any(problem.endswith("bare CR or LF: b'SUMMARY:title\\nX-INJECTED7Q:1'") for problem in problems)
