"""An iCalendar injection corpus and a check that a feed carries none of it as structure.

Every text that reaches a feed or an .ics attachment (titles, abstracts, names, rooms, reasons)
must stay one property value: no new line, property, parameter or component may come out of it.
Use it on every feed and attachment:

    for payload in ICAL_PAYLOADS:
        EventFactory(title=payload, ...)
    problems = calendar_problems(client.get("/events/calendar.ics").content, expected_vevents=n)
    assert problems == []
"""

import re

import icalendar
import vobject

MARK = "INJECTED7Q"

ICAL_PAYLOADS: list[str] = [
    f"title\r\nX-{MARK}:1",
    f"title\nX-{MARK}:1",
    f"title\rX-{MARK}:1",
    f"title\r\n X-{MARK}:1",  # a folded continuation line
    f"title\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:{MARK}@evil.example\r\nSUMMARY:fake\r\nEND:VEVENT\r\nBEGIN:VEVENT",
    f"title\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:{MARK}\r\nTRIGGER:-PT5M\r\nEND:VALARM",
    f"mailto:someone@example.org\r\nATTENDEE;RSVP=TRUE:mailto:{MARK}@evil.example",
    f"title\r\nORGANIZER:mailto:{MARK}@evil.example",
    f"title;X-{MARK}=1:value",  # a parameter
    f'title;X-{MARK}="a:b";X=y',
    f"a,b,c;d:e {MARK}",  # TEXT separators
    f"back\\slash \\n \\, \\; {MARK}",  # escapes that must stay literal
    f"end with a backslash {MARK}\\",
    f"control\x00\x01\x07\x08\x0b\x0c\x1b\x7f characters {MARK}",
    f"unicode line breaks\u2028\u2029\u0085{MARK}",
    f"tab\tinside {MARK}",
    f"{MARK} " + "x" * 10_000,
    f"{MARK} " + "한" * 3_000,  # folding must not split a UTF-8 sequence
    f"{MARK} " + "😀" * 500,
    f"<script>alert('{MARK}')</script>",
]

_CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")


def clean_text(value: str) -> str:
    """What a payload must read as once it went through a feed: control characters dropped
    (RFC 5545 TEXT allows none but tab; CR and LF are escaped as \\n and read back as LF)."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", value)


def _physical_line_problems(ics: bytes) -> list[str]:
    problems = []
    if not ics.endswith(b"\r\n"):
        problems.append("does not end with CRLF")
    for number, line in enumerate(ics.split(b"\r\n")[:-1], start=1):
        if b"\r" in line or b"\n" in line:
            problems.append(f"line {number}: bare CR or LF: {line[:60]!r}")
        if len(line) > 75:
            problems.append(f"line {number}: {len(line)} octets (folding limit 75)")
        if _CONTROL.search(line):
            problems.append(f"line {number}: control character: {line[:60]!r}")
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            problems.append(f"line {number}: folded inside a UTF-8 sequence")
    return problems


def _names(component) -> list[str]:
    return [str(name).upper() for name in component]


def calendar_problems(
    ics: bytes, *, expected_vevents: int, texts: dict[str, dict[str, str]] | None = None
) -> list[str]:
    """Everything wrong with `ics` (empty when the feed is clean).

    expected_vevents: how many VEVENTs the feed must have (an injected one changes the count).
    texts: {uid: {"SUMMARY": original text, ...}}: each must read back as clean_text(original).
    """
    problems = _physical_line_problems(ics)

    try:
        calendar = icalendar.Calendar.from_ical(ics)
    except ValueError as error:
        return [*problems, f"icalendar cannot parse it: {error}"]
    events = [c for c in calendar.walk() if c.name == "VEVENT"]
    if len(events) != expected_vevents:
        problems.append(f"icalendar reads {len(events)} VEVENTs, expected {expected_vevents}")
    for component in calendar.walk():
        if component.name not in {"VCALENDAR", "VEVENT", "VTIMEZONE", "STANDARD", "DAYLIGHT"}:
            problems.append(f"unexpected component {component.name}")
        for name in _names(component):
            if MARK in name:
                problems.append(f"injected property {name} in {component.name}")
        for name, value in component.property_items(recursive=False):
            params = getattr(value, "params", {}) or {}
            if any(MARK in str(key).upper() for key in params):
                problems.append(f"injected parameter on {name}: {dict(params)}")
        uid = str(component.get("UID", ""))
        if MARK in uid:
            problems.append(f"injected UID {uid}")
        for prop in ("ATTENDEE", "ORGANIZER"):
            if MARK in str(component.get(prop, "")):
                problems.append(f"injected {prop} in {component.name}")
    for uid, fields in (texts or {}).items():
        matching = [e for e in events if str(e.get("UID")) == uid]
        if len(matching) != 1:
            problems.append(f"UID {uid}: {len(matching)} VEVENTs")
            continue
        for field, original in fields.items():
            got, wanted = str(matching[0].get(field, "")), clean_text(original)
            if got != wanted:
                problems.append(f"UID {uid} {field} reads back as {got[:60]!r}, not {wanted[:60]!r}")

    try:
        parsed = list(vobject.readComponents(ics.decode("utf-8")))
    except Exception as error:  # noqa: BLE001 - any parse failure is a finding
        return [*problems, f"vobject cannot parse it: {error.__class__.__name__}: {error}"]
    if len(parsed) != 1:
        problems.append(f"vobject reads {len(parsed)} top-level components, expected 1")
    vevents = [c for top in parsed for c in top.getChildren() if c.name == "VEVENT"]
    if len(vevents) != expected_vevents:
        problems.append(f"vobject reads {len(vevents)} VEVENTs, expected {expected_vevents}")
    for event in vevents:
        for child in event.getChildren():
            if MARK in child.name.upper():
                problems.append(f"vobject sees injected {child.name}")
            if child.name.upper() == "VALARM":
                problems.append("vobject sees an injected VALARM")
    return problems


def assert_calendar_is_clean(ics: bytes, **kwargs) -> None:
    problems = calendar_problems(ics, **kwargs)
    assert problems == [], "iCalendar injection:\n" + "\n".join(problems)
