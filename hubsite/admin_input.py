"""Input to the admin that Django takes as it comes, checked first so it answers with a message.

- Actions: Django runs an action on `pk__in=<the posted ids>` as they are posted, so a crafted
  `_selected_action=abc` (or a NUL byte) raises a ValueError inside the ORM.
- Changelist filters on dates (`?start__year=9999&start__month=12&start__day=31`, a date
  hierarchy, `?start__gte=0001-01-01`): Django computes the next day or converts the zone and
  overflows past the end of Python's calendar. A date filter outside the site's calendar
  (hubsite.validators) is dropped with a message instead.

`check_admin_input(site)` wraps every registered ModelAdmin once, in hubsite/urls.py.
"""

import datetime as dt
import functools

from django.contrib import messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import NotRelationField, get_fields_from_path
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpResponseRedirect
from django.utils.translation import gettext

from .validators import EARLIEST_DATE, latest_date, validate_calendar_date


def check_admin_input(site) -> None:
    for model_admin in site._registry.values():
        model_admin.response_action = _checked_action(model_admin, model_admin.response_action)
        model_admin.changelist_view = _checked_changelist(model_admin, model_admin.changelist_view)


def _checked_action(model_admin, response_action):
    primary_key = model_admin.model._meta.pk

    @functools.wraps(response_action)
    def checked_response_action(request, queryset, *args, **kwargs):
        for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME):
            try:
                primary_key.to_python(value)
            except ValidationError:
                # Django's own words (and translation) for an action with no rows chosen.
                message = gettext(
                    "Items must be selected in order to perform actions on them. No items have been changed."
                )
                model_admin.message_user(request, message, messages.WARNING)
                return None
        return response_action(request, queryset, *args, **kwargs)

    return checked_response_action


def _date_field_and_lookup(model, key: str):
    """(the date field a filter parameter names, the rest of the lookup), or (None, None)."""
    parts = key.split(LOOKUP_SEP)
    for end in range(len(parts), 0, -1):
        try:
            field = get_fields_from_path(model, LOOKUP_SEP.join(parts[:end]))[-1]
        except (FieldDoesNotExist, NotRelationField):
            continue
        if isinstance(field, models.DateField):  # DateTimeField is one too
            return field, parts[end:]
        return None, None
    return None, None


def _outside_the_calendar(field, lookup: list[str], value: str) -> bool:
    """True for a value the filter would turn into a day outside the calendar; values that are not
    dates at all are left to the admin, which refuses them itself."""
    last = latest_date()
    if lookup in (["year"], ["iso_year"]):
        return value.strip().lstrip("-").isdigit() and not EARLIEST_DATE.year <= int(value) <= last.year
    if lookup and lookup[-1] in ("isnull", "month", "day", "week_day", "iso_week_day", "week", "quarter"):
        return False
    for text in value.split(",") if lookup and lookup[-1] in ("in", "range") else [value]:
        try:
            day = models.DateField().to_python(text.strip()[:10])
        except ValidationError:
            continue
        if isinstance(day, dt.date):
            try:
                validate_calendar_date(day)
            except ValidationError:
                return True
    return False


def _checked_changelist(model_admin, changelist_view):
    model = model_admin.model

    @functools.wraps(changelist_view)
    def checked_changelist_view(request, *args, **kwargs):
        for key, value in request.GET.items():
            field, lookup = _date_field_and_lookup(model, key)
            if field is not None and _outside_the_calendar(field, lookup, value):
                model_admin.message_user(
                    request,
                    gettext("Choose a date from %(first)s to %(last)s.")
                    % {"first": EARLIEST_DATE.isoformat(), "last": latest_date().isoformat()},
                    messages.WARNING,
                )
                return HttpResponseRedirect(request.path)
        return changelist_view(request, *args, **kwargs)

    return checked_changelist_view
