"""Django's named formats in en (the admin, {{ value|date }} and localize use them), from hubsite.dates."""

from hubsite.dates import pattern

DATE_FORMAT = pattern("day", "en")
DATETIME_FORMAT = pattern("datetime", "en")
TIME_FORMAT = pattern("time", "en")
MONTH_DAY_FORMAT = pattern("month_day", "en")
YEAR_MONTH_FORMAT = pattern("month", "en")
