import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from researchers.models import Institution, Researcher
from tests.factories import InstitutionFactory, ResearcherFactory, ThemeFactory

pytestmark = pytest.mark.django_db


def csv_file(rows: list[list[str]]) -> SimpleUploadedFile:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return SimpleUploadedFile("data.csv", buffer.getvalue().encode(), content_type="text/csv")


def csv_format(client, url) -> str:
    choices = client.get(url).context["form"].fields["format"].choices
    return next(value for value, label in choices if label.lower() == "csv")


def preview(client, model, rows):
    url = f"/admin/researchers/{model}/import/"
    return client.post(url, {"format": csv_format(client, url), "import_file": csv_file(rows)})


def row_errors(result) -> list[tuple[int, str, list[str]]]:
    errors = []
    for row in result.invalid_rows:
        for field, messages in row.error_dict.items():
            errors.append((row.number, field, [str(m) for m in messages]))
    for number, row_errs in result.row_errors():
        errors.extend((number, "error", [str(e.error)]) for e in row_errs)
    return sorted(errors)


INSTITUTION_HEADER = ["slug", "name", "name_ko", "country", "kind", "partnership_status"]


def test_institution_import_previews_then_imports_on_confirmation(admin_client):
    page = preview(
        admin_client,
        "institution",
        [
            INSTITUTION_HEADER,
            ["kaist", "KAIST", "한국과학기술원", "KR", "university", "active"],
            ["mit", "MIT", "", "US", "university", "active"],
        ],
    )
    assert page.status_code == 200
    result = page.context["result"]
    assert (result.has_errors(), result.has_validation_errors()) == (False, False)
    assert [row.import_type for row in result.rows] == ["new", "new"]
    assert Institution.objects.count() == 0  # only a preview so far

    confirm = page.context["confirm_form"]
    done = admin_client.post("/admin/researchers/institution/process_import/", confirm.initial)
    assert done.status_code == 302
    assert sorted(Institution.objects.values_list("slug", "name_ko", "country")) == [
        ("kaist", "한국과학기술원", "KR"),
        ("mit", "", "US"),
    ]


def test_institution_import_with_bad_rows_shows_row_errors_and_imports_nothing(admin_client):
    page = preview(
        admin_client,
        "institution",
        [
            INSTITUTION_HEADER,
            ["good", "Good University", "", "KR", "university", "active"],
            ["nowhere", "Nowhere U", "", "ZZ", "university", "active"],
            ["odd", "Odd Place", "", "US", "castle", "active"],
        ],
    )
    result = page.context["result"]
    assert row_errors(result) == [
        (2, "country", ["Unknown country code “ZZ”: use a two-letter ISO 3166 code such as KR or US."]),
        (3, "kind", ["Value 'castle' is not a valid choice."]),
    ]
    assert "confirm_form" not in page.context
    assert Institution.objects.count() == 0


def test_institution_import_with_missing_columns_says_which(admin_client):
    page = preview(admin_client, "institution", [["slug", "name"], ["kaist", "KAIST"]])
    result = page.context["result"]
    assert [str(e.error) for e in result.base_errors] == [
        "['The file has no column named: country. The first line must name the columns.']"
    ]
    assert "confirm_form" not in page.context
    assert Institution.objects.count() == 0


RESEARCHER_HEADER = ["slug", "name", "email", "orcid", "institution", "country", "themes"]


def test_researcher_import_links_institutions_and_themes_by_slug(admin_client):
    InstitutionFactory(slug="kaist")
    ThemeFactory(slug="scaling")
    ThemeFactory(slug="robots")
    page = preview(
        admin_client,
        "researcher",
        [
            RESEARCHER_HEADER,
            [
                "ji-won",
                "Ji-won Park",
                "jw@kaist.example",
                "0000-0002-1825-0097",
                "kaist",
                "KR",
                "scaling|robots",
            ],
        ],
    )
    assert page.context["result"].has_validation_errors() is False
    admin_client.post("/admin/researchers/researcher/process_import/", page.context["confirm_form"].initial)
    researcher = Researcher.objects.get()
    assert (researcher.institution.slug, researcher.orcid) == ("kaist", "0000-0002-1825-0097")
    assert sorted(researcher.themes.values_list("slug", flat=True)) == ["robots", "scaling"]


def test_researcher_import_reports_bad_orcid_duplicate_email_and_unknown_institution(admin_client):
    ResearcherFactory(email="taken@example.org")
    page = preview(
        admin_client,
        "researcher",
        [
            RESEARCHER_HEADER,
            ["ok", "Fine Person", "fine@example.org", "", "", "", ""],
            ["bad-orcid", "Bad Orcid", "b@example.org", "0000-0002-1825-0098", "", "", ""],
            ["dup", "Duplicate", "TAKEN@example.org", "", "", "", ""],
            ["lost", "Lost", "l@example.org", "", "atlantis", "", ""],
        ],
    )
    assert row_errors(page.context["result"]) == [
        (2, "orcid", ["This ORCID iD's check digit is wrong; please copy it again from orcid.org."]),
        (3, "__all__", ["Another researcher already has this e-mail address."]),
        (4, "institution", ["No institution has the slug “atlantis”."]),
    ]
    assert "confirm_form" not in page.context
    assert Researcher.objects.count() == 1


def test_researcher_export_to_csv(admin_client):
    ResearcherFactory(
        slug="ji-won", name="Ji-won Park", institution=InstitutionFactory(slug="kaist"), country="KR"
    )
    url = "/admin/researchers/researcher/export/"
    form = admin_client.get(url).context["form"]
    fmt = next(value for value, label in form.fields["format"].choices if label.lower() == "csv")
    data = {"format": fmt, **{name: "on" for name in form.fields if name.startswith("researcherresource_")}}
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(r["slug"], r["name"], r["institution"], r["country"]) for r in rows] == [
        ("ji-won", "Ji-won Park", "kaist", "KR")
    ]
