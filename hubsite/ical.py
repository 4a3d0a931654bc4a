"""iCalendar building blocks every app uses (icalendar 7).

- `calendar_bytes(...)`: a whole calendar from VEVENT bytes, with a stable PRODID, NAME and
  X-WR-CALNAME, REFRESH-INTERVAL, X-PUBLISHED-TTL and the VTIMEZONE of every TZID used.
- `event_component(...)`: the VEVENT of a seminar (UID minted once, SEQUENCE, STATUS, times with
  the event's TZID), `event_vevent_bytes(...)` the same serialised and cached in one entry
  per UID, stamped with (SEQUENCE, last change, related version), so a feed rebuilds only the
  events that changed and the cache holds one VEVENT per event, never one per version.
- `invitation_bytes(...)`: METHOD:REQUEST / METHOD:CANCEL with ORGANIZER and ATTENDEE, for mail.

Text from people goes through `clean_text` (control characters dropped, line breaks normalised)
and then icalendar's own vText escaping, never string concatenation, so a title or abstract can
neither inject a property nor break a line.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import re
import time
from collections.abc import Iterable, Sequence
from email.utils import parseaddr
from functools import lru_cache
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import nh3
from django.conf import settings
from django.core.cache import cache
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from icalendar import Calendar, Timezone, vCalAddress, vDuration
from icalendar import Event as VEvent

from hubsite.text import strip_control_characters

PRODUCT = "Seminars"
REFRESH_INTERVAL = dt.timedelta(hours=1)
VEVENT_CACHE_SECONDS = 60 * 60 * 24 * 30
RELATED_VERSION_KEY = "ical:related-version"

# C0 controls except TAB and the line breaks we normalise below, DEL, C1 controls.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x80-\x84\x86-\x9f]")
# Everything a reader might treat as a line break becomes "\n", which vText escapes as \n.
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\x85\u2028\u2029\x0b\x0c]")
_SPACES = re.compile(r"[ \t]*\n[ \t\n]*")


def prodid() -> str:
    """Stable product identifier: it names the hub, never a version or a time."""
    return f"-//{settings.HUB_NAME}//{PRODUCT}//EN"


def site_host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def event_uid(event) -> str:
    """`<calendar_uid>@<site host>`: the UUID is minted once when the event is created."""
    return f"{event.calendar_uid}@{site_host()}"


def event_page_url(event) -> str:
    try:
        path = reverse("events:detail", kwargs={"slug": event.slug})
    except NoReverseMatch:
        path = f"/events/{event.slug}/"
    return absolute_url(path)


_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\((\S+?)(?:\s+\"[^\"]*\")?\)")
_MD_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_MD_EMPHASIS = re.compile(r"(?<![\w*])([*_])(?=\S)(.+?)(?<=\S)\1(?![\w*])")
_MD_CODE = re.compile(r"`+([^`]*)`+")
_MD_LINE_MARKUP = re.compile(r"^(?:\s{0,3}#{1,6}\s+|\s{0,3}>\s?|\s{0,3}(?:[-*_]\s*){3,}$)", re.MULTILINE)


@lru_cache(maxsize=4096)
def markdown_plain_text(text: str) -> str:
    """Plain text of an abstract for a calendar DESCRIPTION, without any HTML a calendar app might render.

    hubsite.text.markdown_to_plain renders the Markdown fully, which costs milliseconds per event;
    a feed of thousands of events only needs the markup taken away, so this strips it instead:
    HTML tags go through nh3 (nothing survives), then link, emphasis, code and heading markup.
    """
    if not text:
        return ""
    plain = html.unescape(nh3.clean(strip_control_characters(text), tags=set()))
    plain = _MD_IMAGE.sub(r"\1", plain)
    plain = _MD_LINK.sub(r"\1 (\2)", plain)
    plain = _MD_STRONG.sub(r"\2", plain)
    plain = _MD_EMPHASIS.sub(r"\2", plain)
    plain = _MD_CODE.sub(r"\1", plain)
    return _MD_LINE_MARKUP.sub("", plain)


def clean_text(value: str | None, *, single_line: bool = False) -> str:
    """Text from people, made safe for an iCalendar TEXT value (vText escapes the rest)."""
    if not value:
        return ""
    text = _CONTROL.sub("", str(value))
    text = _LINE_BREAKS.sub("\n", text)
    if single_line:
        return " ".join(text.split())
    return _SPACES.sub(lambda m: "\n\n" if m.group(0).count("\n") > 1 else "\n", text).strip()


# --- Versions: what makes cached calendar bytes stale -----------------------------------------


def related_version() -> int:
    """A stamp that moves whenever something an event's VEVENT shows, but not the event row, changes.

    Rooms, series, themes, speakers, researchers and institutions bump it (see events.feed_cache);
    the stamp is a time in nanoseconds, so a flushed cache never brings back an old value.
    """
    version = cache.get(RELATED_VERSION_KEY)
    if version is None:
        version = time.time_ns()
        if not cache.add(RELATED_VERSION_KEY, version, timeout=None):
            version = cache.get(RELATED_VERSION_KEY, version)
    return version


def bump_related_version() -> None:
    cache.set(RELATED_VERSION_KEY, time.time_ns(), timeout=None)


def related_version_time(version: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(version / 1e9, tz=dt.UTC).replace(microsecond=0)


def fingerprint(*parts) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


# --- Time zones ---------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def vtimezone_bytes(tzid: str, first_year: int, last_year: int) -> bytes:
    """icalendar's own VTIMEZONE for `tzid`, covering the years the calendar uses."""
    component = Timezone.from_tzid(
        tzid, first_date=dt.date(first_year, 1, 1), last_date=dt.date(last_year + 1, 1, 1)
    )
    return component.to_ical()


def timezone_years(starts_and_ends: Iterable[dt.datetime]) -> tuple[int, int]:
    years = [moment.year for moment in starts_and_ends]
    if not years:
        this_year = timezone.now().year
        return this_year, this_year
    return min(years) - 1, max(years) + 1


# --- Components ---------------------------------------------------------------------------------


def new_calendar(*, name: str = "", method: str | None = "PUBLISH", subscription: bool = True) -> Calendar:
    """An empty calendar with the hub's stable PRODID (no random calendar UID, so bytes are stable)."""
    calendar = Calendar()
    calendar.add("PRODID", prodid())
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    if method:
        calendar.add("METHOD", method)
    if name:
        calendar.calendar_name = clean_text(name, single_line=True)
    if subscription:
        # RFC 7986 requires VALUE=DURATION here; icalendar omits it as a default unless given.
        calendar.add("REFRESH-INTERVAL", vDuration(REFRESH_INTERVAL, params={"VALUE": "DURATION"}))
        calendar.add("X-PUBLISHED-TTL", vDuration(REFRESH_INTERVAL))
    return calendar


def _speakers_lines(event) -> list[str]:
    lines = []
    for link in event.speaker_links.all():
        researcher = link.researcher
        name = clean_text(researcher.name, single_line=True)
        institution = researcher.institution
        if institution is not None:
            name = f"{name} ({clean_text(institution.name, single_line=True)})"
        lines.append(f"{link.get_role_display()}: {name}")
    return lines


def event_description(event) -> str:
    parts = []
    if event.is_cancelled:
        parts.append(f"CANCELLED: {clean_text(event.cancellation_reason, single_line=True)}")
    speakers = _speakers_lines(event)
    if speakers:
        parts.append("\n".join(speakers))
    elif event.speakers_tba:
        parts.append("Speakers to be announced.")
    abstract = clean_text(markdown_plain_text(event.abstract))
    if abstract:
        parts.append(abstract)
    parts.append(event_page_url(event))
    return "\n\n".join(parts)


def event_location(event) -> str:
    room = event.room
    place = ""
    if room is not None and event.format != "online":
        place = clean_text(room.name, single_line=True)
        if room.location:
            place = f"{place}, {clean_text(room.location, single_line=True)}"
    if event.format == "online":
        return "Online"
    if event.format == "hybrid":
        return f"{place} / Online" if place else "Online"
    return place


def event_status(event) -> str:
    if event.is_cancelled:
        return "CANCELLED"
    if event.speakers_tba:
        return "TENTATIVE"
    return "CONFIRMED"


def event_component(event, *, dtstamp: dt.datetime | None = None) -> VEvent:
    """The VEVENT of an event (speaker links with researchers and institutions, room, themes loaded).

    A calendar has no language: its few words ("Speaker:", a role) are English whatever the language
    of the request that builds it (a Korean reader's registration once put "발표자:" in the
    calendar of the mail, the feeds already read in English)."""
    with translation.override("en"):
        return _event_component(event, dtstamp=dtstamp)


def _event_component(event, *, dtstamp: dt.datetime | None) -> VEvent:
    zone = ZoneInfo(event.time_zone)
    component = VEvent()
    component.add("UID", event_uid(event))
    component.add("DTSTAMP", (dtstamp or event.updated).astimezone(dt.UTC).replace(microsecond=0))
    component.add("DTSTART", event.start.astimezone(zone).replace(microsecond=0))
    component.add("DTEND", event.end.astimezone(zone).replace(microsecond=0))
    summary = clean_text(event.title, single_line=True)
    if event.is_cancelled:
        summary = f"Cancelled: {summary}"
    component.add("SUMMARY", summary)
    component.add("DESCRIPTION", event_description(event))
    location = event_location(event)
    if location:
        component.add("LOCATION", location)
    component.add("URL", event_page_url(event))
    component.add("SEQUENCE", event.sequence)
    component.add("STATUS", event_status(event))
    component.add("LAST-MODIFIED", event.updated.astimezone(dt.UTC).replace(microsecond=0))
    categories = [clean_text(theme.name, single_line=True) for theme in event.themes.all()]
    if categories:
        component.add("CATEGORIES", categories)
    component.add("TRANSP", "TRANSPARENT" if event.is_cancelled else "OPAQUE")
    return component


def vevent_cache_key(uid) -> str:
    """One cache entry per event, whatever its versions: a change overwrites it, never adds one."""
    return f"ical:vevent:{uid}"


def vevent_stamp(*, sequence: int, updated: dt.datetime, version: int) -> tuple:
    """What the cached bytes of an event were built from; stored with them and compared on read."""
    return (sequence, updated.timestamp(), version)


def cached_vevent(stored, stamp: tuple) -> bytes | None:
    """The bytes of a cache entry of `vevent_cache_key`, if they were built from `stamp`."""
    if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == stamp:
        return stored[1]
    return None


def event_vevent_bytes(event, *, version: int | None = None) -> bytes:
    """One event's serialised VEVENT, cached until the event, its SEQUENCE or what it shows changes."""
    version = related_version() if version is None else version
    key = vevent_cache_key(event.calendar_uid)
    stamp = vevent_stamp(sequence=event.sequence, updated=event.updated, version=version)
    data = cached_vevent(cache.get(key), stamp)
    if data is None:
        data = event_component(event).to_ical()
        cache.set(key, (stamp, data), VEVENT_CACHE_SECONDS)
    return data


def calendar_bytes(
    *,
    name: str,
    vevents: Sequence[bytes],
    tzids: Iterable[str],
    years: tuple[int, int],
    method: str | None = "PUBLISH",
    subscription: bool = True,
) -> bytes:
    """A calendar around already serialised VEVENTs, with a VTIMEZONE for every TZID they use."""
    head = new_calendar(name=name, method=method, subscription=subscription).to_ical()
    end = b"END:VCALENDAR\r\n"
    assert head.endswith(end)
    timezones = [vtimezone_bytes(tzid, *years) for tzid in sorted(set(tzids)) if tzid != "UTC"]
    return b"".join([head[: -len(end)], *timezones, *vevents, end])


# --- Invitations (METHOD:REQUEST / CANCEL) ------------------------------------------------------


def organizer_address() -> vCalAddress:
    display_name, mailbox = parseaddr(settings.DEFAULT_FROM_EMAIL)
    organizer = vCalAddress(f"mailto:{mailbox}")
    organizer.params["CN"] = clean_text(display_name or settings.HUB_NAME, single_line=True)
    return organizer


PARTSTATS = {"NEEDS-ACTION", "ACCEPTED", "DECLINED", "TENTATIVE"}


def attendee_address(*, email: str, name: str = "", partstat: str | None = None) -> vCalAddress:
    """An ATTENDEE: CN only when the person's name is known (never their address again), and a
    PARTSTAT only for what is true of them (RFC 5545 3.2.12: ACCEPTED for a confirmed seat,
    TENTATIVE on the waiting list, DECLINED once they cancelled, NEEDS-ACTION for someone invited or
    not yet confirmed; left out, it means NEEDS-ACTION)."""
    if partstat is not None and partstat not in PARTSTATS:
        raise ValueError(f"Unsupported PARTSTAT {partstat}")
    attendee = vCalAddress(f"mailto:{email}")
    name = clean_text(name, single_line=True)
    if name and name.lower() != email.lower():
        attendee.params["CN"] = name
    attendee.params["ROLE"] = "REQ-PARTICIPANT"
    if partstat:
        attendee.params["PARTSTAT"] = partstat
    attendee.params["RSVP"] = "FALSE"
    return attendee


def invitation_bytes(
    *,
    event,
    attendee_email: str,
    attendee_name: str,
    method: str = "REQUEST",
    partstat: str | None = None,
) -> bytes:
    """A calendar for one person's mail: the event's UID and SEQUENCE, the hub as ORGANIZER."""
    if method not in METHODS:
        raise ValueError(f"Unsupported METHOD {method}")
    component = event_component(event, dtstamp=timezone.now())
    if method == "CANCEL":
        component["STATUS"] = "CANCELLED"
        component.pop("TRANSP")
        component.add("TRANSP", "TRANSPARENT")
    if method != "PUBLISH":
        component.add("ORGANIZER", organizer_address())
        component.add(
            "ATTENDEE", attendee_address(email=attendee_email, name=attendee_name, partstat=partstat)
        )
    return calendar_bytes(
        name=event.title,
        vevents=[component.to_ical()],
        tzids=[event.time_zone],
        years=timezone_years([event.start, event.end]),
        method=method,
        subscription=False,
    )


def ics_attachment(*, filename: str, content: bytes | str) -> dict:
    """An attachment dict for hubsite.services.outbox_enqueue. The METHOD is inside the file;
    hubsite.mail.build_email repeats it in the part's Content-Type (`calendar_content_type`)."""
    text = content.decode("utf-8") if isinstance(content, bytes) else content
    return {"filename": filename, "content_type": "text/calendar", "content": text}


METHODS = {"PUBLISH", "REQUEST", "CANCEL"}


def calendar_method(content: str) -> str | None:
    """The METHOD of an iCalendar file ("REQUEST"), or None when it has none (or is no calendar)."""
    try:
        calendar = Calendar.from_ical(content)
    except ValueError:
        return None
    method = calendar.get("METHOD")
    return str(method).upper() if method else None


def calendar_content_type(content: str) -> str:
    """The MIME type of a calendar in mail: iMIP (RFC 6047 2.4) wants the METHOD as a parameter,
    `text/calendar; charset=utf-8; method=REQUEST`, so that mail clients offer it as an invitation,
    an update or a cancellation."""
    method = calendar_method(content)
    return f"text/calendar; charset=utf-8; method={method}" if method else "text/calendar; charset=utf-8"
