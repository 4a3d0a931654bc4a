"""The report page and its CSV downloads: access, period input, CSV format, page and CSV agree."""

import csv
import datetime as dt
import io
import zoneinfo
from html.parser import HTMLParser

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports import queries
from reports.forms import recent_quarters
from tests.factories import (
    EventFactory,
    RegistrationFactory,
    SeriesFactory,
    StaffFactory,
    UserFactory,
    VisitFactory,
)
from tests.reports.test_queries import EXPECTED_QUERIES, make_activity
from tests.signin import force_login_with_mfa

pytestmark = pytest.mark.django_db

SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")


class TableParser(HTMLParser):
    """The report's tables as lists of cell texts, keyed by table slug (from the caption id)."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._slug = None
        self._row = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "caption" and (attrs.get("id") or "").startswith("caption-"):
            self._slug = attrs["id"].removeprefix("caption-")
            self.tables[self._slug] = []
        elif tag == "tr" and self._slug:
            self._row = []
        elif tag in ("th", "td") and self._row is not None:
            self._cell = ""

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell is not None:
            self._row.append(self._cell.strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._slug].append(self._row)
            self._row = None
        elif tag == "table":
            self._slug = None


def page_tables(response) -> dict[str, list[list[str]]]:
    parser = TableParser()
    parser.feed(response.content.decode())
    return parser.tables


def csv_rows(response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


@pytest.fixture
def staff_client(client):
    force_login_with_mfa(client, StaffFactory())
    return client


# --- who may see it -----------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/report/", "/report/attendance.csv?year=2026"])
def test_report_sends_anonymous_visitors_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/report/")


@pytest.mark.parametrize("url", ["/report/", "/report/attendance.csv?year=2026"])
def test_report_refuses_signed_in_people_who_are_not_staff(client, url):
    client.force_login(UserFactory())
    assert client.get(url).status_code == 403


def test_report_opens_for_staff_on_the_current_quarter_by_default(staff_client):
    with time_machine.travel(dt.datetime(2026, 8, 15, 12, tzinfo=SEOUL), tick=False):
        response = staff_client.get("/report/")
    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["period"].label == "2026-Q3"
    assert "From 1 Jul 2026 to 30 Sep 2026 (92 days)" in html
    assert html.count('.csv?quarter=2026-Q3"') == len(queries.TABLES)
    assert 'href="/report/attendance.csv?quarter=2026-Q3"' in html
    assert 'name="quarter" value="2026-Q3"' in html


def test_report_for_a_year_and_for_two_dates(staff_client):
    year = staff_client.get("/report/?year=2025")
    dates = staff_client.get("/report/?from=2026-01-15&to=2026-02-14")
    assert (year.status_code, dates.status_code) == (200, 200)
    assert (year.context["period"].first_day, year.context["period"].last_day) == (
        dt.date(2025, 1, 1),
        dt.date(2025, 12, 31),
    )
    assert dates.context["period"].days == 31
    assert 'href="/report/partners.csv?from=2026-01-15&amp;to=2026-02-14"' in dates.content.decode()


def test_unknown_table_is_not_found(staff_client):
    assert staff_client.get("/report/nothing-here.csv?year=2026").status_code == 404


# --- bad periods --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-03-01&to=2026-02-28", "The period ends (28 Feb 2026) before it starts (1 Mar 2026)."),
        ("from=2020-01-01&to=2025-01-01", "A report period can span at most 5 years."),
        ("quarter=2026-Q5", "Write the quarter as year, hyphen, Q and 1 to 4, e.g. 2026-Q3."),
        ("quarter=2026-Q1&year=2026", "Choose one: a quarter, a year, or two dates."),
        ("from=2026-01-01", "Give both dates, from and to, or neither."),
        ("year=1999", "Ensure this value is greater than or equal to 2000."),
        ("from=2026-02-30&to=2026-03-01", "Enter a valid date."),
    ],
)
def test_bad_period_is_refused_with_a_clear_message(staff_client, query, message):
    page = staff_client.get(f"/report/?{query}")
    download = staff_client.get(f"/report/attendance.csv?{query}")
    assert page.status_code == 400
    assert message in page.content.decode()
    assert "period" not in page.context
    assert download.status_code == 400
    assert download.content.decode() == message + "\n"


def test_period_of_five_years_less_a_day_is_accepted(staff_client):
    response = staff_client.get("/report/?from=2020-01-01&to=2024-12-31")
    assert response.status_code == 200
    assert response.context["period"].days == 1827


# --- CSV ----------------------------------------------------------------------------------------


def test_csv_is_utf8_with_bom_named_after_table_and_period(staff_client):
    response = staff_client.get("/report/seminars-by-kind.csv?quarter=2026-Q1")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="hub-report-seminars-by-kind-2026-01-01-2026-03-31.csv"'
    )
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert csv_rows(response)[0] == ["Kind", "Seminars"]


def test_csv_neutralises_cells_a_spreadsheet_would_run_as_formulas(staff_client):
    start = dt.datetime(2026, 2, 3, 16, tzinfo=SEOUL)
    for n, title in enumerate(['=HYPERLINK("http://evil")', "+1", "-2", "@SUM(A1)", "Plain"]):
        EventFactory(series=SeriesFactory(title=title), start=start + dt.timedelta(days=n))

    rows = csv_rows(staff_client.get("/report/seminars-by-series.csv?quarter=2026-Q1"))

    assert sorted(row[0] for row in rows[1:-1]) == sorted(
        ['\'=HYPERLINK("http://evil")', "'+1", "'-2", "'@SUM(A1)", "Plain"]
    )
    assert rows[-1] == ["Total", "5"]


def test_csv_has_the_same_numbers_as_the_page_for_every_table(staff_client):
    seminar = EventFactory(start=dt.datetime(2026, 2, 3, 16, tzinfo=SEOUL))
    RegistrationFactory(event=seminar, checked_in_at=seminar.start)
    RegistrationFactory(event=seminar)
    VisitFactory(first_day=dt.date(2026, 2, 1), last_day=dt.date(2026, 2, 3), status="approved")

    page = page_tables(staff_client.get("/report/?quarter=2026-Q1"))

    assert set(page) == set(queries.TABLES)
    for slug in queries.TABLES:
        rows = csv_rows(staff_client.get(f"/report/{slug}.csv?quarter=2026-Q1"))
        shown = [row for row in page[slug] if row != ["Nothing recorded for this period."]]
        assert rows == shown, slug
    assert page["attendance"][1] == ["Seminar", "1", "2", "1", "50.0"]


# --- the page -----------------------------------------------------------------------------------


def test_report_charts_are_named_images_with_their_figures_as_text(staff_client):
    EventFactory(start=dt.datetime(2026, 2, 3, 16, tzinfo=SEOUL))
    html = staff_client.get("/report/?quarter=2026-Q1").content.decode()
    charts = len([t for t in queries.TABLES if t != "agreements-ending"])
    assert html.count('role="img"') == charts
    assert html.count("<desc id=") == charts
    assert (
        'aria-labelledby="chart-title-seminars-by-kind chart-desc-seminars-by-kind"' in html
        and '<title id="chart-title-seminars-by-kind">Seminars held, by kind</title>' in html
        and '<text x="204.0" y="39" class="bar-value">0</text>' in html
    )


def test_report_page_in_korean(staff_client):
    response = staff_client.get("/report/?quarter=2026-Q1", HTTP_ACCEPT_LANGUAGE="ko")
    html = response.content.decode()
    assert '<html lang="ko">' in html
    assert "활동 보고서" in html
    assert "개최된 세미나 (종류별)" in html


def test_report_page_query_count_is_the_same_at_one_and_many_rows(staff_client):
    make_activity(1)
    staff_client.get("/report/?quarter=2026-Q1")  # warm the session and the site cache
    with CaptureQueriesContext(connection) as one:
        staff_client.get("/report/?quarter=2026-Q1")
    make_activity(10)
    with CaptureQueriesContext(connection) as many:
        staff_client.get("/report/?quarter=2026-Q1")
    # The signed-in user (the session comes from the cache), the staff MFA check, then the tables'.
    assert len(one) == len(many) == 2 + sum(EXPECTED_QUERIES.values())


def test_nav_shows_the_report_to_staff_only(client):
    client.force_login(UserFactory())
    assert 'href="/report/"' not in client.get("/visits/").content.decode()
    force_login_with_mfa(client, StaffFactory())
    assert 'href="/report/"' in client.get("/visits/").content.decode()


def test_admin_index_links_to_the_report(admin_client):
    html = admin_client.get("/admin/").content.decode()
    assert 'href="/report/"' in html


def test_field_with_a_bad_value_is_marked_invalid_and_described_by_its_message(staff_client):
    html = staff_client.get("/report/?quarter=2026-Q9").content.decode()
    assert 'aria-invalid="true" aria-describedby="error-quarter"' in html
    assert '<span class="field-error" id="error-quarter">' in html
    assert '<a href="#id_quarter">Quarter</a>: Write the quarter as' in html


def test_quarter_picker_offers_this_quarter_first_and_three_years_back():
    quarters = recent_quarters(dt.date(2026, 8, 15))
    assert quarters[:4] == ["2026-Q3", "2026-Q2", "2026-Q1", "2025-Q4"]
    assert quarters[-1] == "2023-Q1"
    assert len(quarters) == 15
