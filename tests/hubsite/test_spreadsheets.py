"""No cell of any spreadsheet file the site writes starts a formula (hubsite/spreadsheets.py).

The class: the admin's import-export (every resource of every admin that has one, in every format
it offers), the registrations CSV (both admin actions), the activity report's CSVs; and a walk of
the source for any other CSV writer.
"""

import ast
import csv
import io
import json
import re
from html import unescape
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.utils.functional import lazystr
from import_export import fields, widgets
from import_export.admin import ExportMixin

from hubsite.spreadsheets import FORMULA_STARTS, csv_writer, neutralise, restore
from researchers.models import Institution, Researcher
from tests.factories import (
    EventFactory,
    InstitutionFactory,
    RegistrationFactory,
    ResearcherFactory,
    SeriesFactory,
)

pytestmark = pytest.mark.django_db

HOSTILE = ['=HYPERLINK("http://evil.example/","x")', "+1+2", "-3+4", "@SUM(A1)", "\tTab", "\rReturn"]


def test_neutralise_prefixes_text_starting_a_formula_and_leaves_the_rest():
    assert [neutralise(cell) for cell in HOSTILE] == ["'" + cell for cell in HOSTILE]
    assert [neutralise(cell) for cell in ["Plain", "", "1=1", "a-b", 3, -3, 2.5, None, True]] == [
        "Plain",
        "",
        "1=1",
        "a-b",
        3,
        -3,
        2.5,
        None,
        True,
    ]
    assert neutralise(lazystr("=lazy")) == "'=lazy"
    assert [restore(neutralise(cell)) for cell in [*HOSTILE, "Plain", "'quoted", 7]] == [
        *HOSTILE,
        "Plain",
        "'quoted",
        7,
    ]


def test_csv_writer_neutralises_every_cell_and_keeps_numbers():
    out = io.StringIO()
    csv_writer(out).writerows([HOSTILE, [1, -2, 3.5, "ok"]])
    rows = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert rows == [["'" + cell for cell in HOSTILE], ["1", "-2", "3.5", "ok"]]


# --- django-import-export: every resource, every format ----------------------------------------


def import_export_admins() -> list[tuple[type[models.Model], admin.ModelAdmin]]:
    return sorted(
        (
            (model, model_admin)
            for model, model_admin in admin.site._registry.items()
            if isinstance(model_admin, ExportMixin)
        ),
        key=lambda pair: pair[0]._meta.label,
    )


FACTORIES = {Institution: InstitutionFactory, Researcher: ResearcherFactory}
TEXT_FIELDS = (models.CharField, models.TextField)  # e-mail, URL and slug fields are CharFields


def hostile_row(model, resource) -> dict[str, str]:
    """A row of `model` whose every exported free-text field starts a formula; {column: text}."""
    row = FACTORIES[model]()
    written, updates = {}, {}
    for n, field in enumerate(resource.get_export_fields()):
        try:
            model_field = model._meta.get_field(field.attribute)
        except FieldDoesNotExist:
            continue
        if not isinstance(model_field, TEXT_FIELDS) or model_field.choices:
            continue
        value = (HOSTILE[n % len(HOSTILE)] + f"-{n}")[: model_field.max_length or 200]
        written[field.column_name] = updates[field.attribute] = value
    model._default_manager.filter(pk=row.pk).update(**updates)
    return written


def cells(body: str, format_title: str) -> list[dict[str, str]]:
    if format_title in ("csv", "tsv"):
        dialect = "excel-tab" if format_title == "tsv" else "excel"
        return list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"), newline=""), dialect=dialect))
    if format_title == "json":
        return json.loads(body)
    if format_title == "html":
        headers = [unescape(h) for h in re.findall(r"<th>(.*?)</th>", body, re.S)]
        rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)[1:]
        return [
            dict(zip(headers, [unescape(c) for c in re.findall(r"<td>(.*?)</td>", row, re.S)], strict=True))
            for row in rows
        ]
    raise AssertionError(f"add a reader for the export format {format_title!r}")


def test_every_import_export_admin_and_format_writes_no_live_formula(admin_client):
    checked = []
    for model, model_admin in import_export_admins():
        for resource_class in model_admin.get_export_resource_classes(None):
            model._default_manager.all().delete()
            written = hostile_row(model, resource_class())
            assert written, f"{model._meta.label}: no text column to check"
            url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/export/"
            form = admin_client.get(url).context["form"]
            for value, label in form.fields["format"].choices:
                if not value:
                    continue
                prefix = resource_class.__name__.lower() + "_"
                data = {"format": value, **{name: "on" for name in form.fields if name.startswith(prefix)}}
                response = admin_client.post(url, data)
                assert response.status_code == 200, (model, label)
                body = response.content.decode("utf-8")
                (row,) = cells(body, label.lower())
                shown = {column: row[column] for column in written}
                assert shown == {column: "'" + value for column, value in written.items()}, (model, label)
                checked.append((model._meta.label, label.lower()))
    assert sorted(checked) == sorted(
        (label, fmt)
        for label in ("researchers.Institution", "researchers.Researcher")
        for fmt in ("csv", "tsv", "json", "html")
    )


def test_a_researcher_file_exported_and_imported_back_is_unchanged(admin_client):
    ResearcherFactory(
        slug="-dash", name='=HYPERLINK("http://evil.example/")', bio="@mention", position="+1 team"
    )
    url = "/admin/researchers/researcher/export/"
    form = admin_client.get(url).context["form"]
    fmt = next(value for value, label in form.fields["format"].choices if label.lower() == "csv")
    exported = admin_client.post(
        url, {"format": fmt, **{n: "on" for n in form.fields if n.startswith("researcherresource_")}}
    )
    upload = SimpleUploadedFile("back.csv", exported.content, content_type="text/csv")
    preview = admin_client.post(
        "/admin/researchers/researcher/import/", {"format": fmt, "import_file": upload}
    )
    result = preview.context["result"]
    assert not result.has_errors() and not result.has_validation_errors()
    assert [row.import_type for row in result.rows] == ["skip"]


def test_numbers_stay_numbers_in_an_import_export_resource():
    from researchers.resources import HubResource

    class Counted(HubResource):
        count = fields.Field(column_name="count", widget=widgets.IntegerWidget(coerce_to_string=False))
        label = fields.Field(column_name="label", widget=widgets.CharWidget())

        class Meta:
            model = Institution
            fields = ("count", "label")

        def dehydrate_count(self, obj):
            return -3

        def dehydrate_label(self, obj):
            return "-3"

    dataset = Counted().export(queryset=[InstitutionFactory()])
    assert dataset.dict == [{"count": -3, "label": "'-3"}]


# --- the other CSVs --------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["export_registrations_csv", "export_csv"])
def test_registrations_csv_neutralises_names_addresses_and_titles(admin_client, action):
    event = EventFactory(title="-Scaling talk")
    registration = RegistrationFactory(event=event, name=HOSTILE[0], email="+reader@example.org")
    if action == "export_csv":
        url, selected = "/admin/events/registration/", registration.pk
    else:
        url, selected = "/admin/events/event/", event.pk
    response = admin_client.post(url, {"action": action, "_selected_action": [selected]})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    assert rows[1][:3] == ["'-Scaling talk", "'" + HOSTILE[0], "'+reader@example.org"]


def test_report_csv_neutralises_every_table_it_writes(admin_client):
    import datetime as dt
    from zoneinfo import ZoneInfo

    from reports import queries

    start = dt.datetime(2026, 2, 3, 16, tzinfo=ZoneInfo("Asia/Seoul"))
    EventFactory(series=SeriesFactory(title="@SUM(A1)"), start=start)
    for table in queries.TABLES:
        response = admin_client.get(f"/report/{table}.csv?quarter=2026-Q1")
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
        live = [cell for row in rows for cell in row if cell.startswith(FORMULA_STARTS)]
        assert live == [], table
    rows = list(
        csv.reader(
            io.StringIO(
                admin_client.get("/report/seminars-by-series.csv?quarter=2026-Q1").content.decode("utf-8-sig")
            )
        )
    )
    assert rows[1] == ["'@SUM(A1)", "1"]


def test_no_code_writes_csv_except_through_hubsite_spreadsheets():
    """A new CSV export cannot forget the rule: `csv.writer`/`csv.DictWriter` appear only in
    hubsite/spreadsheets.py (the report and the registrations CSV use its `csv_writer`)."""
    writers = []
    for room in ["hubsite", "researchers", "projects", "events", "visits", "reports"]:
        for path in sorted((Path(settings.BASE_DIR) / room).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if (
                    isinstance(node, ast.Attribute)
                    and isinstance(node.value, ast.Name)
                    and node.value.id == "csv"
                ) and node.attr in ("writer", "DictWriter"):
                    writers.append(str(path.relative_to(settings.BASE_DIR)))
    assert writers == ["hubsite/spreadsheets.py"]
