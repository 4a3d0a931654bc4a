import datetime as dt
import re
import uuid
from zoneinfo import ZoneInfo

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.postgres.fields import RangeBoundary, RangeOperators
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, F, OuterRef, Prefetch, Q
from django.db.models.functions import Coalesce, Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hubsite import fields, limits
from hubsite.constraints import PostgresExclusionConstraint, TsTzRange
from hubsite.i18n import ReaderLanguageName
from hubsite.validators import http_url_validator, validate_time_zone
from researchers.models import Researcher, Theme

DEFAULT_TIME_ZONE = "Asia/Seoul"
# Events that hold their room: every one with a room that is not cancelled, drafts included (a draft
# is a booking staff are still working on). The services' check (`occupying_rooms`) and the database's
# exclusion constraint both read this one condition.
HOLDS_ROOM = Q(room__isnull=False) & ~Q(status="cancelled")

# Markdown may carry raw HTML. Rendering strips it anyway (hubsite.text); refusing it at input
# tells the author at once instead of silently dropping part of their text.
_UNSAFE_MARKUP = re.compile(
    r"<\s*/?\s*(script|iframe|object|embed|style)\b|<[^>]*\son[a-z]+\s*=|javascript\s*:", re.IGNORECASE
)


def validate_safe_markdown(value: str) -> None:
    if value and _UNSAFE_MARKUP.search(value):
        raise ValidationError(
            _(
                "Scripts, event handlers (such as onclick=) and javascript: links are not allowed here; "
                "write plain Markdown."
            ),
            code="unsafe_markup",
        )


class Room(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    location = models.CharField(_("floor / location"), max_length=200, blank=True)
    capacity = models.PositiveIntegerField(_("seated capacity"))
    is_bookable = models.BooleanField(_("bookable"), default=True)
    accessibility_notes = fields.TextField(_("accessibility notes"), max_length=limits.NOTE, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        constraints = [
            limits.length_check("accessibility_notes", limits.NOTE),
        ]

    def __str__(self):
        return self.name


class SeriesQuerySet(models.QuerySet):
    def public(self):
        return self.filter(is_public=True)


class Series(ReaderLanguageName, models.Model):
    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    title = models.CharField(_("title"), max_length=200)
    title_ko = models.CharField(_("Korean title"), max_length=200, blank=True)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    description = fields.TextField(
        _("description (Markdown)"),
        max_length=limits.LONG_TEXT,
        blank=True,
        validators=[validate_safe_markdown],
    )
    organisers = fields.ManyToManyField(
        Researcher, blank=True, related_name="organised_series", verbose_name=_("organisers")
    )
    themes = fields.ManyToManyField(Theme, blank=True, related_name="series", verbose_name=_("themes"))
    default_room = models.ForeignKey(
        Room,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("default room"),
    )
    default_weekday = models.PositiveSmallIntegerField(
        _("default weekday"), choices=Weekday.choices, null=True, blank=True
    )
    default_start_time = models.TimeField(_("default start time"), null=True, blank=True)
    default_duration_minutes = models.PositiveSmallIntegerField(_("default duration (minutes)"), default=60)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default=DEFAULT_TIME_ZONE, validators=[validate_time_zone]
    )
    is_public = models.BooleanField(_("public"), default=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = SeriesQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        verbose_name = _("series")
        verbose_name_plural = _("series")
        constraints = [
            limits.length_check("description", limits.LONG_TEXT),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("events:series_detail", kwargs={"slug": self.slug})

    NAME_FIELD = "title"  # display_name and display_title: the title in the reader's language

    @property
    def display_title(self) -> str:
        return self.display_name


class EventQuerySet(models.QuerySet):
    def published(self):
        """Published and cancelled events: everything that was ever announced."""
        return self.exclude(status=Event.Status.DRAFT)

    def public(self):
        return self.published().filter(visibility=Event.Visibility.PUBLIC)

    def visible_to(self, user):
        if user.is_authenticated:
            return self.published()
        return self.public()

    def upcoming(self, now=None):
        return self.filter(end__gte=now or timezone.now()).order_by("start", "pk")

    def past(self, now=None):
        return self.filter(end__lt=now or timezone.now()).order_by("-start", "-pk")

    def occupying_rooms(self):
        """Events that hold their room: every one that is not cancelled (drafts included)."""
        return self.filter(HOLDS_ROOM)

    def overlapping(self, *, start, end):
        return self.filter(start__lt=end, end__gt=start)

    def search(self, text: str):
        """Titles (both languages), abstracts and speaker names, without duplicate rows."""
        speaker_match = EventSpeaker.objects.filter(event=OuterRef("pk")).filter(
            Q(researcher__name__icontains=text) | Q(researcher__name_ko__icontains=text)
        )
        return self.filter(
            Q(title__icontains=text)
            | Q(title_ko__icontains=text)
            | Q(abstract__icontains=text)
            | Exists(speaker_match)
        )

    def for_listing(self):
        """Everything a list or detail page shows, in a fixed number of queries."""
        return self.select_related("series", "room").prefetch_related(
            Prefetch(
                "speaker_links",
                queryset=EventSpeaker.objects.select_related("researcher__institution").order_by(
                    "order", "pk"
                ),
            ),
            "themes",
        )


class Event(ReaderLanguageName, models.Model):
    class Kind(models.TextChoices):
        SEMINAR = "seminar", _("Seminar")
        LECTURE = "lecture", _("Lecture")
        WORKSHOP = "workshop", _("Workshop")
        COLLOQUIUM = "colloquium", _("Colloquium")
        SOCIAL = "social", _("Social")

    class Format(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        ONLINE = "online", _("Online")
        HYBRID = "hybrid", _("Hybrid")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        CANCELLED = "cancelled", _("Cancelled")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Public")
        MEMBERS = "members", _("Members only")

    class Language(models.TextChoices):
        ENGLISH = "en", _("English")
        KOREAN = "ko", _("Korean")
        OTHER = "other", _("Other")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.SEMINAR)
    series = models.ForeignKey(
        Series,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
        verbose_name=_("series"),
    )
    title = models.CharField(_("title"), max_length=300)
    title_ko = models.CharField(_("Korean title"), max_length=300, blank=True)
    slug = models.SlugField(
        _("slug"),
        max_length=140,
        unique=True,
        error_messages={"unique": _("Another event already uses this address (slug); choose another one.")},
    )
    abstract = fields.TextField(
        _("abstract (Markdown)"), max_length=limits.LONG_TEXT, blank=True, validators=[validate_safe_markdown]
    )
    start = fields.DateTimeField(_("start"))
    end = fields.DateTimeField(_("end"))
    time_zone = models.CharField(
        _("time zone"), max_length=64, default=DEFAULT_TIME_ZONE, validators=[validate_time_zone]
    )
    room = models.ForeignKey(
        Room, null=True, blank=True, on_delete=models.PROTECT, related_name="events", verbose_name=_("room")
    )
    online_url = models.URLField(
        _("online link"), max_length=limits.URL, blank=True, validators=[http_url_validator]
    )
    format = models.CharField(_("format"), max_length=20, choices=Format.choices, default=Format.IN_PERSON)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    cancellation_reason = fields.TextField(_("cancellation reason"), max_length=limits.NOTE, blank=True)
    visibility = models.CharField(
        _("visibility"), max_length=20, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    capacity = models.PositiveIntegerField(
        _("in-person seats"), null=True, blank=True, help_text=_("Empty means the room's capacity.")
    )
    online_capacity = models.PositiveIntegerField(
        _("online places"),
        null=True,
        blank=True,
        help_text=_("For online and hybrid events. Empty means no limit."),
    )
    registration_opens = fields.DateTimeField(
        _("registration opens"), null=True, blank=True, help_text=_("Empty means as soon as it is published.")
    )
    registration_closes = fields.DateTimeField(
        _("registration closes"), null=True, blank=True, help_text=_("Empty means at the start.")
    )
    language = models.CharField(
        _("language of the talk"), max_length=10, choices=Language.choices, default="en"
    )
    themes = fields.ManyToManyField(Theme, blank=True, related_name="events", verbose_name=_("themes"))
    speakers_tba = models.BooleanField(_("speakers to be announced"), default=False)
    recording_url = models.URLField(
        _("recording link"), max_length=limits.URL, blank=True, validators=[http_url_validator]
    )
    slides_url = models.URLField(
        _("slides link"), max_length=limits.URL, blank=True, validators=[http_url_validator]
    )
    calendar_uid = models.UUIDField(_("calendar UID"), default=uuid.uuid4, unique=True, editable=False)
    sequence = models.PositiveIntegerField(_("calendar sequence"), default=0, editable=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, editable=False)
    # The update owed to registered people (events.services, "Messages about events"): due this
    # long after the first change not yet told, so the saves of a burst make one message.
    update_notice_due_at = models.DateTimeField(_("update due at"), null=True, blank=True, editable=False)
    # The owed update moves the time or room: the series' subscribers hear of it too.
    update_notice_moved = models.BooleanField(
        _("update moves the time or room"), default=False, editable=False
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    project = models.ForeignKey(
        "projects.Project",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
        verbose_name=_("project"),
    )

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["start", "pk"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [
            models.Index(fields=["status", "visibility", "end"]),
            models.Index(fields=["room", "start"]),
        ]
        constraints = [
            limits.length_check("abstract", limits.LONG_TEXT),
            limits.length_check("cancellation_reason", limits.NOTE),
            models.CheckConstraint(
                condition=Q(end__gt=F("start")),
                name="event_end_after_start",
                violation_error_message=_("The end must be after the start."),
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | ~Q(cancellation_reason=""),
                name="event_cancelled_has_reason",
                violation_error_message=_("A cancelled event needs a reason."),
            ),
            # On PostgreSQL the database itself refuses two room-holding events in one room at
            # overlapping times ([start, end): one may end when the next starts). The services check
            # first, under a lock on the room, and name the clash; this is the last word.
            PostgresExclusionConstraint(
                name="event_room_no_overlap",
                expressions=[
                    (TsTzRange("start", "end", RangeBoundary()), RangeOperators.OVERLAPS),
                    ("room", RangeOperators.EQUAL),
                ],
                condition=HOLDS_ROOM,
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("events:detail", kwargs={"slug": self.slug})

    NAME_FIELD = "title"  # display_name and display_title: the title in the reader's language

    @property
    def display_title(self) -> str:
        return self.display_name

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def local_start(self):
        return timezone.localtime(self.start, self.zone)

    @property
    def local_end(self):
        return timezone.localtime(self.end, self.zone)

    @property
    def has_in_person_part(self) -> bool:
        return self.format in (self.Format.IN_PERSON, self.Format.HYBRID)

    @property
    def has_online_part(self) -> bool:
        return self.format in (self.Format.ONLINE, self.Format.HYBRID)

    @property
    def seats(self) -> int | None:
        """In-person seats: the event's own number, else its room's."""
        if self.capacity is not None:
            return self.capacity
        return self.room.capacity if self.room_id else None


class EventSpeaker(models.Model):
    class Role(models.TextChoices):
        SPEAKER = "speaker", _("Speaker")
        CHAIR = "chair", _("Chair")
        PANELLIST = "panellist", _("Panellist")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="speaker_links")
    researcher = models.ForeignKey(
        Researcher, on_delete=models.PROTECT, related_name="speaker_links", verbose_name=_("researcher")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.SPEAKER)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("speaker")
        verbose_name_plural = _("speakers")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "researcher"],
                name="eventspeaker_once_per_event",
                violation_error_message=_("This researcher is already on this event."),
            )
        ]

    def __str__(self):
        return f"{self.researcher} ({self.get_role_display()})"


# --- Series subscriptions ------------------------------------------------------------------
# Announcements of a series by e-mail, double opt-in. Services in events/services.py.


def _subscription_token() -> str:
    from secrets import token_urlsafe

    return token_urlsafe(24)


class SeriesSubscriptionQuerySet(models.QuerySet):
    def active(self):
        """Confirmed and not unsubscribed: the addresses that get announcements."""
        return self.filter(confirmed_at__isnull=False, unsubscribed_at__isnull=True)


class SeriesSubscription(models.Model):
    """An address that asked for a series' announcements.

    Pending until the link in the confirmation mail is followed; active until unsubscribed. The
    random token is the key in the confirmation and unsubscribe links (no account needed)."""

    series = models.ForeignKey(
        Series, on_delete=models.CASCADE, related_name="subscriptions", verbose_name=_("series")
    )
    email = models.EmailField(_("e-mail address"))
    language = models.CharField(_("language"), max_length=8, default="en")
    token = models.CharField(
        _("token"), max_length=64, unique=True, default=_subscription_token, editable=False
    )
    requested_at = fields.DateTimeField(_("requested at"), default=timezone.now)
    # Also the revision of the confirmation mail: each new request is a new message.
    confirmations_sent = models.PositiveIntegerField(_("confirmation mails sent"), default=0)
    confirmed_at = fields.DateTimeField(_("confirmed at"), null=True, blank=True)
    unsubscribed_at = fields.DateTimeField(_("unsubscribed at"), null=True, blank=True)

    objects = SeriesSubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["series", "email"]
        verbose_name = _("series subscription")
        verbose_name_plural = _("series subscriptions")
        constraints = [
            models.UniqueConstraint(fields=["series", "email"], name="seriessubscription_once_per_address")
        ]

    def __str__(self):
        return f"{self.email} → {self.series}"

    @property
    def is_active(self) -> bool:
        return self.confirmed_at is not None and self.unsubscribed_at is None


# --- Registration and personal calendars ------------------------------------------------------


class RegistrationQuerySet(models.QuerySet):
    def active(self):
        """Registrations that count: a held or confirmed seat, or a place on the waiting list."""
        return self.filter(status__in=Registration.ACTIVE_STATUSES)

    def holding_seat(self, now=None):
        """Confirmed seats and guest seats still held while the guest confirms their address."""
        return self.filter(
            Q(status=Registration.Status.CONFIRMED)
            | Q(status=Registration.Status.PENDING, hold_expires__gt=now or timezone.now())
        )

    def waiting_list(self):
        return self.filter(status=Registration.Status.WAITING).order_by("queued_at", "pk")

    def for_user(self, user):
        """A person's registrations: those made signed in, and those made as a guest with an address
        they have verified (an unverified address proves nothing: those stay the guest's)."""
        if not user.is_authenticated:
            return self.none()
        verified = (
            EmailAddress.objects.filter(user=user, verified=True)
            .annotate(address=Lower("email"))
            .values("address")
        )
        return self.filter(Q(user=user) | Q(user__isnull=True, email__in=verified))

    def with_position(self):
        """Annotate `position`: 1 for the first waiting in its attendance mode, None if not waiting."""
        earlier = (
            Registration.objects.filter(
                event=models.OuterRef("event"),
                attendance=models.OuterRef("attendance"),
                status=Registration.Status.WAITING,
            )
            .filter(
                Q(queued_at__lt=models.OuterRef("queued_at"))
                | Q(queued_at=models.OuterRef("queued_at"), pk__lt=models.OuterRef("pk"))
            )
            .order_by()
            .values("event")
            .annotate(n=models.Count("pk"))
            .values("n")
        )
        return self.annotate(
            position=models.Case(
                models.When(
                    status=Registration.Status.WAITING,
                    then=Coalesce(models.Subquery(earlier), 0) + 1,
                ),
                default=None,
                output_field=models.IntegerField(),
            )
        )


class Registration(models.Model):
    """One person's place at one event: a seat, a seat held while a guest confirms, or a waiting place."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting e-mail confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        WAITING = "waiting", _("On the waiting list")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Not confirmed in time")
        # Ended by event_cancel: the person did not cancel, the event was (My seminars says so).
        EVENT_CANCELLED = "event_cancelled", _("Ended: the event was cancelled")

    class Attendance(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        ONLINE = "online", _("Online")

    ACTIVE_STATUSES = (Status.PENDING, Status.CONFIRMED, Status.WAITING)

    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="registrations", verbose_name=_("event")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="event_registrations",
        verbose_name=_("account"),
    )
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail"))
    attendance = models.CharField(
        _("attendance"), max_length=20, choices=Attendance.choices, default=Attendance.IN_PERSON
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    language = models.CharField(_("language"), max_length=8, default="en")
    hold_expires = fields.DateTimeField(_("seat held until"), null=True, blank=True)
    queued_at = fields.DateTimeField(_("joined the waiting list"), null=True, blank=True)
    confirmed_at = fields.DateTimeField(_("confirmed at"), null=True, blank=True)
    promoted_at = fields.DateTimeField(_("promoted at"), null=True, blank=True)
    cancelled_at = fields.DateTimeField(_("cancelled at"), null=True, blank=True)
    checked_in_at = fields.DateTimeField(_("checked in at"), null=True, blank=True)
    created = models.DateTimeField(_("registered at"), auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = RegistrationQuerySet.as_manager()

    class Meta:
        ordering = ["created", "pk"]
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        indexes = [models.Index(fields=["event", "status", "attendance"])]
        constraints = [
            models.UniqueConstraint(
                "event",
                Lower("email"),
                condition=Q(status__in=["pending", "confirmed", "waiting"]),
                name="registration_one_active_per_email_per_event",
                violation_error_message=_("This e-mail address is already registered for this event."),
            ),
            models.CheckConstraint(
                condition=~Q(status="waiting") | Q(queued_at__isnull=False),
                name="registration_waiting_has_queue_time",
            ),
            models.CheckConstraint(
                condition=Q(email=Lower("email")),
                name="registration_email_lowercase",
            ),
        ]

    def __str__(self):
        return f"{self.name} <{self.email}> – {self.event}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    def online_link_visible(self, now=None) -> bool:
        """Whether this registrant may have the meeting link now: see `online_link_for`."""
        return bool(online_link_for(event=self.event, registration=self, now=now))


ONLINE_LINK_LEAD = dt.timedelta(hours=1)


def online_link_for(*, event: Event, registration: Registration | None, now=None) -> str:
    """The event's online meeting link if the reader behind `registration` may have it now, else "".

    The one rule for the link: a confirmed registration for online attendance at a published online
    or hybrid event, from ONLINE_LINK_LEAD before the start to the end. Every surface that could
    show the link asks this with the reader's own registration (the event page and the register
    page with the signed-in person's, My seminars with each row, the personal join link with the
    registration it is signed for); nobody else ever gets it. Surfaces made for many readers or for
    later (JSON-LD, calendar and Atom feeds, e-mails, cached pages) never carry it: e-mails carry the
    registrant's personal join link instead, which asks this again when it is opened.
    """
    if registration is None or registration.event_id != event.pk:
        return ""
    now = now or timezone.now()
    allowed = (
        registration.status == Registration.Status.CONFIRMED
        and registration.attendance == Registration.Attendance.ONLINE
        and bool(event.online_url)
        and event.has_online_part
        and event.status == Event.Status.PUBLISHED
        and event.start - ONLINE_LINK_LEAD <= now <= event.end
    )
    return event.online_url if allowed else ""


class PersonalCalendar(models.Model):
    """The secret address of a person's own calendar feed. Replacing the token retires the old address."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="personal_calendar",
        verbose_name=_("account"),
    )
    token = models.CharField(_("token"), max_length=64, unique=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    replaced_at = fields.DateTimeField(_("last replaced"), null=True, blank=True)

    class Meta:
        verbose_name = _("personal calendar")
        verbose_name_plural = _("personal calendars")

    def __str__(self):
        return str(self.user)
