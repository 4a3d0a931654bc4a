"""The report period: a quarter, a calendar year or two dates, always whole days in the hub's zone."""

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from hubsite import dates

HUB_ZONE = zoneinfo.ZoneInfo(settings.TIME_ZONE)
MAX_YEARS = 5
QUARTER_RE = re.compile(r"^(\d{4})-Q([1-4])$")


@dataclass(frozen=True)
class Period:
    """First and last day, both inclusive; `params` repeats the choice for links (CSV downloads)."""

    first_day: dt.date
    last_day: dt.date
    label: str
    params: tuple[tuple[str, str], ...]

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def start(self) -> dt.datetime:
        """The first instant of the period, midnight in the hub's zone."""
        return dt.datetime.combine(self.first_day, dt.time(), tzinfo=HUB_ZONE)

    @property
    def end(self) -> dt.datetime:
        """The first instant after the period (exclusive)."""
        return dt.datetime.combine(self.last_day + dt.timedelta(days=1), dt.time(), tzinfo=HUB_ZONE)

    @property
    def years(self) -> list[int]:
        return list(range(self.first_day.year, self.last_day.year + 1))


def quarter_of(day: dt.date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def quarter_period(text: str) -> Period:
    match = QUARTER_RE.match(text)
    if not match:
        raise ValueError(text)
    year, quarter = int(match[1]), int(match[2])
    first = dt.date(year, 3 * quarter - 2, 1)
    after = dt.date(year + 1, 1, 1) if quarter == 4 else dt.date(year, 3 * quarter + 1, 1)
    return Period(first, after - dt.timedelta(days=1), text, (("quarter", text),))


def year_period(year: int) -> Period:
    return Period(dt.date(year, 1, 1), dt.date(year, 12, 31), str(year), (("year", str(year)),))


def dates_period(first: dt.date, last: dt.date) -> Period:
    label = _("%(first)s to %(last)s") % {"first": dates.fmt(first, "day"), "last": dates.fmt(last, "day")}
    return Period(first, last, label, (("from", first.isoformat()), ("to", last.isoformat())))


def spans_too_long(first: dt.date, last: dt.date) -> bool:
    """More than five years: the last day reaches the same date five years after the first."""
    try:
        limit = first.replace(year=first.year + MAX_YEARS)
    except ValueError:  # 29 February
        limit = dt.date(first.year + MAX_YEARS, 3, 1)
    return last >= limit
