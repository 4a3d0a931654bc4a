"""The demo data is a showcase and keeps its own word, whatever day it is seeded on.

`seed_demo` lays the demo out around "today". These tests seed it on days chosen to be awkward
(a series' weekday that is a Korean public holiday, the turn of a year, a month's end) and read
the result as a visitor would: every rule below is a promise one page makes about another. Each
rule returns the rows that break it, so a failure names them all.
"""

import datetime as dt
import io
import zoneinfo

import holidays
import pytest
import time_machine
from django.core.management import call_command
from django.db.models import F, Q
from django.utils import timezone

from events.models import Event, EventSpeaker, Series
from projects.models import Project, ProjectMember, ProjectOutput
from researchers.models import Institution, Researcher, Theme
from visits.models import Visit

pytestmark = pytest.mark.django_db

SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")
BULK = "demo-bulk-"
BULK_EVENTS = 45

DAYS = [
    dt.date(2026, 5, 20),  # the quarter the report test pins; Tuesday 5 May was Children's Day
    dt.date(2026, 9, 20),  # Thursday 24 September is the eve of Chuseok
    dt.date(2026, 12, 24),  # Christmas, then New Year's Day
    dt.date(2027, 2, 5),  # Seollal: Tuesday 9 February is a substitute holiday
    dt.date(2028, 2, 29),  # a leap day at a month's end
]


def seed(day: dt.date) -> None:
    with time_machine.travel(dt.datetime.combine(day, dt.time(9), tzinfo=SEOUL), tick=False):
        call_command("seed_demo", events=BULK_EVENTS, stdout=io.StringIO())


def kr_holidays(*years) -> dict:
    return holidays.country_holidays("KR", years=list(years))


def local_day(event: Event) -> dt.date:
    return event.local_start.date()


def themes_of(row) -> set[str]:
    return {theme.slug for theme in row.themes.all()}


# --- The rules ----------------------------------------------------------------------------------


def series_sessions_keep_the_stated_day_and_time(today):
    """A series that states "Tuesdays at 16:00" holds every session on a Tuesday at 16:00 (in its
    zone), for its stated length, in its room, and never on a Korean public holiday."""
    wrong = []
    for event in Event.objects.filter(series__default_weekday__isnull=False).select_related("series"):
        series = event.series
        start = timezone.localtime(event.start, zoneinfo.ZoneInfo(series.time_zone))
        minutes = (event.end - event.start).total_seconds() / 60
        if (start.weekday(), start.time()) != (series.default_weekday, series.default_start_time):
            wrong.append(f"{event.slug}: {start:%a %H:%M}")
        if minutes != series.default_duration_minutes or event.room_id != series.default_room_id:
            wrong.append(f"{event.slug}: {minutes:.0f} minutes in {event.room}")
        if start.date() in kr_holidays(start.year):
            wrong.append(f"{event.slug}: on {kr_holidays(start.year)[start.date()]}")
    return wrong


def demo_talks_fall_on_working_days(today):
    wrong = []
    for event in Event.objects.exclude(slug__startswith=BULK):
        day = local_day(event)
        if day.weekday() >= 5 or day in kr_holidays(day.year):
            wrong.append(f"{event.slug}: {day:%a %Y-%m-%d}")
    return wrong


def event_themes_are_those_of_their_series_or_project(today):
    """A talk is filed under its subject: its themes are among its series' and its project's."""
    wrong = []
    for event in Event.objects.select_related("series", "project"):
        own = themes_of(event)
        allowed = (themes_of(event.series) if event.series else set()) | (
            themes_of(event.project) if event.project else set()
        )
        if not own or (allowed and not own <= allowed):
            wrong.append(f"{event.slug}: {sorted(own)} not in {sorted(allowed)}")
    return wrong


def speakers_work_on_the_talks_theme(today):
    wrong = []
    for link in EventSpeaker.objects.select_related("event", "researcher"):
        if not themes_of(link.researcher) & themes_of(link.event):
            wrong.append(f"{link.event.slug}: {link.researcher.slug}")
    return wrong


def demo_speakers_have_a_profile_at_a_partner(today):
    """Every speaker of a demo talk is a speaker with a public profile, from an active partner;
    everyone flagged as a speaker gives a demo talk."""
    wrong = []
    talks = EventSpeaker.objects.exclude(event__slug__startswith=BULK).select_related(
        "researcher__institution"
    )
    speakers = set()
    for link in talks:
        person = link.researcher
        speakers.add(person.pk)
        partner = person.institution
        if not (person.is_speaker and person.listed_publicly and partner and partner.is_public):
            wrong.append(f"{person.slug} has no public speaker profile")
        elif partner.partnership_status != Institution.PartnershipStatus.ACTIVE:
            wrong.append(f"{person.slug}: {partner.slug} is not an active partner")
    flagged = set(Researcher.objects.filter(is_speaker=True).values_list("pk", flat=True))
    wrong += [f"speaker without a talk: {Researcher.objects.get(pk=pk).slug}" for pk in flagged - speakers]
    return wrong


def visitors_talk_during_their_stay(today):
    """A visiting researcher's talk falls inside one of their stays; a stay's seminar is the
    visitor's own and falls inside it."""
    wrong = []
    for link in EventSpeaker.objects.filter(researcher__is_visiting=True).select_related(
        "event", "researcher"
    ):
        day = local_day(link.event)
        stays = link.researcher.visits.filter(
            status__in=Visit.DESK_HOLDING, first_day__lte=day, last_day__gte=day
        )
        if not stays.exists():
            wrong.append(f"{link.event.slug} on {day} is outside the stays of {link.researcher.slug}")
    for visit in Visit.objects.filter(seminar_event__isnull=False).select_related("seminar_event"):
        event = visit.seminar_event
        if not visit.first_day <= local_day(event) <= visit.last_day:
            wrong.append(f"stay of {visit.researcher.slug}: seminar {event.slug} on {local_day(event)}")
        if not event.speaker_links.filter(researcher=visit.researcher).exists():
            wrong.append(f"stay of {visit.researcher.slug}: seminar {event.slug} is someone else's")
    return wrong


def stays_fit_their_hosts_projects_dates_and_desks(today):
    wrong = []
    for visit in Visit.objects.select_related("researcher", "host", "project", "workspace"):
        who = f"stay of {visit.researcher.slug}"
        if not visit.host.is_hub_member or visit.researcher.is_hub_member:
            wrong.append(f"{who}: host {visit.host.slug} is not a hub member, or the visitor is")
        if not themes_of(visit) & themes_of(visit.host):
            wrong.append(f"{who}: {visit.host.slug} works on none of {sorted(themes_of(visit))}")
        if visit.institution_id != visit.researcher.institution_id:
            wrong.append(f"{who}: institution {visit.institution} is not the visitor's")
        if visit.nationality and visit.nationality != visit.researcher.country:
            wrong.append(f"{who}: nationality {visit.nationality}")
        if visit.project is not None:
            members = set(visit.project.memberships.values_list("researcher__slug", flat=True))
            if {visit.host.slug, visit.researcher.slug} - members:
                wrong.append(f"{who}: not both members of {visit.project.slug}")
            if visit.project.status != Project.Status.ACTIVE or not themes_of(visit) & themes_of(
                visit.project
            ):
                wrong.append(f"{who}: project {visit.project.slug} is not active or on another theme")
        expected = {
            Visit.Status.CHECKED_IN: visit.first_day <= today <= visit.last_day,
            Visit.Status.APPROVED: today < visit.first_day,
            Visit.Status.ENDORSED: today < visit.first_day,
            Visit.Status.SUBMITTED: today < visit.first_day,
            Visit.Status.COMPLETED: visit.last_day < today,
        }
        if not expected.get(visit.status, True):
            wrong.append(f"{who}: {visit.status} from {visit.first_day} to {visit.last_day} on {today}")
        if visit.holds_desks and visit.needs_desk:
            days = set(visit.allocations.filter(workspace=visit.workspace).values_list("day", flat=True))
            if len(days) != visit.days or not visit.workspace.visitors_allowed:
                wrong.append(f"{who}: {len(days)} desk-days in {visit.workspace} for {visit.days} days")
    for person in Researcher.objects.all():
        current = person.visits.filter(status__in=Visit.DESK_HOLDING, last_day__gte=today).exists()
        if person.is_visiting != current:
            wrong.append(f"{person.slug}: 'visiting researcher' is {person.is_visiting}, a stay: {current}")
    return wrong


def projects_fit_their_dates_members_partners_and_outputs(today):
    wrong = []
    for project in Project.objects.select_related("lead"):
        start, end = project.start_date, project.end_date
        if project.status == Project.Status.ACTIVE and not (start <= today and (end is None or today <= end)):
            wrong.append(f"{project.slug}: active from {start} to {end} on {today}")
        if project.status == Project.Status.COMPLETED and not (end and end < today):
            wrong.append(f"{project.slug}: completed but ends {end}")
        lead = ProjectMember.objects.filter(project=project, researcher=project.lead, role="lead")
        if not (project.lead.is_hub_member and lead.exists()):
            wrong.append(f"{project.slug}: lead {project.lead.slug}")
        for member in project.memberships.select_related("researcher"):
            if not themes_of(member.researcher) & themes_of(project):
                wrong.append(f"{project.slug}: member {member.researcher.slug} works on other themes")
        for link in project.partner_links.select_related("institution"):
            partner = link.institution
            if not (partner.partnership_start <= start <= partner.agreement_end):
                wrong.append(f"{project.slug} starts {start}, outside the partnership with {partner.slug}")
        last_year = min((end or today).year, today.year)
        for output in project.outputs.all():
            if not start.year <= output.year <= last_year:
                wrong.append(f"{project.slug}: output {output.title!r} of {output.year}")
            if output.arxiv_id and not output.arxiv_id.startswith(f"{output.year % 100:02d}"):
                wrong.append(f"{project.slug}: arXiv {output.arxiv_id} in {output.year}")
        for event in project.events.all():
            if not (start <= local_day(event) and (end is None or local_day(event) <= end)):
                wrong.append(f"{project.slug}: seminar {event.slug} on {local_day(event)}")
    return wrong


def partnerships_hold_today(today):
    wrong = []
    for partner in Institution.objects.filter(partnership_status=Institution.PartnershipStatus.ACTIVE):
        if not partner.partnership_start <= today <= partner.agreement_end:
            wrong.append(f"{partner.slug}: {partner.partnership_start} to {partner.agreement_end} on {today}")
    return wrong


def series_are_organised_by_hub_members_on_their_theme(today):
    wrong = []
    for series in Series.objects.filter(default_weekday__isnull=False):
        for person in series.organisers.all():
            if not person.is_hub_member or not themes_of(person) & themes_of(series):
                wrong.append(f"{series.slug}: organiser {person.slug}")
    return wrong


def nothing_is_dated_impossibly(today):
    """Announced before it happened, never in the future; outputs not from a year to come."""
    now = timezone.now()
    wrong = [
        f"{event.slug}: published {event.published_at:%Y-%m-%d} for {event.start:%Y-%m-%d}"
        for event in Event.objects.exclude(published_at=None).filter(
            Q(published_at__gt=now) | Q(published_at__gt=F("start"))
        )
    ]
    wrong += [f"output {o.title!r} of {o.year}" for o in ProjectOutput.objects.filter(year__gt=today.year)]
    return wrong


def korean_names_are_given(today):
    wrong = []
    for model, field in (
        (Theme, "name"),
        (Institution, "name"),
        (Researcher, "name"),
        (Series, "title"),
        (Event, "title"),
        (Project, "title"),
    ):
        wrong += [
            f"{model.__name__} {value!r}"
            for value in model.objects.filter(**{f"{field}_ko": ""}).values_list(field, flat=True)
        ]
    return wrong


RULES = [
    series_sessions_keep_the_stated_day_and_time,
    demo_talks_fall_on_working_days,
    event_themes_are_those_of_their_series_or_project,
    speakers_work_on_the_talks_theme,
    demo_speakers_have_a_profile_at_a_partner,
    visitors_talk_during_their_stay,
    stays_fit_their_hosts_projects_dates_and_desks,
    projects_fit_their_dates_members_partners_and_outputs,
    partnerships_hold_today,
    series_are_organised_by_hub_members_on_their_theme,
    nothing_is_dated_impossibly,
    korean_names_are_given,
]


def broken_rules(day: dt.date) -> dict[str, list[str]]:
    with time_machine.travel(dt.datetime.combine(day, dt.time(9), tzinfo=SEOUL), tick=False):
        today = timezone.localdate()
        found = {rule.__name__: rule(today) for rule in RULES}
    return {name: problems for name, problems in found.items() if problems}


@pytest.mark.parametrize("day", DAYS, ids=[day.isoformat() for day in DAYS])
def test_demo_keeps_its_word_when_seeded_on(day):
    seed(day)
    assert broken_rules(day) == {}


def test_demo_seeded_again_later_is_laid_out_again_and_keeps_its_word():
    """`make run` seeds on every start: a week, a month and a season later the demo is the same
    size and still consistent (talks moved without a room clash, stays laid out again)."""
    first = dt.date(2026, 5, 20)
    seed(first)
    sizes = [model.objects.count() for model in (Event, Visit, Project, Institution, Researcher)]
    for later in (
        first + dt.timedelta(days=7),
        first + dt.timedelta(days=45),
        first + dt.timedelta(days=130),
    ):
        seed(later)
        assert (later, broken_rules(later)) == (later, {})
        assert [model.objects.count() for model in (Event, Visit, Project, Institution, Researcher)] == sizes
    seed(first)  # and back: the talks move the other way
    assert broken_rules(first) == {}


def test_demo_upcoming_talks_on_the_home_page_and_series_days_as_stated(client):
    """What a visitor reads: the series page states the day, and its upcoming sessions are on it."""
    seed(dt.date(2026, 5, 20))
    with time_machine.travel(dt.datetime(2026, 5, 20, 9, tzinfo=SEOUL), tick=False):
        html = client.get("/series/scaling-laws-seminar/").content.decode()
        upcoming = list(Event.objects.filter(series__slug="scaling-laws-seminar", start__gt=timezone.now()))
    assert "Tuesdays at 16:00 (Asia/Seoul)" in html
    assert [(e.slug, e.local_start.strftime("%a %Y-%m-%d %H:%M")) for e in upcoming] == [
        ("demo-1", "Tue 2026-05-26 16:00"),
        ("demo-2", "Tue 2026-06-02 16:00"),
    ]
