"""Dates in templates, by the one rule of hubsite.dates (`{% load dates %}`).

- `{{ visit.first_day|date_as:"day_weekday" }}`: a named format ("Fri 18 Dec 2026" / "2026년 12월 18일 (금)");
  inside `{% timezone %}` a date-time is shown in that zone, as Django's `date` filter does.
- `{{ event.start|iso }}`: the machine-readable value of a `<time datetime="...">` attribute.
- `{{ event|event_when }}`, `{{ event|event_when:"datetime_long" }}`: the event's time in its own zone,
  "Fri 18 Dec 2026, 16:00–17:30 KST".
- `{% date_range visit.first_day visit.last_day %}` (optionally a format name, or `as name`);
  `{% today_as "day_full" %}`.
- `{% date_pattern "time" %}`, `{% range_separator "time" %}`: the patterns, for the reader's-clock script.
"""

from django import template
from django.utils import timezone

from hubsite import dates

register = template.Library()


@register.filter(expects_localtime=True)
def date_as(value, name: str) -> str:
    return dates.fmt(value, name)


@register.filter(expects_localtime=True)
def iso(value) -> str:
    return dates.iso(value)


@register.filter
def event_when(event, style: str = "datetime") -> str:
    return dates.time_range(event.start, event.end, zone=event.time_zone, style=style)


@register.simple_tag
def date_range(first, last, name: str = "day") -> str:
    return dates.date_range(first, last, name=name)


@register.simple_tag
def today_as(name: str) -> str:
    """Today (in the current time zone) in a named format: `{% today_as "day_full" %}`."""
    return dates.fmt(timezone.localdate(), name)


@register.simple_tag
def date_pattern(name: str) -> str:
    return dates.pattern(name)


@register.simple_tag
def range_separator(kind: str = "time") -> str:
    same_day, between_dates = dates.range_separators()
    return same_day if kind == "time" else between_dates
