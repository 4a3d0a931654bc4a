"""The activity report's figures: one function per table, pure reads, a fixed number of queries each.

Every function takes a `Period` and returns a `Table`. Rows are grouped in the database (or, for
stays, fetched as one flat list of dates and clipped to the period here), so the number of queries
never depends on how many rows there are. The definitions are written out in docs/architecture.md
(the reports room); the short form is in each docstring.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from events.models import Event, EventSpeaker, Registration
from hubsite import dates
from hubsite.i18n import in_reader_language
from projects.models import Project, ProjectOutput
from researchers.models import Institution, Theme
from visits.models import DeskAllocation, Visit, Workspace

from .period import HUB_ZONE, Period

# Agreements ending within this many days after the period's last day are "ending soon".
AGREEMENT_WINDOW_DAYS = 90
COUNTED_STAYS = Visit.DESK_HOLDING  # approved, checked in, completed


@dataclass
class Table:
    slug: str
    title: str
    description: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    total: list | None = None
    # The column drawn as bars against the labels of column 0 (None: no chart for this table).
    chart_column: int | None = 1

    @property
    def all_rows(self) -> list[list]:
        return [*self.rows, self.total] if self.total else list(self.rows)


_pick = in_reader_language  # names in the reader's language (hubsite.i18n), from values_list rows


def _percent(part: int | float, whole: int | float) -> float | str:
    return round(100 * part / whole, 1) if whole else "–"


def held_seminars(period: Period):
    """Published events (any kind, any visibility) that started in the period and not after now."""
    until = min(period.end, timezone.now())
    return Event.objects.filter(status=Event.Status.PUBLISHED, start__gte=period.start, start__lt=until)


# --- Seminars -----------------------------------------------------------------------------------


def seminars_by_kind(period: Period) -> Table:
    """Seminars held in the period, by kind (one query)."""
    counts = dict(held_seminars(period).order_by().values_list("kind").annotate(n=Count("pk")))
    rows = [[str(label), counts.get(value, 0)] for value, label in Event.Kind.choices]
    return Table(
        slug="seminars-by-kind",
        title=str(_("Seminars held, by kind")),
        description=str(_("Published events that took place in the period; cancelled ones are not counted.")),
        columns=[str(_("Kind")), str(_("Seminars"))],
        rows=rows,
        total=[str(_("Total")), sum(counts.values())],
    )


def seminars_by_series(period: Period) -> Table:
    """Seminars held in the period, by series, the largest first; events in no series last (one query)."""
    grouped = (
        held_seminars(period)
        .order_by()
        .values_list("series_id", "series__title", "series__title_ko")
        .annotate(n=Count("pk"))
    )
    rows, alone = [], 0
    for series_id, title, title_ko, n in grouped:
        if series_id is None:
            alone = n
        else:
            rows.append([_pick(title, title_ko), n])
    rows.sort(key=lambda row: (-row[1], row[0].casefold()))
    if alone:
        rows.append([str(_("No series")), alone])
    return Table(
        slug="seminars-by-series",
        title=str(_("Seminars held, by series")),
        description=str(_("The same seminars, by the series they belong to.")),
        columns=[str(_("Series")), str(_("Seminars"))],
        rows=rows,
        total=[str(_("Total")), sum(row[1] for row in rows)],
    )


def attendance(period: Period) -> Table:
    """Registrations (confirmed seats) and attendance (checked in) at the seminars held (one query)."""
    grouped = {
        kind: (seminars, registered, checked_in)
        for kind, seminars, registered, checked_in in held_seminars(period)
        .order_by()
        .values_list("kind")
        .annotate(
            seminars=Count("pk", distinct=True),
            registered=Count(
                "registrations", filter=Q(registrations__status=Registration.Status.CONFIRMED), distinct=True
            ),
            checked_in=Count(
                "registrations", filter=Q(registrations__checked_in_at__isnull=False), distinct=True
            ),
        )
    }
    rows = []
    for value, label in Event.Kind.choices:
        seminars, registered, checked_in = grouped.get(value, (0, 0, 0))
        rows.append([str(label), seminars, registered, checked_in, _percent(checked_in, registered)])
    totals = [sum(row[i] for row in rows) for i in (1, 2, 3)]
    return Table(
        slug="attendance",
        title=str(_("Registrations and attendance")),
        description=str(
            _(
                "Registrations: confirmed seats, in person or online. Attended: registrations "
                "checked in at the door. Waiting lists, cancelled and unconfirmed registrations "
                "are not counted."
            )
        ),
        columns=[str(_("Kind")), str(_("Seminars")), str(_("Registrations")), str(_("Attended")), "%"],
        rows=rows,
        total=[str(_("Total")), *totals, _percent(totals[2], totals[1])],
        chart_column=3,
    )


def visitor_talks(period: Period) -> Table:
    """Seminars held in the period that were talks by visitors, by kind (one query).

    A talk by a visitor: a seminar held in the period with a speaker (role "speaker") who had a
    counted stay (approved, checked in or completed) covering the seminar's day in the hub's time
    zone, or the seminar is the one a counted stay proposed (`Visit.seminar_event`). The
    "visiting researcher" flag on a profile is not used: it says what someone is now, not then.
    """
    day = TruncDate("start", tzinfo=HUB_ZONE)
    by_staying_speaker = EventSpeaker.objects.filter(
        event=OuterRef("pk"),
        role=EventSpeaker.Role.SPEAKER,
        researcher__visits__status__in=COUNTED_STAYS,
        researcher__visits__first_day__lte=OuterRef("day"),
        researcher__visits__last_day__gte=OuterRef("day"),
    )
    from_a_stay = Visit.objects.filter(seminar_event=OuterRef("pk"), status__in=COUNTED_STAYS)
    grouped = {
        kind: (seminars, by_visitors)
        for kind, seminars, by_visitors in held_seminars(period)
        .annotate(day=day)
        .annotate(by_visitor=Exists(by_staying_speaker) | Exists(from_a_stay))
        .order_by()
        .values_list("kind")
        .annotate(seminars=Count("pk"), by_visitors=Count("pk", filter=Q(by_visitor=True)))
    }
    rows = []
    for value, label in Event.Kind.choices:
        seminars, by_visitors = grouped.get(value, (0, 0))
        rows.append([str(label), seminars, by_visitors])
    return Table(
        slug="visitor-talks",
        title=str(_("Talks by visitors")),
        description=str(
            _(
                "Seminars held in the period with a speaker who was staying at the hub that day "
                "(an approved, checked-in or completed stay), or that a stay proposed."
            )
        ),
        columns=[str(_("Kind")), str(_("Seminars")), str(_("Talks by visitors"))],
        rows=rows,
        total=[str(_("Total")), sum(r[1] for r in rows), sum(r[2] for r in rows)],
        chart_column=2,
    )


# --- Stays --------------------------------------------------------------------------------------


def _counted_stays(period: Period, *fields: str):
    return (
        Visit.objects.filter(
            status__in=COUNTED_STAYS, first_day__lte=period.last_day, last_day__gte=period.first_day
        )
        .order_by()
        .values_list("researcher_id", "first_day", "last_day", *fields)
    )


def _days_inside(period: Period, first: dt.date, last: dt.date) -> int:
    return (min(last, period.last_day) - max(first, period.first_day)).days + 1


def _stay_rows(period: Period, stays, key_of) -> tuple[dict, list]:
    """Visitors (distinct), stays and visitor-days per group, and the same for the whole period."""
    groups: dict = defaultdict(lambda: [set(), 0, 0])
    overall = [set(), 0, 0]
    for researcher_id, first, last, *rest in stays:
        days = _days_inside(period, first, last)
        for bucket in (groups[key_of(rest)], overall):
            bucket[0].add(researcher_id)
            bucket[1] += 1
            bucket[2] += days
    return groups, [len(overall[0]), overall[1], overall[2]]


def stays_by_country(period: Period) -> Table:
    """Stays and visitor-days by the visitor's country (one query); days outside the period are cut."""
    groups, overall = _stay_rows(period, _counted_stays(period, "researcher__country"), lambda r: r[0])
    rows = [
        [countries.name(code) if code else str(_("Not given")), len(v[0]), v[1], v[2]]
        for code, v in groups.items()
    ]
    rows.sort(key=lambda row: (-row[3], row[0]))
    return Table(
        slug="stays-by-country",
        title=str(_("Stays and visitor-days, by country")),
        description=str(
            _(
                "Approved, checked-in and completed stays that overlap the period, by the visitor's country. "
                "Visitor-days count only the days of each stay inside the period."
            )
        ),
        columns=[str(_("Country")), str(_("Visitors")), str(_("Stays")), str(_("Visitor-days"))],
        rows=rows,
        total=[str(_("Total")), *overall],
        chart_column=3,
    )


def stays_by_institution(period: Period) -> Table:
    """The same stays by the institution recorded on the stay (at the time), with its partnership."""
    stays = _counted_stays(
        period,
        "institution_id",
        "institution__name",
        "institution__name_ko",
        "institution__partnership_status",
        "institution_name",
    )
    statuses = dict(Institution.PartnershipStatus.choices)

    def key_of(rest):
        institution_id, name, name_ko, status, name_then = rest
        if institution_id is None:
            return (None, name_then or str(_("No institution recorded")), "")
        return (institution_id, _pick(name, name_ko), str(statuses.get(status, "")))

    groups, overall = _stay_rows(period, stays, key_of)
    rows = [[name, status, len(v[0]), v[1], v[2]] for (_id, name, status), v in groups.items()]
    rows.sort(key=lambda row: (-row[4], row[0].casefold()))
    return Table(
        slug="stays-by-institution",
        title=str(_("Stays and visitor-days, by institution")),
        description=str(
            _(
                "The same stays, by the visitor's institution at the time of the stay, with its "
                "partnership status today."
            )
        ),
        columns=[
            str(_("Institution")),
            str(_("Partnership")),
            str(_("Visitors")),
            str(_("Stays")),
            str(_("Visitor-days")),
        ],
        rows=rows,
        total=[str(_("Total")), "", *overall],
        chart_column=4,
    )


def desk_occupancy(period: Period) -> Table:
    """Desks used per day in the workspaces open to visitors, average and peak (two queries)."""
    workspaces = list(Workspace.objects.for_visitors().order_by("name").values_list("pk", "name", "desks"))
    used = (
        DeskAllocation.objects.filter(
            day__range=(period.first_day, period.last_day),
            workspace__in=[pk for pk, _name, _desks in workspaces],
            visit__status__in=COUNTED_STAYS,
        )
        .order_by()
        .values_list("workspace_id", "day")
        .annotate(n=Count("pk"))
    )
    desk_days: dict[int, int] = defaultdict(int)
    peak: dict[int, int] = defaultdict(int)
    per_day: dict[dt.date, int] = defaultdict(int)
    for workspace_id, day, n in used:
        desk_days[workspace_id] += n
        peak[workspace_id] = max(peak[workspace_id], n)
        per_day[day] += n
    days = period.days
    rows = []
    for pk, name, desks in workspaces:
        rows.append(
            [
                name,
                desks,
                desk_days[pk],
                round(desk_days[pk] / days, 1),
                peak[pk],
                _percent(desk_days[pk], desks * days),
            ]
        )
    capacity = sum(desks for _pk, _name, desks in workspaces)
    total_days = sum(desk_days.values())
    return Table(
        slug="desk-occupancy",
        title=str(_("Desk occupancy")),
        description=str(
            _(
                "Desks allocated to approved, checked-in and completed stays in the workspaces open to "
                "visitors, over the %(days)s days of the period. Peak: the most desks used on one day."
            )
            % {"days": days}
        ),
        columns=[
            str(_("Workspace")),
            str(_("Desks")),
            str(_("Desk-days used")),
            str(_("Average desks used per day")),
            str(_("Peak desks used")),
            str(_("Occupancy (%)")),
        ],
        rows=rows,
        total=[
            str(_("All visitor workspaces")),
            capacity,
            total_days,
            round(total_days / days, 1),
            max(per_day.values(), default=0),
            _percent(total_days, capacity * days),
        ],
        chart_column=3,
    )


# --- Partners -----------------------------------------------------------------------------------


def _active_partners(period: Period):
    """Institutions whose partnership is active and began by the period's last day (or has no start)."""
    return Institution.objects.filter(partnership_status=Institution.PartnershipStatus.ACTIVE).filter(
        Q(partnership_start__isnull=True) | Q(partnership_start__lte=period.last_day)
    )


def _ending_soon(period: Period) -> Q:
    return Q(
        agreement_end__gt=period.last_day,
        agreement_end__lte=period.last_day + dt.timedelta(days=AGREEMENT_WINDOW_DAYS),
    )


def partners(period: Period) -> Table:
    """Active partners by kind, and how many of their agreements end soon (one query)."""
    grouped = {
        kind: (n, ending)
        for kind, n, ending in _active_partners(period)
        .order_by()
        .values_list("kind")
        .annotate(n=Count("pk"), ending=Count("pk", filter=_ending_soon(period)))
    }
    rows = [[str(label), *grouped.get(value, (0, 0))] for value, label in Institution.Kind.choices]
    return Table(
        slug="partners",
        title=str(_("Active partners")),
        description=str(
            _(
                "Institutions with an active partnership that began by the end of the period. "
                "Ending soon: the agreement ends within %(days)s days after the period's last day."
            )
            % {"days": AGREEMENT_WINDOW_DAYS}
        ),
        columns=[str(_("Kind")), str(_("Active partners")), str(_("Agreements ending soon"))],
        rows=rows,
        total=[str(_("Total")), sum(r[1] for r in rows), sum(r[2] for r in rows)],
    )


def agreements_ending(period: Period) -> Table:
    """The active partners whose agreement ends within 90 days after the period, soonest first (one query)."""
    ending = (
        _active_partners(period)
        .filter(_ending_soon(period))
        .order_by("agreement_end", "name")
        .values_list("name", "name_ko", "country", "agreement_kind", "agreement_end")
    )
    rows = [
        [
            _pick(name, name_ko),
            countries.name(country) if country else "",
            kind,
            end,  # a date: the page shows it by hubsite.dates (DATE_FORMAT), the CSV as ISO
            (end - period.last_day).days,
        ]
        for name, name_ko, country, kind, end in ending
    ]
    return Table(
        slug="agreements-ending",
        title=str(_("Agreements ending soon")),
        description=str(
            _("Agreements of active partners that end within %(days)s days after %(day)s.")
            % {"days": AGREEMENT_WINDOW_DAYS, "day": dates.fmt(period.last_day, "day")}
        ),
        columns=[
            str(_("Institution")),
            str(_("Country")),
            str(_("Agreement")),
            str(_("Ends on")),
            str(_("Days after the period")),
        ],
        rows=rows,
        chart_column=None,
    )


# --- Projects and outputs -----------------------------------------------------------------------


def active_projects(period: Period):
    """Projects under way or completed whose dates meet the period (open ends count as open)."""
    return Project.objects.filter(
        status__in=[Project.Status.ACTIVE, Project.Status.COMPLETED],
    ).filter(
        Q(start_date__isnull=True) | Q(start_date__lte=period.last_day),
        Q(end_date__isnull=True) | Q(end_date__gte=period.first_day),
    )


def outputs_in(period: Period):
    """Outputs carry a year only: those of every calendar year the period touches."""
    return ProjectOutput.objects.filter(year__in=period.years)


def projects_by_theme(period: Period) -> Table:
    """Projects active in the period and outputs of its years, by theme (five queries)."""
    projects = dict(
        active_projects(period).order_by().values_list("themes").annotate(n=Count("pk", distinct=True))
    )
    outputs = dict(
        outputs_in(period).order_by().values_list("project__themes").annotate(n=Count("pk", distinct=True))
    )
    rows = [
        [theme.display_name, projects.get(theme.pk, 0), outputs.get(theme.pk, 0)]
        for theme in Theme.objects.order_by("ordering", "name")
    ]
    if projects.get(None) or outputs.get(None):
        rows.append([str(_("No theme")), projects.get(None, 0), outputs.get(None, 0)])
    return Table(
        slug="projects-by-theme",
        title=str(_("Projects and outputs, by theme")),
        description=str(
            _(
                "Projects: active or completed projects whose dates meet the period. Outputs: outputs of "
                "the calendar years the period touches (outputs are dated by year). A project with two "
                "themes counts under each; the total counts it once."
            )
        ),
        columns=[str(_("Theme")), str(_("Active projects")), str(_("Outputs"))],
        rows=rows,
        total=[str(_("Total")), active_projects(period).count(), outputs_in(period).count()],
    )


def outputs_by_kind(period: Period) -> Table:
    """Outputs by kind and year, for each calendar year the period touches (one query)."""
    counts = {
        (kind, year): n
        for kind, year, n in outputs_in(period).order_by().values_list("kind", "year").annotate(n=Count("pk"))
    }
    years = period.years
    rows = []
    for value, label in ProjectOutput.Kind.choices:
        per_year = [counts.get((value, year), 0) for year in years]
        rows.append([str(label), *per_year, sum(per_year)])
    column_totals = [sum(row[i] for row in rows) for i in range(1, len(years) + 2)]
    return Table(
        slug="outputs-by-kind",
        title=str(_("Outputs, by kind and year")),
        description=str(
            _("Project outputs (papers, data sets, software ...) of the calendar years the period touches.")
        ),
        columns=[str(_("Kind")), *[str(year) for year in years], str(_("Total"))],
        rows=rows,
        total=[str(_("Total")), *column_totals],
        chart_column=len(years) + 1,
    )


# The report's tables in page order; the key is the CSV's name (/report/<key>.csv).
TABLES: dict[str, Callable[[Period], Table]] = {
    "seminars-by-kind": seminars_by_kind,
    "seminars-by-series": seminars_by_series,
    "attendance": attendance,
    "visitor-talks": visitor_talks,
    "stays-by-country": stays_by_country,
    "stays-by-institution": stays_by_institution,
    "desk-occupancy": desk_occupancy,
    "partners": partners,
    "agreements-ending": agreements_ending,
    "projects-by-theme": projects_by_theme,
    "outputs-by-kind": outputs_by_kind,
}
