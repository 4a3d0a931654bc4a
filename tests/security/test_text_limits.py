"""Every text field has a length that fits its use (issue 12, item 11).

The limits are written once, in hubsite.limits. The walks cover every CharField and TextField of
the site's models (a limit; its forms and full_clean refuse one character more with a message; the
database refuses it too for prose), and every text field of every form and admin form.
"""

import pytest
from django import forms
from django.apps import apps
from django.core.validators import MaxLengthValidator
from django.db import IntegrityError, models, transaction
from django.forms import modelform_factory

from hubsite import fields as hub_fields
from hubsite import limits
from tests.factories import MemberFactory, VisitorFactory

from .forms_walk import plausible_data, site_app_configs, site_forms, with_value
from .test_fuzz_forms import world  # noqa: F401 - the fixture the form walk needs

pytestmark = pytest.mark.django_db

# Text the site writes itself from bounded input, never typed: a limit, no database check (a
# message must always be queued; hubsite.limits says why).
SITE_WRITTEN = {
    "hubsite.OutboxMessage.body_text",
    "hubsite.OutboxMessage.body_html",
    "hubsite.OutboxMessage.last_error",
}


def too_long(limit: int) -> str:
    return "x" * (limit + 1)


def limit_message(limit: int, length: int) -> str:
    return f"Ensure this value has at most {limit} characters (it has {length})."


def site_text_fields():
    own = {config.label for config in site_app_configs()}
    for model in apps.get_models():
        if model._meta.app_label in own:
            for field in model._meta.concrete_fields:
                if isinstance(field, models.CharField | models.TextField):
                    yield model, field


def _length_checks(model) -> dict[str, int]:
    """field name -> the limit of its hubsite.limits.length_check constraint."""
    checks = {}
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.CheckConstraint) and constraint.name.endswith("_max_length"):
            condition = constraint.condition
            checks[condition.lhs.source_expressions[0].name] = condition.rhs
    return checks


def test_every_text_field_of_every_model_has_a_limit_its_validators_and_the_database_keep():
    wrong, prose = [], 0
    for model, field in site_text_fields():
        label = f"{model._meta.label}.{field.name}"
        if field.max_length is None:
            wrong.append(f"{label}: no max_length (choose one in hubsite.limits)")
            continue
        if not any(
            isinstance(v, MaxLengthValidator) and v.limit_value == field.max_length for v in field.validators
        ):
            wrong.append(f"{label}: full_clean() does not check the length (use hubsite.fields.TextField)")
        if isinstance(field, models.TextField):
            prose += 1
            if not isinstance(field, hub_fields.TextField):
                wrong.append(f"{label}: use hubsite.fields.TextField")
            if label not in SITE_WRITTEN and _length_checks(model).get(field.name) != field.max_length:
                wrong.append(f"{label}: no limits.length_check({field.name!r}, ...) in Meta.constraints")
    assert prose >= 19
    assert wrong == []


def test_the_limits_fit_their_use():
    """Long enough for what a person writes: a Teams meeting link, a long abstract in Markdown."""
    from events.models import Event
    from visits.models import Visit

    assert Event._meta.get_field("online_url").max_length == limits.URL == 2_000
    assert Event._meta.get_field("abstract").max_length == limits.LONG_TEXT == 10_000
    assert Visit._meta.get_field("purpose").max_length == limits.PURPOSE == 5_000
    assert limits.HISTORY_NOTE > limits.NOTE  # a history line is a note with words around it


def test_every_text_field_of_every_model_refuses_one_character_more_in_its_form():
    wrong, checked = [], 0
    for model, field in site_text_fields():
        if not field.editable or field.choices or field.max_length is None:
            continue
        checked += 1
        form_class = modelform_factory(model, fields=[field.name])
        form = form_class({field.name: too_long(field.max_length)})
        form.is_valid()
        errors = list(form.errors.get(field.name, []))
        if not any(
            error.startswith(f"Ensure this value has at most {field.max_length} characters")
            for error in errors
        ):
            wrong.append(f"{model._meta.label}.{field.name}: {errors}")
    assert checked >= 60
    assert wrong == []


def _rows_of_every_model(world):  # noqa: F811
    from visits.models import Visit, VisitStatusChange

    visit = Visit.objects.first()
    VisitStatusChange.objects.create(
        visit=visit, from_status="submitted", to_status="approved", by_name="Staff"
    )
    return world


def test_the_database_refuses_one_character_more_in_every_checked_text_field(world):  # noqa: F811
    """On PostgreSQL and SQLite alike, with a plain UPDATE: no form, no full_clean()."""
    _rows_of_every_model(world)
    wrong, checked = [], 0
    for model, field in site_text_fields():
        limit = _length_checks(model).get(field.name)
        if limit is None:
            continue
        row = model._default_manager.order_by("pk").first()
        assert row is not None, f"the world fixture makes no {model._meta.label}"
        checked += 1
        rows = model._default_manager.filter(pk=row.pk)
        with transaction.atomic():
            rows.update(**{field.name: "x" * limit})  # the limit itself fits
        try:
            with transaction.atomic():
                rows.update(**{field.name: too_long(limit)})
        except IntegrityError:
            continue
        wrong.append(f"{model._meta.label}.{field.name} took {limit + 1} characters")
    assert checked >= 16
    assert wrong == []


def test_every_text_field_of_every_form_has_a_limit_and_refuses_one_character_more(world):  # noqa: F811
    wrong, checked = [], 0
    for site_form in site_forms(world):
        blank = site_form.make(None)
        base = plausible_data(blank)
        for name, field in blank.fields.items():
            if not isinstance(field, forms.CharField):
                continue
            checked += 1
            if field.max_length is None:
                wrong.append(f"{site_form.name} {name}: no max_length")
                continue
            form = site_form.make(with_value(base, blank, name, too_long(field.max_length)))
            form.is_valid()
            errors = list(form.errors.get(name, []))
            if not any(
                e.startswith(f"Ensure this value has at most {field.max_length} characters") for e in errors
            ):
                wrong.append(f"{site_form.name} {name}: {errors}")
    assert checked >= 100
    assert wrong == []


def test_a_megabyte_purpose_is_refused_with_a_message_and_nothing_is_sent(client):
    """The issue's case: five stays with a 1,000,000-character purpose put five megabyte e-mails in
    the host's outbox. Now the form refuses it, and nothing is written or sent."""
    from hubsite.models import OutboxMessage
    from visits.models import Visit

    host = MemberFactory()
    client.force_login(VisitorFactory().user)
    data = {"host": host.pk, "first_day": "2027-03-01", "last_day": "2027-03-01", "purpose": "x" * 1_000_000}
    response = client.post("/visits/new/", data)
    assert response.status_code == 200
    assert response.context["form"].errors["purpose"] == [limit_message(limits.PURPOSE, 1_000_000)]
    assert (Visit.objects.count(), OutboxMessage.objects.count()) == (0, 0)


def test_an_import_with_a_bio_one_character_too_long_reports_the_row(admin_client):
    from tests.researchers.test_import_export import preview, row_errors

    page = preview(
        admin_client,
        "researcher",
        [
            ["slug", "name", "bio"],
            ["long", "Long Bio", too_long(limits.LONG_TEXT)],
            ["fine", "Fine", "Short."],
        ],
    )
    assert row_errors(page.context["result"]) == [
        (1, "bio", [limit_message(limits.LONG_TEXT, limits.LONG_TEXT + 1)]),
    ]


def test_a_withdrawal_reason_too_long_withdraws_nothing_and_says_why(client):
    from tests.factories import VisitFactory
    from visits.models import Visit

    visit = VisitFactory()
    client.force_login(visit.researcher.user)
    response = client.post(f"/visits/{visit.pk}/withdraw/", {"note": too_long(limits.NOTE)}, follow=True)
    visit.refresh_from_db()
    assert visit.status == Visit.Status.SUBMITTED
    assert [str(m) for m in response.context["messages"]] == [limit_message(limits.NOTE, limits.NOTE + 1)]
