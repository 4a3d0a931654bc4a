"""One rule for the dates and times people read, in English and Korean: pages, mails, letters, admin.

Every date a person reads goes through a named format here (templates through `{% load dates %}`,
Python through `fmt`, `time_range`, `date_range`; Django's own DATE_FORMAT and friends, which the
admin uses, come from `hubsite/formats/<language>/formats.py`, built from the same table; the
reader's-clock script gets its patterns from `{% date_pattern %}`). No template or module writes a
format of its own: tests/hubsite/test_dates.py fails on a literal one.

English reads "Fri 18 Dec 2026" and "Friday 18 December 2026, 16:00"; Korean, as Korean readers
write it (Django's ko locale and CLDR: year, month, day, then the weekday in brackets, 24-hour
time), "2026년 12월 18일 (금)" and "2026년 12월 18일 (금) 16:00". Ranges join with an en dash in
English and a tilde in Korean (CLDR's interval formats): "16:00–17:30 KST", "16:00~17:30 KST".
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import dateformat, timezone, translation

# name: {language: Django date-format pattern}
FORMATS: dict[str, dict[str, str]] = {
    "day": {"en": "j M Y", "ko": "Y년 n월 j일"},
    "day_weekday": {"en": "D j M Y", "ko": "Y년 n월 j일 (D)"},
    "day_long": {"en": "l j F Y", "ko": "Y년 n월 j일 (D)"},
    # A formal date (letters): "18 December 2026".
    "day_full": {"en": "j F Y", "ko": "Y년 n월 j일"},
    "month_day": {"en": "j M", "ko": "n월 j일"},
    "month_day_weekday": {"en": "D j M", "ko": "n월 j일 (D)"},
    "month": {"en": "F Y", "ko": "Y년 n월"},
    "time": {"en": "H:i", "ko": "H:i"},
    "datetime": {"en": "D j M Y, H:i", "ko": "Y년 n월 j일 (D) H:i"},
    "datetime_long": {"en": "l j F Y, H:i", "ko": "Y년 n월 j일 (D) H:i"},
    # The day and time without the year (the reader's clock, next to a full date).
    "month_day_time": {"en": "D j M, H:i", "ko": "n월 j일 (D) H:i"},
}
# (between two times of one day, between two dates or date-times)
RANGE_SEPARATORS: dict[str, tuple[str, str]] = {"en": ("–", " – "), "ko": ("~", " ~ ")}


def language(code: str | None = None) -> str:
    """The table's language for a language code (the active one by default): "ko" or "en"."""
    code = code or translation.get_language() or "en"
    return "ko" if code.lower().startswith("ko") else "en"


def pattern(name: str, lang: str | None = None) -> str:
    """The Django date-format pattern of a named format; a name not in the table is an error."""
    return FORMATS[name][language(lang)]


def range_separators(lang: str | None = None) -> tuple[str, str]:
    return RANGE_SEPARATORS[language(lang)]


def _zone(zone) -> dt.tzinfo | None:
    return ZoneInfo(zone) if isinstance(zone, str) else zone


def local(value, zone=None):
    """An aware date-time moved to `zone` (a name or tzinfo); without a zone, and for dates, as it is.

    Templates get date-times already in the current zone (or the one `{% timezone %}` sets), as for
    Django's `date` filter; Python callers name the zone (an event's own, the hub's)."""
    if zone is not None and isinstance(value, dt.datetime) and timezone.is_aware(value):
        return value.astimezone(_zone(zone))
    return value


def fmt(value, name: str, *, zone=None, lang: str | None = None) -> str:
    """A date or date-time in a named format, in the active language (or `lang`); "" for None."""
    if value in (None, ""):
        return ""
    value = local(value, zone)
    render = dateformat.time_format if isinstance(value, dt.time) else dateformat.format
    if lang is None:
        return render(value, pattern(name))
    with translation.override(lang):
        return render(value, pattern(name))


def iso(value, *, zone=None) -> str:
    """Machine-readable (a <time datetime> attribute): 2026-12-18, 2026-12-18T16:00:00+09:00."""
    if value in (None, ""):
        return ""
    return local(value, zone).isoformat()


def zone_abbreviation(moment: dt.datetime) -> str:
    """ "KST", "CEST"; a zone without a letter abbreviation reads "UTC+4" rather than "+04"."""
    name = moment.tzname() or ""
    if name and name[0] in "+-":
        offset = moment.utcoffset() or dt.timedelta()
        sign = "-" if offset < dt.timedelta() else "+"
        hours, rest = divmod(abs(int(offset.total_seconds())) // 60, 60)
        return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")
    return name


def moment(value: dt.datetime, *, zone, name: str = "datetime") -> str:
    """One point in time in a zone, with the zone: "Fri 18 Dec 2026, 16:00 KST"."""
    value = local(value, zone)
    return f"{fmt(value, name)} {zone_abbreviation(value)}"


def time_range(start: dt.datetime, end: dt.datetime, *, zone, style: str = "datetime") -> str:
    """An event's time in its own zone: "Fri 18 Dec 2026, 16:00–17:30 KST" (`style` "datetime"),
    "Friday 18 December 2026, 16:00–17:30 KST" ("datetime_long"); across days
    "Fri 18 Dec 2026, 16:00 – Sat 19 Dec 2026, 10:00 KST"."""
    start, end = local(start, zone), local(end, zone)
    same_day, between_dates = range_separators()
    if start.date() == end.date():
        text = f"{fmt(start, style)}{same_day}{fmt(end, 'time')}"
    else:
        text = f"{fmt(start, style)}{between_dates}{fmt(end, style)}"
    first, last = zone_abbreviation(start), zone_abbreviation(end)
    return f"{text} {first}" if first == last else f"{text} {first}/{last}"


def date_range(first: dt.date, last: dt.date, *, name: str = "day") -> str:
    """A stay's days, both ends included: "18 Dec 2026 – 27 Dec 2026",
    "2026년 12월 18일 ~ 2026년 12월 27일"."""
    return f"{fmt(first, name)}{range_separators()[1]}{fmt(last, name)}"
