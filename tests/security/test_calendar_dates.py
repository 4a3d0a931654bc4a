"""Dates the calendar cannot hold are refused with a message (issue 12, item 6).

The window is defined once (hubsite.validators: 1900-01-01 to ten years after today). The walks
cover every date field of every form and admin form, every date field of every model, and every
date filter of every admin list; the cases the issue names are tried through their pages too.
"""

import datetime as dt

import pytest
from django import forms
from django.apps import apps
from django.db import models

from hubsite import fields as hub_fields
from hubsite.validators import EARLIEST_DATE, latest_date, validate_calendar_date
from tests.factories import EventFactory, MemberFactory, SeriesFactory, VisitFactory, VisitorFactory

from .forms_walk import plausible_data, site_app_configs, site_forms, with_value
from .roles import STAFF, client_for_role
from .test_fuzz_forms import world  # noqa: F401 - the fixture the form walk needs

pytestmark = pytest.mark.django_db


def window_message() -> str:
    return f"Choose a date from {EARLIEST_DATE.isoformat()} to {latest_date().isoformat()}."


def outside_days() -> list[dt.date]:
    return [
        EARLIEST_DATE - dt.timedelta(days=1),
        latest_date() + dt.timedelta(days=1),
        dt.date(9999, 12, 31),
        dt.date(1, 1, 1),
    ]


def test_the_window_ends_ten_years_ahead_and_keeps_29_february_inside():
    assert latest_date(dt.date(2026, 12, 18)) == dt.date(2036, 12, 18)
    assert latest_date(dt.date(2028, 2, 29)) == dt.date(2038, 2, 28)
    validate_calendar_date(EARLIEST_DATE)
    validate_calendar_date(latest_date())
    validate_calendar_date(dt.datetime(1900, 1, 1, 0, 0, tzinfo=dt.UTC))


def _date_fields(form: forms.BaseForm):
    for name, field in form.fields.items():
        if isinstance(field, forms.DateField | forms.DateTimeField | forms.SplitDateTimeField):
            yield name, field


def _as_input(field: forms.Field, day: dt.date) -> str:
    if isinstance(field, forms.DateTimeField):
        return f"{day.isoformat()} 10:00"
    return day.isoformat()


def test_every_date_field_of_every_form_refuses_days_outside_the_calendar_with_a_message(world):  # noqa: F811
    checked, wrong = 0, []
    for site_form in site_forms(world):
        blank = site_form.make(None)
        base = plausible_data(blank)
        for name, field in _date_fields(blank):
            checked += 1
            if validate_calendar_date not in field.validators:
                wrong.append(
                    f"{site_form.name} {name}: not bounded (use hubsite.forms.DateField / fields.DateField)"
                )
                continue
            for day in outside_days():
                form = site_form.make(with_value(base, blank, name, _as_input(field, day)))
                form.is_valid()
                if list(form.errors.get(name, [])) != [window_message()]:
                    wrong.append(f"{site_form.name} {name}={day}: {form.errors.get(name)}")
            inside = site_form.make(with_value(base, blank, name, _as_input(field, latest_date())))
            inside.is_valid()
            if window_message() in inside.errors.get(name, []):
                wrong.append(f"{site_form.name} {name}: refuses the last day of the calendar")
    assert checked >= 15
    assert wrong == []


def test_every_date_field_of_every_model_takes_the_calendar_bound():
    """Editable date fields of the site's models are hubsite.fields', so every ModelForm and admin
    form built from them, and full_clean(), refuse days outside the calendar."""
    own = {config.label for config in site_app_configs()}
    wrong, checked = [], 0
    for model in apps.get_models():
        if model._meta.app_label not in own:
            continue
        for field in model._meta.get_fields():
            if not isinstance(field, models.DateField) or not field.editable:
                continue
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                continue
            checked += 1
            if not isinstance(field, hub_fields.DateField | hub_fields.DateTimeField):
                wrong.append(f"{model._meta.label}.{field.name}")
            elif validate_calendar_date not in field.validators:
                wrong.append(f"{model._meta.label}.{field.name}: no validator")
    assert checked >= 20
    assert wrong == [], "Declare these with hubsite.fields.DateField / DateTimeField: " + ", ".join(wrong)


def test_full_clean_refuses_a_stay_outside_the_calendar():
    from django.core.exceptions import ValidationError

    visit = VisitFactory.build(first_day=dt.date(9999, 12, 31), last_day=dt.date(9999, 12, 31))
    with pytest.raises(ValidationError) as refused:
        visit.full_clean(exclude=["researcher", "host", "institution"])
    assert refused.value.message_dict["first_day"] == [window_message()]


# --- The pages the issue names, and the other date inputs -------------------------------------


def test_the_stay_form_refuses_year_9999_with_a_message(client):
    """The issue's case: `first_day=9999-12-31` raised `year 10000 is out of range`."""
    host = MemberFactory()
    client.force_login(VisitorFactory().user)
    data = {"host": host.pk, "first_day": "9999-12-31", "last_day": "9999-12-31", "purpose": "Research"}
    response = client.post("/visits/new/", data)
    assert response.status_code == 200
    assert response.context["form"].errors["first_day"] == [window_message()]
    assert response.context["form"].errors["last_day"] == [window_message()]
    checked = client.post("/visits/new/", {**data, "check": "1"})
    assert checked.context["availability"]["errors"] == [
        f"First day: {window_message()}",
        f"Last day: {window_message()}",
    ]


def test_the_desk_availability_json_refuses_days_outside_the_calendar(client):
    client.force_login(VisitorFactory().user)
    response = client.get("/visits/availability.json", {"first_day": "2026-01-01", "last_day": "9999-12-31"})
    assert (response.status_code, response.json()) == (400, {"errors": [f"Last day: {window_message()}"]})


def test_the_extension_form_refuses_a_new_last_day_outside_the_calendar(client):
    from visits.models import Visit

    visit = VisitFactory(status=Visit.Status.APPROVED)
    client.force_login(visit.researcher.user)
    response = client.post(
        f"/visits/{visit.pk}/extend/", {"new_last_day": "9999-12-31", "reason": "More data"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["new_last_day"] == [window_message()]


@pytest.mark.parametrize("name", ["date_from", "date_to"])
def test_the_events_filters_leave_out_a_day_outside_the_calendar_and_say_so(client, name):
    EventFactory()
    response = client.get("/events/", {name: "9999-12-31"})
    assert response.status_code == 200
    assert response.context["form"].errors[name] == [window_message()]
    shown = f'id="id_{name}_error">{window_message()} This filter is left out.</p>'
    assert shown in response.content.decode()
    assert client.get("/events/calendar.ics", {name: "9999-12-31"}).status_code == 200


@pytest.mark.parametrize(
    "query, field",
    [
        ({"from": "9999-12-01", "to": "9999-12-31"}, "first_day"),
        ({"from": "2026-01-01", "to": "9999-12-31"}, "last_day"),
        ({"quarter": "9999-Q4"}, "quarter"),
        ({"quarter": "0000-Q1"}, "quarter"),
    ],
)
def test_the_report_period_refuses_days_outside_the_calendar(query, field):
    client, _user = client_for_role(STAFF)
    for path in ("/report/", "/report/attendance.csv"):
        response = client.get(path, query)
        assert response.status_code == 400, path
    page = client.get("/report/", query)
    assert page.context["form"].errors[field] == [window_message()]


def test_series_session_generation_refuses_days_outside_the_calendar():
    client, _user = client_for_role(STAFF)
    series = SeriesFactory()
    data = {"first_date": "0001-01-01", "last_date": "9999-12-31", "every_weeks": "1"}
    response = client.post(f"/admin/events/series/{series.pk}/generate/", data)
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "first_date": [window_message()],
        "last_date": [window_message()],
    }


@pytest.mark.parametrize(
    "query",
    [
        "start__year=9999&start__month=12&start__day=31",
        "start__year=1&start__month=1&start__day=1",
        "start__year=99999999999999999999",
        "start__gte=9999-12-31",
        "start__lt=0001-01-01",
        "start__gte=9999-12-31+23:59:59%2B00:00",
    ],
)
def test_admin_date_filters_outside_the_calendar_are_dropped_with_a_message(query):
    client, _user = client_for_role(STAFF, raise_request_exception=False)
    EventFactory()
    response = client.get(f"/admin/events/event/?{query}")
    assert (response.status_code, response["Location"]) == (302, "/admin/events/event/")
    page = client.get(response["Location"])
    assert [str(message) for message in page.context["messages"]][-1] == window_message()


EDGE_FILTER_VALUES = ["9999-12", "9999-12-31", "0001-01-01", "99999", "10000-01", "-1", "0"]


def test_every_filter_of_every_admin_list_survives_days_outside_the_calendar():
    """Every query parameter the admin's own filter links use, set to edge dates one at a time."""
    from django.contrib import admin

    from .fuzz import link_query_keys

    client, _user = client_for_role(STAFF, raise_request_exception=False)
    EventFactory()
    VisitFactory()
    own = {config.label for config in site_app_configs()}
    failures, tried = [], 0
    for model in admin.site._registry:
        if model._meta.app_label not in own:
            continue
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        keys = link_query_keys(client.get(url).content.decode()) - {"o", "p", "q", "e", "all"}
        for key in sorted(keys):
            for value in EDGE_FILTER_VALUES:
                tried += 1
                response = client.get(url, {key: value})
                if response.status_code >= 500:
                    failures.append(f"{url}?{key}={value}: {response.status_code}")
    assert tried > 100
    assert failures == []
