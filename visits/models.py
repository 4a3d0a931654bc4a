import datetime as dt
import secrets
import uuid
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from events.models import Event
from hubsite import dates, fields, limits
from hubsite.access import has_staff_rights
from researchers.models import Institution, Researcher, Theme


class WorkspaceQuerySet(models.QuerySet):
    def for_visitors(self):
        return self.filter(visitors_allowed=True, desks__gt=0)


class Workspace(models.Model):
    """An area of the hub with a number of desks; desks are allocated to stays one day at a time."""

    class Area(models.TextChoices):
        OPEN_LAB = "open_lab", _("Open lab")
        SHARED_OFFICE = "shared_office", _("Shared office")
        PROJECT_ROOM = "project_room", _("Project room")

    class DeskKind(models.TextChoices):
        HOT_DESK = "hot_desk", _("Hot desk")
        ASSIGNED = "assigned", _("Assigned office desk")

    name = models.CharField(_("name"), max_length=120, unique=True)
    area = models.CharField(_("area"), max_length=20, choices=Area.choices, default=Area.OPEN_LAB)
    desks = models.PositiveSmallIntegerField(_("desks"))
    desk_kind = models.CharField(
        _("desk kind"), max_length=20, choices=DeskKind.choices, default=DeskKind.HOT_DESK
    )
    floor = models.CharField(_("floor"), max_length=40, blank=True)
    visitors_allowed = models.BooleanField(_("visitors may use it"), default=True)
    notes = fields.TextField(_("practical notes for visitors"), max_length=limits.NOTE, blank=True)

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("workspace")
        verbose_name_plural = _("workspaces")
        constraints = [
            limits.length_check("notes", limits.NOTE),
        ]

    def __str__(self):
        return self.name


class VisitQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Stays a person may open: their own, the ones they host, or every stay for staff."""
        if not user.is_authenticated:
            return self.none()
        if has_staff_rights(user):
            return self
        return self.filter(Q(researcher__user=user) | Q(host__user=user))

    def holding_desks(self):
        return self.filter(status__in=Visit.DESK_HOLDING)

    def pending(self):
        """Stays waiting for an answer: from the host (submitted) or from staff (endorsed)."""
        return self.filter(status__in=[Visit.Status.SUBMITTED, Visit.Status.ENDORSED])

    def overlapping(self, first_day: dt.date, last_day: dt.date):
        return self.filter(first_day__lte=last_day, last_day__gte=first_day)

    def active(self):
        """Stays that still count: not declined, withdrawn or cancelled."""
        return self.exclude(
            status__in=[Visit.Status.DECLINED, Visit.Status.WITHDRAWN, Visit.Status.CANCELLED]
        )

    def at_the_hub(self, first_day: dt.date, last_day: dt.date):
        return self.holding_desks().overlapping(first_day, last_day)

    # Reads the lower rooms make through their reverse relations (`institution.visits`,
    # `researcher.visits`, `project.visits`), so they never name a status themselves.

    def confirmed(self):
        """Stays that take place (or took place): approved, checked in or completed. These are
        the stays public pages count and show."""
        return self.holding_desks()

    def current(self, today: dt.date | None = None):
        """Stays under way today (the hub's day)."""
        today = today or timezone.localdate()
        return self.filter(first_day__lte=today, last_day__gte=today)

    def past(self, today: dt.date | None = None):
        """Stays whose last day is over."""
        today = today or timezone.localdate()
        return self.filter(last_day__lt=today)

    def started(self, today: dt.date | None = None):
        """Stays under way or over: what public pages may show (never a future stay's dates)."""
        today = today or timezone.localdate()
        return self.filter(first_day__lte=today)

    def in_calendar_of(self, user):
        """A person's own stays and the stays they host, as their calendar shows them: approved and
        later, and withdrawn or cancelled ones that had been announced (to remove them).
        """
        if not user.is_authenticated:
            return self.none()
        return self.for_calendars().filter(Q(researcher__user=user) | Q(host__user=user))

    def for_calendars(self):
        gone = [Visit.Status.WITHDRAWN, Visit.Status.CANCELLED]
        return self.filter(status__in=[*Visit.DESK_HOLDING, *gone]).exclude(
            Q(status__in=gone) & Q(sequence=0)
        )

    def with_people(self):
        return self.select_related("researcher__institution", "host", "institution", "workspace")


def _new_nonce() -> str:
    return secrets.token_urlsafe(16)


def _new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class Visit(models.Model):
    """One stay of a visiting researcher at the hub, first to last day inclusive."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        ENDORSED = "endorsed", _("Endorsed by the host")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        CHECKED_IN = "checked_in", _("Checked in")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    class Funding(models.TextChoices):
        SELF = "self", _("Self-funded or home institution")
        HUB = "hub", _("The hub")
        PARTNER = "partner", _("Partner institution")
        OTHER = "other", _("Other")

    DESK_HOLDING = (Status.APPROVED, Status.CHECKED_IN, Status.COMPLETED)

    researcher = models.ForeignKey(
        Researcher, on_delete=models.PROTECT, related_name="visits", verbose_name=_("visitor")
    )
    host = models.ForeignKey(
        Researcher, on_delete=models.PROTECT, related_name="hosted_visits", verbose_name=_("host")
    )
    institution = models.ForeignKey(
        Institution,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="visits",
        verbose_name=_("institution at the time"),
    )
    institution_name = models.CharField(
        _("institution name at the time"), max_length=200, blank=True, help_text=_("Kept as it was.")
    )
    first_day = fields.DateField(_("first day"))
    last_day = fields.DateField(_("last day"))
    purpose = fields.TextField(_("purpose of the stay"), max_length=limits.PURPOSE)
    project_summary = fields.TextField(_("project summary (Markdown)"), max_length=limits.PURPOSE, blank=True)
    themes = fields.ManyToManyField(Theme, blank=True, related_name="visits", verbose_name=_("themes"))
    funding = models.CharField(_("funding"), max_length=10, choices=Funding.choices, default=Funding.SELF)
    funding_note = models.CharField(_("funding details"), max_length=300, blank=True)
    needs_desk = models.BooleanField(_("needs a desk"), default=True)
    needs_visa_letter = models.BooleanField(_("needs a visa invitation letter"), default=False)
    nationality = CountryField(_("nationality"), blank=True)
    passport_name = models.CharField(_("name as in the passport"), max_length=200, blank=True)
    needs_housing_help = models.BooleanField(_("needs help with housing"), default=False)
    accessibility_needs = fields.TextField(_("accessibility needs"), max_length=limits.NOTE, blank=True)
    offers_seminar = models.BooleanField(_("offers a seminar"), default=False)
    seminar_title = models.CharField(_("proposed seminar title"), max_length=300, blank=True)
    seminar_abstract = fields.TextField(
        _("proposed seminar abstract (Markdown)"), max_length=limits.LONG_TEXT, blank=True
    )
    seminar_event = models.OneToOneField(
        Event,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="visit",
        verbose_name=_("seminar event"),
    )
    project = models.ForeignKey(
        "projects.Project",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="visits",
        verbose_name=_("project"),
        help_text=_("A project of the host that the stay is part of."),
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    workspace = models.ForeignKey(
        Workspace,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visits",
        verbose_name=_("workspace"),
    )
    host_note = fields.TextField(_("host's note"), max_length=limits.NOTE, blank=True)
    endorsement_nonce = models.CharField(max_length=40, default=_new_nonce, editable=False)
    endorsement_round = models.PositiveSmallIntegerField(default=0, editable=False)
    endorsement_used_at = models.DateTimeField(_("host answered at"), null=True, blank=True, editable=False)
    calendar_uid = models.UUIDField(_("calendar UID"), default=uuid.uuid4, unique=True, editable=False)
    sequence = models.PositiveIntegerField(_("calendar sequence"), default=0, editable=False)
    arrived_at = models.DateTimeField(_("checked in at"), null=True, blank=True, editable=False)
    departed_at = models.DateTimeField(_("checked out at"), null=True, blank=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = VisitQuerySet.as_manager()

    class Meta:
        ordering = ["first_day", "pk"]
        verbose_name = _("stay")
        verbose_name_plural = _("stays")
        indexes = [models.Index(fields=["status", "first_day", "last_day"])]
        constraints = [
            limits.length_check("purpose", limits.PURPOSE),
            limits.length_check("project_summary", limits.PURPOSE),
            limits.length_check("accessibility_needs", limits.NOTE),
            limits.length_check("seminar_abstract", limits.LONG_TEXT),
            limits.length_check("host_note", limits.NOTE),
            models.CheckConstraint(
                condition=Q(last_day__gte=F("first_day")),
                name="visit_last_day_not_before_first_day",
                violation_error_message=_("The last day cannot be before the first day."),
            ),
            models.CheckConstraint(
                condition=~Q(host=F("researcher")),
                name="visit_host_is_someone_else",
                violation_error_message=_("A visitor cannot host their own stay."),
            ),
        ]

    def __str__(self):
        return f"{self.researcher} ({dates.date_range(self.first_day, self.last_day)})"

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def holds_desks(self) -> bool:
        return self.status in self.DESK_HOLDING

    @property
    def institution_display(self) -> str:
        """The institution the visitor came from: its name in the reader's language, or the name
        kept on the stay when the institution has since been renamed or removed."""
        institution = self.institution
        if institution is not None and self.institution_name in ("", institution.name):
            return institution.display_name
        return self.institution_name

    @property
    def institution_english(self) -> str:
        """The institution's English name, for what is written in English whoever reads it (the
        visa letter) or has no language (calendar feeds)."""
        return self.institution_name or (self.institution.name if self.institution else "")

    def seminar_outside_stay_warning(self, event: Event | None = None) -> str:
        """Why the visitor may not be at the hub for their seminar, for staff; "" when all is well.

        `event` is the seminar as it is about to be saved (the event admin passes its form's
        instance); by default the stay's own seminar event. The event admin reaches this through
        the reverse relation (`event.visit`), so it never imports the visits app.
        """
        event = event if event is not None else self.seminar_event
        if event is None or event.start is None or event.end is None:
            return ""
        name = self.researcher.display_name
        if self.status in (self.Status.DECLINED, self.Status.WITHDRAWN, self.Status.CANCELLED):
            return gettext(
                "%(name)s's stay is “%(status)s”: they may not be at the hub for this seminar."
            ) % {
                "name": name,
                "status": self.get_status_display(),
            }
        zone = ZoneInfo(event.time_zone)
        start_day, end_day = event.start.astimezone(zone).date(), event.end.astimezone(zone).date()
        if start_day < self.first_day or end_day > self.last_day:
            return gettext(
                "This seminar is on %(day)s, outside %(name)s's stay at the hub (%(first)s to %(last)s)."
            ) % {
                "day": dates.fmt(start_day, "day"),
                "name": name,
                "first": dates.fmt(self.first_day, "day"),
                "last": dates.fmt(self.last_day, "day"),
            }
        return ""


class VisitStatusChange(models.Model):
    """One line of a stay's history: every status change, and every date change, with who and why."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(_("from"), max_length=20, choices=Visit.Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=Visit.Status.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("by"),
    )
    by_name = models.CharField(_("by (name)"), max_length=200, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)
    note = fields.TextField(_("note"), max_length=limits.HISTORY_NOTE, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("status change")
        verbose_name_plural = _("history")
        constraints = [
            limits.length_check("note", limits.HISTORY_NOTE),
        ]

    def __str__(self):
        return f"{self.from_status or '-'} → {self.to_status}"


class DeskAllocation(models.Model):
    """One desk in one workspace for one stay on one day.

    Rows are written only by `visit_approve` / `extension_approve`, which hold a row lock on the
    workspace while counting, so a workspace never has more rows on a day than it has desks.
    """

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="allocations")
    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name="allocations")
    day = fields.DateField(_("day"))

    class Meta:
        ordering = ["day", "pk"]
        verbose_name = _("desk allocation")
        verbose_name_plural = _("desk allocations")
        indexes = [models.Index(fields=["workspace", "day"])]
        constraints = [
            models.UniqueConstraint(
                fields=["visit", "day"],
                name="deskallocation_one_desk_per_stay_and_day",
                violation_error_message=_("This stay already has a desk on that day."),
            )
        ]

    def __str__(self):
        return f"{self.workspace} {dates.fmt(self.day, 'day')}"


class Extension(models.Model):
    """A visitor's request to stay longer; approved against the same desks as the stay."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="extensions")
    new_last_day = fields.DateField(_("new last day"))
    reason = fields.TextField(_("reason"), max_length=limits.NOTE)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.REQUESTED)
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decided_at = fields.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = fields.TextField(_("staff note"), max_length=limits.NOTE, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        constraints = [
            limits.length_check("reason", limits.NOTE),
            limits.length_check("note", limits.NOTE),
            models.UniqueConstraint(
                fields=["visit"],
                condition=Q(status="requested"),
                name="extension_one_open_request_per_stay",
                violation_error_message=_("This stay already has an extension request waiting."),
            ),
        ]

    def __str__(self):
        return f"{self.visit} → {dates.fmt(self.new_last_day, 'day')}"


class ArrivalsFeedToken(models.Model):
    """A staff member's private, revocable token for the arrivals and departures calendar."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=64, unique=True, default=_new_feed_token)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("arrivals feed token")
        verbose_name_plural = _("arrivals feed tokens")

    def __str__(self):
        return f"arrivals feed of {self.user}"
