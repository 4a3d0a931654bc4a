"""Every figure of the activity report, from known data, with the exact numbers expected."""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events.models import Event, EventSpeaker
from projects.models import Project, ProjectOutput
from reports import queries
from reports.period import dates_period, quarter_period, year_period
from researchers.models import Institution
from tests.factories import (
    EventFactory,
    EventSpeakerFactory,
    InstitutionFactory,
    ProjectFactory,
    ProjectOutputFactory,
    RegistrationFactory,
    SeriesFactory,
    ThemeFactory,
    VisitFactory,
    VisitorFactory,
    WorkspaceFactory,
)
from visits.models import DeskAllocation, Visit

pytestmark = pytest.mark.django_db

SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")
Q1 = quarter_period("2026-Q1")  # 2026-01-01 .. 2026-03-31, in the past for these tests


def at(year, month, day, hour=16, minute=0):
    return dt.datetime(year, month, day, hour, minute, tzinfo=SEOUL)


def event(start, **kwargs):
    return EventFactory(start=start, end=start + dt.timedelta(hours=1), **kwargs)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


# --- the period ---------------------------------------------------------------------------------


def test_quarter_period_covers_whole_days_of_the_quarter():
    period = quarter_period("2026-Q4")
    assert (period.first_day, period.last_day, period.days) == (d("2026-10-01"), d("2026-12-31"), 92)
    assert period.start == dt.datetime(2026, 10, 1, tzinfo=SEOUL)
    assert period.end == dt.datetime(2027, 1, 1, tzinfo=SEOUL)
    assert Q1.days == 90


def test_year_and_dates_periods_carry_their_parameters():
    assert year_period(2025).params == (("year", "2025"),)
    assert year_period(2025).days == 365
    period = dates_period(d("2025-07-01"), d("2026-03-31"))
    assert period.params == (("from", "2025-07-01"), ("to", "2026-03-31"))
    assert period.years == [2025, 2026]


# --- seminars -----------------------------------------------------------------------------------


def test_seminars_by_kind_counts_published_events_that_started_in_the_period():
    event(at(2026, 1, 1, 0, 30))  # 2025-12-31 15:30 UTC: inside, the period is in Seoul time
    event(at(2026, 3, 31, 23, 0))
    event(at(2026, 2, 2), kind=Event.Kind.LECTURE)
    event(at(2026, 2, 3), status=Event.Status.CANCELLED, cancellation_reason="Ill")
    event(at(2026, 2, 4), status=Event.Status.DRAFT, published_at=None)
    event(at(2026, 4, 1, 0, 0))  # the first instant after the period
    event(at(2025, 12, 31, 23, 59))

    table = queries.seminars_by_kind(Q1)

    assert table.rows == [["Seminar", 2], ["Lecture", 1], ["Workshop", 0], ["Colloquium", 0], ["Social", 0]]
    assert table.total == ["Total", 3]


def test_seminars_held_leave_out_those_that_have_not_started_yet():
    event(at(2026, 8, 10))
    event(at(2026, 8, 20))
    with time_machine.travel(at(2026, 8, 15), tick=False):
        table = queries.seminars_by_kind(quarter_period("2026-Q3"))
    assert table.total == ["Total", 1]


def test_seminars_by_series_puts_the_largest_first_and_events_in_no_series_last():
    small, large = SeriesFactory(title="Alpha talks"), SeriesFactory(title="Zeta talks")
    event(at(2026, 1, 5), series=large)
    event(at(2026, 1, 12), series=large)
    event(at(2026, 1, 19), series=small)
    event(at(2026, 1, 26), series=None)
    event(at(2026, 5, 1), series=small)

    table = queries.seminars_by_series(Q1)

    assert table.rows == [["Zeta talks", 2], ["Alpha talks", 1], ["No series", 1]]
    assert table.total == ["Total", 4]


def test_attendance_counts_confirmed_registrations_and_check_ins():
    seminar = event(at(2026, 2, 10))
    for checked_in in (True, True, False):
        RegistrationFactory(event=seminar, checked_in_at=at(2026, 2, 10) if checked_in else None)
    RegistrationFactory(event=seminar, status="waiting", queued_at=at(2026, 2, 1))
    RegistrationFactory(event=seminar, status="cancelled")
    RegistrationFactory(event=seminar, status="pending")
    lecture = event(at(2026, 3, 10), kind=Event.Kind.LECTURE)
    RegistrationFactory(event=lecture)
    RegistrationFactory(
        event=event(at(2026, 3, 11), status=Event.Status.CANCELLED, cancellation_reason="Ill")
    )

    table = queries.attendance(Q1)

    assert table.rows == [
        ["Seminar", 1, 3, 2, 66.7],
        ["Lecture", 1, 1, 0, 0.0],
        ["Workshop", 0, 0, 0, "–"],
        ["Colloquium", 0, 0, 0, "–"],
        ["Social", 0, 0, 0, "–"],
    ]
    assert table.total == ["Total", 2, 4, 2, 50.0]


def test_visitor_talks_count_speakers_staying_that_day_and_seminars_proposed_by_stays():
    first, second, third, fourth = (VisitorFactory() for _ in range(4))
    VisitFactory(researcher=first, first_day=d("2026-02-01"), last_day=d("2026-02-10"), status="approved")
    VisitFactory(researcher=second, first_day=d("2026-02-01"), last_day=d("2026-02-28"), status="submitted")
    VisitFactory(researcher=third, first_day=d("2026-02-25"), last_day=d("2026-03-05"), status="completed")
    VisitFactory(researcher=fourth, first_day=d("2026-02-20"), last_day=d("2026-02-25"), status="checked_in")

    EventSpeakerFactory(event=event(at(2026, 2, 10)), researcher=first)  # on the last day
    EventSpeakerFactory(event=event(at(2026, 2, 11)), researcher=first)  # the stay had ended
    EventSpeakerFactory(
        event=event(at(2026, 2, 5), kind=Event.Kind.LECTURE), researcher=second
    )  # not approved
    EventSpeakerFactory(event=event(at(2026, 3, 1)), researcher=third, role=EventSpeaker.Role.CHAIR)
    # 08:00 in Seoul on the first day of the stay is still the day before in UTC.
    EventSpeakerFactory(event=event(at(2026, 2, 20, 8, 0)), researcher=fourth)
    proposed = event(at(2026, 3, 10), kind=Event.Kind.COLLOQUIUM)
    VisitFactory(
        first_day=d("2026-04-01"), last_day=d("2026-04-10"), status="approved", seminar_event=proposed
    )
    declined = event(at(2026, 3, 12), kind=Event.Kind.WORKSHOP)
    VisitFactory(
        first_day=d("2026-03-01"), last_day=d("2026-03-20"), status="declined", seminar_event=declined
    )

    table = queries.visitor_talks(Q1)

    assert table.rows == [
        ["Seminar", 4, 2],
        ["Lecture", 1, 0],
        ["Workshop", 1, 0],
        ["Colloquium", 1, 1],
        ["Social", 0, 0],
    ]
    assert table.total == ["Total", 7, 3]


# --- stays --------------------------------------------------------------------------------------


@pytest.fixture
def stays():
    partner = InstitutionFactory(name="Partner University")
    other = InstitutionFactory(
        name="Other Institute", partnership_status=Institution.PartnershipStatus.PROSPECTIVE
    )
    korean = VisitorFactory(country="KR", institution=partner)
    french = VisitorFactory(country="FR", institution=partner)
    unknown = VisitorFactory(country="", institution=None)
    # 10 days inside (Jan 1-10), then 7 (Mar 25-31) after moving to another institution.
    VisitFactory(researcher=korean, first_day=d("2025-12-20"), last_day=d("2026-01-10"), status="approved")
    VisitFactory(
        researcher=korean,
        institution=other,
        institution_name=other.name,
        first_day=d("2026-03-25"),
        last_day=d("2026-04-05"),
        status="completed",
    )
    VisitFactory(researcher=french, first_day=d("2026-02-01"), last_day=d("2026-02-14"), status="checked_in")
    VisitFactory(first_day=d("2026-02-01"), last_day=d("2026-02-14"), status="declined")
    VisitFactory(first_day=d("2026-02-01"), last_day=d("2026-02-14"), status="submitted")
    VisitFactory(researcher=french, first_day=d("2026-04-01"), last_day=d("2026-04-30"), status="approved")
    VisitFactory(
        researcher=unknown,
        institution=None,
        institution_name="Freelance",
        first_day=d("2026-01-01"),
        last_day=d("2026-01-01"),
        status="approved",
    )


def test_stays_by_country_count_only_the_days_inside_the_period(stays):
    table = queries.stays_by_country(Q1)

    assert table.rows == [["South Korea", 1, 2, 17], ["France", 1, 1, 14], ["Not given", 1, 1, 1]]
    assert table.total == ["Total", 3, 4, 32]


def test_stays_by_institution_use_the_institution_at_the_time(stays):
    table = queries.stays_by_institution(Q1)

    assert table.rows == [
        ["Partner University", "Active", 2, 2, 24],
        ["Other Institute", "Prospective", 1, 1, 7],
        ["Freelance", "", 1, 1, 1],
    ]
    assert table.total == ["Total", "", 3, 4, 32]


def test_desk_occupancy_gives_average_and_peak_against_visitor_capacity():
    big = WorkspaceFactory(name="Desk room A", desks=4)
    small = WorkspaceFactory(name="Desk room B", desks=2)
    staff_only = WorkspaceFactory(name="Staff office", desks=6, visitors_allowed=False)

    def allocate(workspace, first, last, status="approved"):
        visit = VisitFactory(first_day=d(first), last_day=d(last), status=status, workspace=workspace)
        day = visit.first_day
        while day <= visit.last_day:
            DeskAllocation.objects.create(visit=visit, workspace=workspace, day=day)
            day += dt.timedelta(days=1)

    allocate(big, "2026-01-30", "2026-02-05")  # 5 of its 7 days inside
    allocate(big, "2026-02-03", "2026-02-04", status="checked_in")
    allocate(small, "2026-02-03", "2026-02-03", status="completed")
    allocate(staff_only, "2026-02-01", "2026-02-10")
    allocate(big, "2026-02-06", "2026-02-06", status="cancelled")

    table = queries.desk_occupancy(dates_period(d("2026-02-01"), d("2026-02-10")))

    assert table.rows == [["Desk room A", 4, 7, 0.7, 2, 17.5], ["Desk room B", 2, 1, 0.1, 1, 5.0]]
    assert table.total == ["All visitor workspaces", 6, 8, 0.8, 3, 13.3]


# --- partners -----------------------------------------------------------------------------------


def test_partners_and_agreements_ending_within_90_days_after_the_period():
    soon = InstitutionFactory(
        name="Ends Soon University", agreement_kind="MoU", agreement_end=d("2026-06-29")
    )
    InstitutionFactory(partnership_start=d("2026-03-31"), agreement_end=d("2026-06-30"))
    InstitutionFactory(kind=Institution.Kind.COMPANY, agreement_end=d("2026-03-31"))
    InstitutionFactory(kind=Institution.Kind.COMPANY, partnership_start=d("2026-04-01"))
    InstitutionFactory(kind="institute", partnership_status="prospective", agreement_end=d("2026-05-01"))
    InstitutionFactory(kind="government", partnership_status="past", agreement_end=d("2026-05-01"))

    table = queries.partners(Q1)
    ending = queries.agreements_ending(Q1)

    assert table.rows == [
        ["University", 2, 1],
        ["Company", 1, 0],
        ["Research institute", 0, 0],
        ["Government", 0, 0],
        ["Non-profit", 0, 0],
    ]
    assert table.total == ["Total", 3, 1]
    assert ending.rows == [[soon.name, "United States of America", "MoU", d("2026-06-29"), 90]]


# --- projects and outputs -----------------------------------------------------------------------


def test_projects_by_theme_count_projects_active_in_the_period_and_outputs_of_its_years():
    first, second, third = (ThemeFactory(ordering=n) for n in (1, 2, 3))
    both = ProjectFactory(start_date=d("2025-01-01"))
    both.themes.set([first, second])
    ended = ProjectFactory(
        status=Project.Status.COMPLETED, start_date=d("2024-01-01"), end_date=d("2025-12-31")
    )
    ended.themes.set([third])
    just = ProjectFactory(
        status=Project.Status.COMPLETED, start_date=d("2025-06-01"), end_date=d("2026-01-01")
    )
    just.themes.set([first])
    ProjectFactory(status=Project.Status.PROPOSED, start_date=None).themes.set([first])
    ProjectFactory(start_date=d("2026-04-01")).themes.set([first])
    no_theme = ProjectFactory(start_date=None)
    ProjectOutputFactory(project=both, year=2026)
    ProjectOutputFactory(project=both, year=2026, kind=ProjectOutput.Kind.DATASET)
    ProjectOutputFactory(project=both, year=2025)
    ProjectOutputFactory(project=ended, year=2026, kind=ProjectOutput.Kind.SOFTWARE)
    ProjectOutputFactory(project=no_theme, year=2026, kind=ProjectOutput.Kind.TALK)

    table = queries.projects_by_theme(Q1)

    assert table.rows == [
        [first.name, 2, 2],
        [second.name, 1, 2],
        [third.name, 0, 1],
        ["No theme", 1, 1],
    ]
    assert table.total == ["Total", 3, 4]


def test_outputs_by_kind_have_a_column_per_year_the_period_touches():
    for year, kind in [(2025, "paper"), (2025, "paper"), (2026, "paper"), (2026, "dataset")]:
        ProjectOutputFactory(year=year, kind=kind)
    ProjectOutputFactory(year=2024, kind="patent")
    ProjectOutputFactory(year=2027, kind="software")

    table = queries.outputs_by_kind(dates_period(d("2025-07-01"), d("2026-03-31")))

    assert table.columns == ["Kind", "2025", "2026", "Total"]
    assert table.rows == [
        ["Paper", 2, 1, 3],
        ["Preprint", 0, 0, 0],
        ["Dataset", 0, 1, 1],
        ["Software", 0, 0, 0],
        ["Patent", 0, 0, 0],
        ["Talk", 0, 0, 0],
    ]
    assert table.total == ["Total", 2, 2, 4]
    assert table.chart_column == 3


# --- a constant number of queries ---------------------------------------------------------------


def make_activity(count: int) -> None:
    """`count` of everything the report reads, all inside 2026-Q1."""
    workspace = WorkspaceFactory(desks=count + 2)
    for n in range(count):
        theme = ThemeFactory()
        institution = InstitutionFactory(agreement_end=d("2026-05-01"))
        visitor = VisitorFactory(institution=institution, country="DE")
        visit = VisitFactory(
            researcher=visitor,
            first_day=d("2026-02-01"),
            last_day=d("2026-02-05"),
            status=Visit.Status.APPROVED,
            workspace=workspace,
        )
        for day in range(1, 6):
            DeskAllocation.objects.create(visit=visit, workspace=workspace, day=d(f"2026-02-0{day}"))
        seminar = event(at(2026, 2, 2, 9 + n % 8, 0), series=SeriesFactory(), kind=Event.Kind.SEMINAR)
        seminar.themes.set([theme])
        EventSpeakerFactory(event=seminar, researcher=visitor)
        RegistrationFactory(event=seminar, checked_in_at=at(2026, 2, 2))
        project = ProjectFactory()
        project.themes.set([theme])
        ProjectOutputFactory(project=project, year=2026)


EXPECTED_QUERIES = {
    "seminars-by-kind": 1,
    "seminars-by-series": 1,
    "attendance": 1,
    "visitor-talks": 1,
    "stays-by-country": 1,
    "stays-by-institution": 1,
    "desk-occupancy": 2,
    "partners": 1,
    "agreements-ending": 1,
    "projects-by-theme": 5,
    "outputs-by-kind": 1,
}


def test_every_table_has_an_expected_query_count():
    assert set(EXPECTED_QUERIES) == set(queries.TABLES)


@pytest.mark.parametrize("slug", list(EXPECTED_QUERIES))
def test_table_query_count_is_the_same_at_one_and_at_many_rows(slug):
    build = queries.TABLES[slug]
    make_activity(1)
    with CaptureQueriesContext(connection) as one:
        small = build(Q1)
    make_activity(12)
    with CaptureQueriesContext(connection) as many:
        large = build(Q1)
    assert (len(one), len(many)) == (EXPECTED_QUERIES[slug], EXPECTED_QUERIES[slug])
    assert large.all_rows != small.all_rows  # the larger data did reach the table
