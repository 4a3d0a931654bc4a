"""Validators shared by every app."""

import datetime as dt
import re
import zoneinfo
from functools import cache

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The calendar every date the site takes must fall in: nothing the hub records is older than 1900,
# and no stay, seminar, project or agreement is planned more than ten years ahead. Date arithmetic
# on dates inside it ("the last day of a 12-month stay", "the day after the period") stays far
# from year 9999, where Python's dates end.
EARLIEST_DATE = dt.date(1900, 1, 1)
YEARS_AHEAD = 10


def latest_date(today: dt.date | None = None) -> dt.date:
    """The last day the site accepts: ten years after today (28 February for a 29 February)."""
    today = today or timezone.localdate()
    year = today.year + YEARS_AHEAD
    try:
        return today.replace(year=year)
    except ValueError:
        return today.replace(year=year, day=28)


def validate_calendar_date(value) -> None:
    """Refuse a date (or the day of a date and time) outside the site's calendar, with a message."""
    if value is None:
        return
    # The wall-clock day as given: converting zones near the ends of the calendar can overflow.
    day = value.date() if isinstance(value, dt.datetime) else value
    first, last = EARLIEST_DATE, latest_date()
    if not first <= day <= last:
        raise ValidationError(
            _("Choose a date from %(first)s to %(last)s."),
            code="date_out_of_range",
            params={"first": first.isoformat(), "last": last.isoformat()},
        )


@cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    if value not in _zones():
        raise ValidationError(
            _("“%(value)s” is not a known time zone; use an IANA name such as Asia/Seoul."),
            code="unknown_time_zone",
            params={"value": value},
        )


def validate_orcid(value: str) -> None:
    """ORCID iD: 0000-0000-0000-000X with the ISO 7064 11,2 check digit."""
    parts = value.split("-")
    digits = "".join(parts)
    if (
        len(parts) != 4
        or any(len(p) != 4 for p in parts)
        or not (digits[:-1].isdigit() and (digits[-1].isdigit() or digits[-1] == "X"))
    ):
        raise ValidationError(
            _("An ORCID iD looks like 0000-0002-1825-0097 (four groups of four characters)."),
            code="orcid_form",
        )
    total = 0
    for char in digits[:-1]:
        total = (total + int(char)) * 2
    check = (12 - total % 11) % 11
    expected = "X" if check == 10 else str(check)
    if digits[-1] != expected:
        raise ValidationError(
            _("This ORCID iD's check digit is wrong; please copy it again from orcid.org."),
            code="orcid_check_digit",
        )


http_url_validator = URLValidator(
    schemes=["http", "https"], message=_("Enter a web address that starts with http:// or https://.")
)


# The random tokens of private links (secrets.token_urlsafe) fit a 64-character column.
_RANDOM_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")


def is_random_token(value) -> bool:
    """Whether `value` can be one of the site's random link tokens. Lookups by token ask this
    first, so text no column holds (a NUL byte, a megabyte) never reaches the database."""
    return isinstance(value, str) and _RANDOM_TOKEN.fullmatch(value) is not None
