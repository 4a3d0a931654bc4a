"""Django's named formats in ko (the admin, {{ value|date }} and localize use them), from hubsite.dates."""

from hubsite.dates import pattern

DATE_FORMAT = pattern("day", "ko")
DATETIME_FORMAT = pattern("datetime", "ko")
TIME_FORMAT = pattern("time", "ko")
MONTH_DAY_FORMAT = pattern("month_day", "ko")
YEAR_MONTH_FORMAT = pattern("month", "ko")
