"""The activity report for a quarter built from the demo data: known counts, and the CSV agrees."""

import datetime as dt
import zoneinfo

import pytest
import time_machine

from events.seed import seed_seminars
from hubsite import dates
from projects.seed import seed_projects
from reports import queries
from researchers.seed import seed_people
from tests.factories import StaffFactory
from tests.reports.test_views import csv_rows, page_tables
from tests.signin import force_login_with_mfa
from visits.seed import seed_visits

pytestmark = pytest.mark.django_db

# The demo data is laid out around "today": freezing today puts it in a known quarter (2026-Q2).
TODAY = dt.datetime(2026, 5, 20, 12, tzinfo=zoneinfo.ZoneInfo("Asia/Seoul"))

EXPECTED = {
    # Two demo talks took place before 20 May, each on its series' stated day: Omar Al Mansoori
    # on Thursday 14 May (robotics, 10:00) and Ji-won Park on Tuesday 19 May (scaling, 16:00).
    "seminars-by-kind": [["Seminar", "2"], ["Total", "2"]],
    "seminars-by-series": [
        ["International Seminar on Neural Scaling Laws", "1"],
        ["Robotics Foundation Models Seminar", "1"],
        ["Total", "2"],
    ],
    "attendance": [["Seminar", "2", "0", "0", "–"], ["Total", "2", "0", "0", "–"]],
    "visitor-talks": [["Seminar", "2", "0"], ["Total", "2", "0"]],
    # Sarah Chen 16 May-29 Jun (45 days, checked in), Amélie Tremblay 1 Jun-29 Jul (30 days inside),
    # Louis Martin 18-29 May (12 days); Omar Al Mansoori's stay is only submitted.
    "stays-by-country": [
        ["United States of America", "1", "1", "45"],
        ["Canada", "1", "1", "30"],
        ["France", "1", "1", "12"],
        ["Total", "3", "3", "87"],
    ],
    "stays-by-institution": [
        ["Massachusetts Institute of Technology", "Active", "1", "1", "45"],
        ["Mila - Quebec AI Institute", "Active", "1", "1", "30"],
        ["Inria", "Active", "1", "1", "12"],
        ["Total", "", "3", "3", "87"],
    ],
    # The two visitors of the Korean-LLM project (Sarah Chen 45 days, Amélie Tremblay 30) share its
    # project room, both there from 1 to 29 June; Louis Martin has a hot desk in the open lab (12).
    "desk-occupancy": [
        ["Open lab", "12", "12", "0.1", "1", "1.1"],
        ["Project room B", "2", "75", "0.8", "2", "41.2"],
        ["Shared office 301", "4", "0", "0.0", "0", "0.0"],
        ["All visitor workspaces", "18", "87", "1.0", "2", "5.3"],
    ],
    # The agreement with NAVER Cloud (a company) ends on 31 July, 31 days after the quarter: the
    # one agreement ending soon, which staff are to renew.
    "partners": [
        ["University", "3", "0"],
        ["Company", "1", "1"],
        ["Research institute", "2", "0"],
        ["Total", "6", "1"],
    ],
    "agreements-ending": [["NAVER Cloud", "South Korea", "MoU", "31 Jul 2026", "31"]],
    "projects-by-theme": [
        ["Neural scaling laws", "1", "0"],
        ["Robotics foundation models", "1", "1"],
        ["Multilingual language models", "1", "0"],
        ["Total", "2", "1"],
    ],
    "outputs-by-kind": [["Dataset", "1", "1"], ["Total", "1", "1"]],
}


def without_zero_rows(rows):
    """The body rows whose figures are not all zero (or empty), and the total."""
    return [row for row in rows if any(cell not in ("0", "0.0", "–", "") for cell in row[1:])]


def test_demo_quarter_report_gives_the_expected_counts_and_the_csv_agrees(client):
    with time_machine.travel(TODAY, tick=False):
        seed_people()
        seed_projects()
        seed_seminars()
        seed_visits()
        force_login_with_mfa(client, StaffFactory())
        response = client.get("/report/?quarter=2026-Q2")
        downloads = {
            slug: csv_rows(client.get(f"/report/{slug}.csv?quarter=2026-Q2")) for slug in queries.TABLES
        }

    assert response.status_code == 200
    page = page_tables(response)
    figures = {
        slug: without_zero_rows([row for row in rows[1:] if row != ["Nothing recorded for this period."]])
        for slug, rows in page.items()
    }
    # Zero rows are shown too (every kind is listed); they are left out here only to keep this short.
    assert figures == EXPECTED
    # The CSV gives dates as ISO (for machines), the page in the one rule for dates people read.
    for slug, rows in downloads.items():
        rows = [[_as_page_date(cell) for cell in row] for row in rows]
        assert rows == [row for row in page[slug] if row != ["Nothing recorded for this period."]], slug


def _as_page_date(cell: str) -> str:
    try:
        day = dt.date.fromisoformat(cell)
    except ValueError:
        return cell
    return dates.fmt(day, "day")
