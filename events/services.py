"""Every write to seminars that has a rule. The admin, the seed command and any future API call these.

The room rule (a room holds one non-cancelled event at a time) is guarded by a row lock on the Room
(`select_for_update` inside `transaction.atomic`) followed by the overlap check, so two staff saving
at once are serialised on the room and the second one sees the first one's booking.
"""

import datetime as dt
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import holidays
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, models, transaction
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from hubsite import dates, ical
from hubsite.i18n import in_language
from hubsite.models import OutboxMessage
from hubsite.pagecache import changes_public_pages
from hubsite.services import outbox_enqueue
from hubsite.validators import is_random_token, validate_time_zone
from researchers.models import Institution, Researcher, Theme

from .models import Event, EventSpeaker, PersonalCalendar, Registration, Room, Series, SeriesSubscription

# Changes that matter to someone who has the event in their calendar: they raise SEQUENCE.
ATTENDEE_FIELDS = ("start", "end", "room", "online_url", "status")
# Fields event_update may change; status has its own services (publish, cancel).
UPDATABLE_FIELDS = frozenset(
    {
        "kind",
        "series",
        "project",
        "title",
        "title_ko",
        "slug",
        "abstract",
        "start",
        "end",
        "time_zone",
        "room",
        "online_url",
        "format",
        "visibility",
        "capacity",
        "language",
        "speakers_tba",
        "recording_url",
        "slides_url",
        "online_capacity",
        "registration_opens",
        "registration_closes",
    }
)
MAX_GENERATED_SESSIONS = 200


# --- Time -------------------------------------------------------------------------------------


def local_to_aware(value: dt.datetime, time_zone: str, *, field_name: str = "start") -> dt.datetime:
    """A wall-clock time typed for `time_zone` as an aware instant; refuses a time the clocks skip."""
    if value.tzinfo is not None:
        return value
    try:
        validate_time_zone(time_zone)
    except ValidationError as error:
        raise ValidationError({"time_zone": error.messages}) from None
    zone = ZoneInfo(time_zone)
    aware = value.replace(tzinfo=zone)
    round_trip = aware.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None)
    if round_trip != value:
        raise ValidationError(
            {
                field_name: _(
                    "%(time)s does not exist in %(zone)s: the clocks skip that hour when daylight "
                    "saving time starts. Choose another time."
                )
                % {"time": dates.fmt(value, "datetime"), "zone": time_zone}
            },
            code="nonexistent_time",
        )
    return aware


def format_local_range(event: Event) -> str:
    """The event's time in its own zone, by the one rule for dates (hubsite.dates)."""
    return dates.time_range(event.start, event.end, zone=event.time_zone)


# --- Checks -------------------------------------------------------------------------------------


def _lock_room(room_id: int | None) -> Room | None:
    if room_id is None:
        return None
    return Room.objects.select_for_update().get(pk=room_id)


def _room_clash(event: Event) -> Event | None:
    if event.room_id is None or event.is_cancelled or event.start is None or event.end is None:
        return None
    return (
        Event.objects.occupying_rooms()
        .filter(room_id=event.room_id)
        .overlapping(start=event.start, end=event.end)
        .exclude(pk=event.pk)
        .order_by("start")
        .first()
    )


def _clash_message(room: Room, clash: Event) -> str:
    return _("%(room)s is already booked for “%(title)s”, %(times)s.") % {
        "room": room.name,
        "title": clash.display_title,
        "times": format_local_range(clash),
    }


def room_booking_in_the_way(*, room: Room | None, start: dt.datetime, end: dt.datetime) -> Event | None:
    """The event that holds `room` at some moment between `start` and `end`, or None (a read)."""
    if room is None:
        return None
    return _room_clash(Event(room=room, start=start, end=end))


def room_clash_message(*, room: Room, clash: Event) -> str:
    """“Auditorium is already booked for “…”, <when>.”: the words of the room rule, for any page."""
    return _clash_message(room, clash)


# The database's own room rule on PostgreSQL (Event.Meta.constraints, hubsite.constraints).
ROOM_CONSTRAINT = "event_room_no_overlap"


def _is_room_overlap(error: IntegrityError) -> bool:
    diag = getattr(error.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None) == ROOM_CONSTRAINT or ROOM_CONSTRAINT in str(error)


def _save_under_room_rule(event: Event, **save_kwargs: Any) -> None:
    """Save `event`; if the database refuses a room overlap that the check under the room lock did
    not see (a write that reached the table without the lock), answer with the same clear message."""
    try:
        with transaction.atomic():
            event.save(**save_kwargs)
    except IntegrityError as error:
        if not _is_room_overlap(error):
            raise
        room = Room.objects.get(pk=event.room_id)
        clash = _room_clash(event)
        message = (
            _clash_message(room, clash)
            if clash is not None
            else _("%(room)s is already booked at that time.") % {"room": room.name}
        )
        raise ValidationError({"room": message}, code="room_taken") from error


def event_check(event: Event, *, publishing: bool = False, speaker_count: int | None = None) -> None:
    """Raise a ValidationError (keyed by field) for every rule `event` breaks; write nothing.

    Forms call it for early, friendly errors; the write services call it again under the room lock.
    """
    errors: dict[str, list[str]] = {}

    def add(field_name: str, message: str) -> None:
        errors.setdefault(field_name, []).append(message)

    if event.start and event.end and event.end <= event.start:
        add("end", _("The end must be after the start."))
    room = event.room if event.room_id else None
    if room is not None and not room.is_bookable:
        add("room", _("%(room)s cannot be booked.") % {"room": room.name})
    if (
        room is not None
        and event.has_in_person_part
        and event.capacity is not None
        and event.capacity > room.capacity
    ):
        add(
            "capacity",
            _("%(room)s seats %(seats)d; the event cannot offer %(capacity)d seats there.")
            % {"room": room.name, "seats": room.capacity, "capacity": event.capacity},
        )
    if event.status == Event.Status.PUBLISHED or publishing:
        if not (event.title or "").strip():
            add("title", _("A published event needs a title."))
        if not event.start:
            add("start", _("A published event needs a start."))
        if event.has_online_part and not event.online_url:
            add("online_url", _("An online or hybrid event needs its online link before it is published."))
        if event.has_in_person_part and room is None:
            add("room", _("An in-person or hybrid event needs a room before it is published."))
        if room is None and not event.online_url:
            add(NON_FIELD_ERRORS, _("A published event needs a place: a room or an online link."))
    # Speakers are checked when publishing; later edits to the line-up happen in the inline.
    if publishing or (event.status == Event.Status.PUBLISHED and event.pk is None):
        if speaker_count is None:
            speaker_count = event.speaker_links.count() if event.pk else 0
        if not speaker_count and not event.speakers_tba:
            add(
                "speakers_tba",
                _("Add a speaker, or tick “speakers to be announced”, before publishing."),
            )
    if room is not None and "end" not in errors:
        clash = _room_clash(event)
        if clash is not None:
            add("room", _clash_message(room, clash))
    if errors:
        raise ValidationError(errors)
    # Field validators (time zone, links, Markdown), the slug's uniqueness and the table constraints.
    event.full_clean(exclude=["themes"])


# --- Events -------------------------------------------------------------------------------------


def unique_event_slug(base: str, *, exclude_pk: int | None = None) -> str:
    stem = (slugify(base) or "event")[:120].strip("-") or "event"
    taken = set(
        Event.objects.filter(slug__startswith=stem).exclude(pk=exclude_pk).values_list("slug", flat=True)
    )
    if stem not in taken:
        return stem
    number = 2
    while f"{stem}-{number}" in taken:
        number += 1
    return f"{stem}-{number}"


def _set_speakers(event: Event, speakers: Iterable[Researcher | tuple[Researcher, str]]) -> None:
    links = []
    for order, item in enumerate(speakers):
        researcher, role = item if isinstance(item, tuple) else (item, EventSpeaker.Role.SPEAKER)
        links.append(EventSpeaker(event=event, researcher=researcher, role=role, order=order))
    EventSpeaker.objects.bulk_create(links)


@changes_public_pages
def event_create(
    *,
    by: Any = None,
    themes: Iterable[Theme] = (),
    speakers: Sequence[Researcher | tuple[Researcher, str]] = (),
    **fields: Any,
) -> Event:
    """Create an event (a draft unless `status` says published) after checking every rule.

    `fields` are Event model fields; a blank slug is made from the title and start date.
    """
    status = fields.pop("status", Event.Status.DRAFT)
    if status == Event.Status.CANCELLED:
        raise ValidationError({"status": _("An event cannot be created cancelled.")})
    event = Event(**fields, status=status)
    if not event.slug:
        date_part = event.start.date().isoformat() if event.start else ""
        event.slug = unique_event_slug(f"{event.title} {date_part}")
    with transaction.atomic():
        _lock_room(event.room_id)
        event_check(event, speaker_count=len(speakers))
        if status == Event.Status.PUBLISHED:
            event.published_at = timezone.now()
        _save_under_room_rule(event)
        if themes:
            event.themes.set(themes)
        _set_speakers(event, speakers)
        if status == Event.Status.PUBLISHED:
            _series_announcement(event.pk)
    return event


@changes_public_pages
def event_update(
    *, event: Event, by: Any = None, themes: Iterable[Theme] | None = None, **fields: Any
) -> frozenset[str]:
    """Change an event's fields; return the attendee-relevant fields that changed.

    A published or cancelled event whose time, room, online link or status changed gets a higher
    calendar sequence. `event` is refreshed from the database afterwards.
    """
    unknown = set(fields) - UPDATABLE_FIELDS
    if unknown:
        raise TypeError(f"event_update cannot change {sorted(unknown)}; use event_publish / event_cancel.")
    with transaction.atomic():
        current = Event.objects.select_for_update().get(pk=event.pk)
        before = {name: getattr(current, name if name != "room" else "room_id") for name in ATTENDEE_FIELDS}
        for name, value in fields.items():
            setattr(current, name, value)
        _lock_room(current.room_id)
        event_check(current)
        changed = frozenset(
            name
            for name in ATTENDEE_FIELDS
            if getattr(current, name if name != "room" else "room_id") != before[name]
        )
        if changed and not current.is_draft:
            current.sequence += 1
        _save_under_room_rule(current)
        if themes is not None:
            current.themes.set(themes)
        event_update_notice_schedule(event=current, changed=changed)
    event.refresh_from_db()
    return changed


@changes_public_pages
def event_publish(*, event: Event, by: Any = None) -> Event:
    """Publish a draft: it needs a title, a start, a place and a speaker or an explicit TBA."""
    with transaction.atomic():
        current = Event.objects.select_for_update().get(pk=event.pk)
        if not current.is_draft:
            raise ValidationError(
                _("“%(title)s” is %(status)s; only a draft can be published.")
                % {"title": current.display_title, "status": current.get_status_display().lower()},
                code="not_draft",
            )
        _lock_room(current.room_id)
        event_check(current, publishing=True)
        current.status = Event.Status.PUBLISHED
        current.published_at = timezone.now()
        current.save(update_fields=["status", "published_at", "updated"])
        _series_announcement(current.pk)
    event.refresh_from_db()
    return event


@changes_public_pages
def event_cancel(*, event: Event, reason: str, by: Any = None) -> Event:
    """Cancel an event, keeping it (and its page, and its place in feeds) with the reason shown.

    Every registration still running (confirmed, waiting, pending) ends with it, under the event's
    lock and in the same transaction, as EVENT_CANCELLED; each person is told once, by the
    cancellation message (no "registration cancelled" mail on top)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"cancellation_reason": _("Give a reason for the cancellation: attendees see it.")}
        )
    with transaction.atomic():
        current = Event.objects.select_for_update().get(pk=event.pk)
        if current.is_cancelled:
            raise ValidationError(_("“%(title)s” is already cancelled.") % {"title": current.display_title})
        was_announced = not current.is_draft
        if was_announced:
            current.sequence += 1
        current.status = Event.Status.CANCELLED
        current.cancellation_reason = reason
        # An update still owed is overtaken: the cancellation is the last word.
        current.update_notice_due_at = None
        current.update_notice_moved = False
        current.save(
            update_fields=[
                "status",
                "cancellation_reason",
                "sequence",
                "update_notice_due_at",
                "update_notice_moved",
                "updated",
            ]
        )
        if was_announced:
            _event_cancellation_enqueue(current.pk)
        Registration.objects.active().filter(event=current).update(
            status=Registration.Status.EVENT_CANCELLED,
            cancelled_at=timezone.now(),
            hold_expires=None,
            updated=timezone.now(),
        )
    event.refresh_from_db()
    return event


@changes_public_pages
def event_duplicate_next_week(*, event: Event, by: Any = None) -> Event:
    """A draft copy one week later at the same local wall-clock time, with its speakers and themes."""
    zone = event.zone
    start = local_to_aware(
        (event.start.astimezone(zone) + dt.timedelta(weeks=1)).replace(tzinfo=None), event.time_zone
    )
    duration = event.end - event.start
    speakers = [(link.researcher, link.role) for link in event.speaker_links.select_related("researcher")]
    copied = {name: getattr(event, name) for name in UPDATABLE_FIELDS - {"slug", "start", "end"}}
    return event_create(
        by=by,
        themes=list(event.themes.all()),
        speakers=speakers,
        **copied,
        start=start,
        end=start + duration,
        status=Event.Status.DRAFT,
    )


@changes_public_pages
def event_draft_create(
    *,
    room: Room | None,
    by: Any = None,
    themes: Iterable[Theme] = (),
    speakers: Sequence[Researcher | tuple[Researcher, str]] = (),
    **fields: Any,
) -> Event:
    """A draft in `room` if the room is free (and bookable) then, else a draft without a room.

    For drafts another room proposes (a visitor's offered seminar): the draft never breaks the room
    rule, and staff give it a room (or another time) before publishing, which needs one anyway.
    `room_booking_in_the_way` tells them what held the room."""
    with transaction.atomic():
        _lock_room(room.pk if room else None)
        if room is not None and (
            not room.is_bookable or _room_clash(Event(room=room, start=fields["start"], end=fields["end"]))
        ):
            room = None
        return event_create(
            by=by, themes=themes, speakers=speakers, room=room, status=Event.Status.DRAFT, **fields
        )


@changes_public_pages
def event_delete(*, event: Event, by: Any = None) -> None:
    """Delete a draft (with its speaker list). Anything ever published is cancelled instead, never
    deleted: its page, feeds and the mail sent about it refer to it. Checked under the event's lock,
    so a draft published a moment ago is not deleted."""
    with transaction.atomic():
        current = Event.objects.select_for_update().filter(pk=event.pk).first()
        if current is None:
            return
        if current.is_cancelled:
            raise ValidationError(
                _("“%(title)s” is cancelled: it stays listed as cancelled and cannot be deleted.")
                % {"title": current.title},
                code="not_draft",
            )
        if not current.is_draft:
            raise ValidationError(
                _("“%(title)s” is %(status)s, so it cannot be deleted: cancel it instead.")
                % {"title": current.title, "status": current.get_status_display().lower()},
                code="not_draft",
            )
        current.delete()


def series_get_or_create(*, slug: str, defaults: dict[str, Any]) -> Series:
    """The series with this slug, made from `defaults` if there is none (another room's drafts go
    in it); two callers at once make one series."""
    series, _created = Series.objects.get_or_create(slug=slug, defaults=defaults)
    return series


# The place of a researcher on an event: a speaker comes first, then a panellist, then a chair.
_ROLE_RANK = {EventSpeaker.Role.SPEAKER: 0, EventSpeaker.Role.PANELLIST: 1, EventSpeaker.Role.CHAIR: 2}


@changes_public_pages
def event_people_merge(*, keep: Researcher, remove: Researcher) -> None:
    """Two records of one person become `keep` on every event and series (researchers' merge calls
    this through EventsConfig.researcher_merge_service; the caller holds both researchers' locks).

    On an event both were on, the person is listed once, in the earlier place and the first role
    (speaker before panellist before chair)."""
    kept_links = {link.event_id: link for link in EventSpeaker.objects.filter(researcher=keep)}
    for link in EventSpeaker.objects.filter(researcher=remove).order_by("pk"):
        mine = kept_links.get(link.event_id)
        if mine is None:
            link.researcher = keep
            link.save(update_fields=["researcher"])
            continue
        mine.role = min((mine.role, link.role), key=lambda role: _ROLE_RANK.get(role, len(_ROLE_RANK)))
        mine.order = min(mine.order, link.order)
        mine.save(update_fields=["role", "order"])
        link.delete()
    for series in Series.objects.filter(organisers=remove):
        series.organisers.add(keep)
        series.organisers.remove(remove)


# --- Series -------------------------------------------------------------------------------------


@dataclass
class SessionPlan:
    """What series_generate_sessions made (or, in a preview, would make) and what it skipped."""

    sessions: list[Event] = field(default_factory=list)
    skipped: list[tuple[dt.date, str]] = field(default_factory=list)


def _holidays(years: Iterable[int]) -> dict[dt.date, str]:
    language = "ko" if (get_language() or "").startswith("ko") else "en_US"
    return dict(holidays.country_holidays("KR", years=list(years), language=language))


@changes_public_pages
def series_generate_sessions(
    *,
    series: Series,
    first_date: dt.date,
    last_date: dt.date,
    every_weeks: int = 1,
    dry_run: bool = False,
    by: Any = None,
) -> SessionPlan:
    """Draft sessions on the series' weekday, time and room, every `every_weeks` weeks.

    Korean public holidays and dates whose room is taken are skipped and listed with the reason.
    With `dry_run` nothing is written: the plan is a preview with unsaved events.
    """
    errors = {}
    if series.default_weekday is None or series.default_start_time is None:
        errors[NON_FIELD_ERRORS] = [_("Set the series' default weekday and start time first.")]
    if last_date < first_date:
        errors["last_date"] = [_("The last date must be on or after the first date.")]
    if not 1 <= every_weeks <= 12:
        errors["every_weeks"] = [_("Choose between every week and every 12 weeks.")]
    if errors:
        raise ValidationError(errors)
    day = first_date + dt.timedelta(days=(series.default_weekday - first_date.weekday()) % 7)
    dates = []
    while day <= last_date:
        dates.append(day)
        day += dt.timedelta(weeks=every_weeks)
    if len(dates) > MAX_GENERATED_SESSIONS:
        raise ValidationError(
            {
                "last_date": _("That is more than %(max)d sessions; choose a shorter range.")
                % {"max": MAX_GENERATED_SESSIONS}
            }
        )
    public_holidays = _holidays({d.year for d in dates})
    plan = SessionPlan()
    duration = dt.timedelta(minutes=series.default_duration_minutes)
    room = series.default_room
    with transaction.atomic():
        _lock_room(room.pk if room else None)
        for day in dates:
            if day in public_holidays:
                plan.skipped.append(
                    (day, _("Korean public holiday: %(name)s") % {"name": public_holidays[day]})
                )
                continue
            try:
                start = local_to_aware(dt.datetime.combine(day, series.default_start_time), series.time_zone)
            except ValidationError as error:
                plan.skipped.append((day, error.messages[0]))
                continue
            candidate = Event(
                kind=Event.Kind.SEMINAR,
                series=series,
                title=series.title,
                title_ko=series.title_ko,
                start=start,
                end=start + duration,
                time_zone=series.time_zone,
                room=room,
                format=Event.Format.IN_PERSON if room else Event.Format.ONLINE,
                speakers_tba=True,
            )
            clash = _room_clash(candidate)
            if clash is not None:
                plan.skipped.append((day, _clash_message(room, clash)))
                continue
            if not dry_run:
                candidate = event_create(
                    by=by,
                    themes=list(series.themes.all()),
                    **{
                        name: getattr(candidate, name)
                        for name in ("kind", "series", "title", "title_ko", "start", "end", "time_zone")
                    },
                    room=room,
                    format=candidate.format,
                    speakers_tba=True,
                    slug=unique_event_slug(f"{series.slug} {day.isoformat()}"),
                )
            plan.sessions.append(candidate)
    return plan


# --- Bulk (demo and benchmark data) -------------------------------------------------------------


@changes_public_pages
def events_bulk_create(
    *,
    events: Sequence[Event],
    speakers: dict[str, Sequence[Researcher]] | None = None,
    themes: dict[str, Sequence[Theme]] | None = None,
) -> tuple[list[Event], list[Event]]:
    """Insert many events at once under the room rule; return (created, refused because of a clash).

    Rooms are locked, the bookings already in the database for the span are read once, and every
    candidate is checked against them and against the candidates accepted before it.
    """
    speakers = speakers or {}
    themes = themes or {}
    if not events:
        return [], []
    room_ids = sorted({e.room_id for e in events if e.room_id})
    low = min(e.start for e in events)
    high = max(e.end for e in events)
    created: list[Event] = []
    refused: list[Event] = []
    with transaction.atomic():
        list(Room.objects.select_for_update().filter(pk__in=room_ids).order_by("pk"))
        booked: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
        for room_id, start, end in (
            Event.objects.occupying_rooms()
            .filter(room_id__in=room_ids)
            .overlapping(start=low, end=high)
            .values_list("room_id", "start", "end")
        ):
            booked.setdefault(room_id, []).append((start, end))
        for event in events:
            if event.end <= event.start:
                raise ValidationError({"end": _("The end must be after the start.")})
            if event.room_id and not event.is_cancelled:
                slots = booked.setdefault(event.room_id, [])
                if any(start < event.end and end > event.start for start, end in slots):
                    refused.append(event)
                    continue
                slots.append((event.start, event.end))
            if event.status != Event.Status.DRAFT and event.published_at is None:
                event.published_at = timezone.now()
            created.append(event)
        Event.objects.bulk_create(created, batch_size=500)
        by_slug = dict(Event.objects.filter(slug__in=[e.slug for e in created]).values_list("slug", "pk"))
        links = []
        theme_links = []
        for event in created:
            event.pk = by_slug[event.slug]
            for order, researcher in enumerate(speakers.get(event.slug, ())):
                links.append(EventSpeaker(event_id=event.pk, researcher=researcher, order=order))
            for theme in themes.get(event.slug, ()):
                theme_links.append(Event.themes.through(event_id=event.pk, theme_id=theme.pk))
        EventSpeaker.objects.bulk_create(links, batch_size=1000)
        Event.themes.through.objects.bulk_create(theme_links, batch_size=1000)
    return created, refused


# --- Series subscriptions ------------------------------------------------------------------
# Double opt-in e-mail announcements of a series (the imports above are this section's).

SUBSCRIPTION_CONFIRMATION_VALID_FOR = timedelta(days=7)
# Asking again sooner does not send another confirmation mail (no mail-bombing a stranger's inbox).
SUBSCRIPTION_CONFIRMATION_RESEND_AFTER = timedelta(minutes=10)


class SubscriptionLinkError(Exception):
    """A confirmation or unsubscribe link that cannot be honoured; `message` says why."""

    message = gettext_lazy("This link is not valid. Check that you copied the whole link from the e-mail.")


class SubscriptionLinkInvalid(SubscriptionLinkError):
    pass


class SubscriptionLinkExpired(SubscriptionLinkError):
    message = gettext_lazy("This confirmation link has expired. Subscribe again to get a new one.")


class SubscriptionCancelled(SubscriptionLinkError):
    message = gettext_lazy("This subscription was cancelled. Subscribe again to get a new confirmation link.")


@dataclass(frozen=True)
class SubscriptionChange:
    subscription: SeriesSubscription
    # False when the link had already been used: the second click changes nothing.
    changed: bool


def subscription_confirm_url(subscription: SeriesSubscription) -> str:
    return settings.SITE_URL + reverse("events:subscription_confirm", args=[subscription.token])


def subscription_unsubscribe_url(subscription: SeriesSubscription) -> str:
    return settings.SITE_URL + reverse("events:subscription_unsubscribe", args=[subscription.token])


def series_subscription_request(*, series: Series, email: str, language: str = "en") -> SeriesSubscription:
    """Ask for a series' announcements: a confirmation mail goes out, nothing else until it is used.

    An active subscription stays as it is (and nothing is sent, so the answer given to whoever asked
    reveals nothing); a cancelled one starts over with a new token; a pending one gets a new
    confirmation mail, at most every SUBSCRIPTION_CONFIRMATION_RESEND_AFTER.
    """
    email = email.strip().lower()
    now = timezone.now()
    with transaction.atomic():
        subscription, created = SeriesSubscription.objects.select_for_update().get_or_create(
            series=series, email=email, defaults={"language": language, "requested_at": now}
        )
        if subscription.is_active:
            return subscription
        if subscription.unsubscribed_at is not None:
            subscription.token = SeriesSubscription._meta.get_field("token").get_default()
            subscription.unsubscribed_at = None
            subscription.confirmed_at = None
        elif not created and now - subscription.requested_at < SUBSCRIPTION_CONFIRMATION_RESEND_AFTER:
            return subscription
        subscription.requested_at = now
        subscription.language = language
        subscription.confirmations_sent += 1
        subscription.save()
        outbox_enqueue(
            kind="series_subscription_confirm",
            about=subscription,
            recipient=email,
            template="series_subscription_confirm",
            context={
                "series": series,
                "confirm_url": subscription_confirm_url(subscription),
                "valid_days": SUBSCRIPTION_CONFIRMATION_VALID_FOR.days,
            },
            revision=subscription.confirmations_sent,
            language=language,
        )
    return subscription


def series_subscription_confirm(*, token: str) -> SubscriptionChange:
    with transaction.atomic():
        subscription = _subscriptions_by_token(token).select_for_update().first()
        if subscription is None:
            raise SubscriptionLinkInvalid
        if not subscription_needs_confirming(subscription):
            return SubscriptionChange(subscription, changed=False)
        subscription.confirmed_at = timezone.now()
        subscription.save(update_fields=["confirmed_at"])
    return SubscriptionChange(subscription, changed=True)


def subscription_needs_confirming(subscription: SeriesSubscription) -> bool:
    """True for a pending subscription whose link still works; False once confirmed.

    Raises SubscriptionCancelled or SubscriptionLinkExpired for a link that can no longer confirm."""
    if subscription.unsubscribed_at is not None:
        raise SubscriptionCancelled
    if subscription.confirmed_at is not None:
        return False
    if timezone.now() - subscription.requested_at > SUBSCRIPTION_CONFIRMATION_VALID_FOR:
        raise SubscriptionLinkExpired
    return True


def series_subscription_unsubscribe(*, token: str) -> SubscriptionChange:
    """Stop a subscription (or a pending request) by its link; a second use changes nothing."""
    with transaction.atomic():
        subscription = _subscriptions_by_token(token).select_for_update().first()
        if subscription is None:
            raise SubscriptionLinkInvalid
        if subscription.unsubscribed_at is not None:
            return SubscriptionChange(subscription, changed=False)
        subscription.unsubscribed_at = timezone.now()
        subscription.save(update_fields=["unsubscribed_at"])
    return SubscriptionChange(subscription, changed=True)


def _subscriptions_by_token(token: str):
    """The subscription a link's token names; a token of the wrong shape names none."""
    if not is_random_token(token):
        return SeriesSubscription.objects.none()
    return SeriesSubscription.objects.filter(token=token)


def series_subscription_for_token(*, token: str) -> SeriesSubscription:
    subscription = _subscriptions_by_token(token).select_related("series").first()
    if subscription is None:
        raise SubscriptionLinkInvalid
    return subscription


def series_subscribers(series: Series) -> list[str]:
    """The confirmed, still subscribed addresses of a series (an audience for its announcements)."""
    return list(series.subscriptions.active().order_by("email").values_list("email", flat=True))


def series_announcement_headers(subscription: SeriesSubscription) -> dict[str, str]:
    """List headers of an announcement: one-click unsubscribe (RFC 8058) and the list's identity."""
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return {
        "List-Unsubscribe": f"<{subscription_unsubscribe_url(subscription)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": f"<{subscription.series.slug}.series.{host}>",
    }


def series_announcement_enqueue(
    *,
    series: Series,
    kind: str,
    about: models.Model,
    template: str,
    context: dict,
    revision: int = 0,
    attachments: tuple[dict, ...] = (),
    skip: Iterable[str] = (),
) -> list[OutboxMessage]:
    """One outbox row per active subscriber, each with its own unsubscribe link and list headers.

    The template gets `unsubscribe_url` (email/base.* show it in the footer). Asking twice for the
    same (kind, about, revision) sends nothing more; pending subscribers get nothing, nor do the
    addresses in `skip` (told already by another message of the same kind).
    """
    messages = []
    subscriptions = series.subscriptions.active().exclude(email__in=list(skip))
    for subscription in subscriptions.select_related("series").order_by("pk"):
        messages.append(
            outbox_enqueue(
                kind=kind,
                about=about,
                recipient=subscription.email,
                template=template,
                context={
                    **context,
                    "series": series,
                    "unsubscribe_url": subscription_unsubscribe_url(subscription),
                },
                revision=revision,
                language=subscription.language,
                attachments=attachments,
                headers=series_announcement_headers(subscription),
            )
        )
    return messages


# --- Registration ---
#
# Every seat decision takes a row lock on the event (`select_for_update`) inside one transaction,
# so concurrent registrations for the same event queue on that lock and the seat count read under
# it is exact; the partial unique constraint on (event, lower(e-mail)) for active registrations
# catches a duplicate even without the lock. Mail is written to the outbox in the same transaction.

SEAT_HOLD = dt.timedelta(minutes=30)
# The guest form asked again for an address with a registration: at most one message this often.
GUEST_REPEAT_MAIL_AFTER = dt.timedelta(minutes=10)
CONFIRM_LINK_MAX_AGE = dt.timedelta(hours=24)
CANCEL_LINK_MAX_AGE = dt.timedelta(days=400)
CONFIRM_SALT = "events.registration.confirm"
CANCEL_SALT = "events.registration.cancel"
JOIN_SALT = "events.registration.join"


class RegistrationError(ValidationError):
    """A registration request that cannot be granted, with a message to show as it is."""


def registration_confirm_token(registration: Registration) -> str:
    return signing.dumps(registration.pk, salt=CONFIRM_SALT)


def registration_cancel_token(registration: Registration) -> str:
    return signing.dumps(registration.pk, salt=CANCEL_SALT)


def registration_join_token(registration: Registration) -> str:
    return signing.dumps(registration.pk, salt=JOIN_SALT)


def registration_from_token(*, token: str, salt: str, max_age: dt.timedelta | None) -> Registration:
    """The registration a signed link names; RegistrationError for a forged or expired link."""
    try:
        pk = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired as error:
        raise RegistrationError(_("This link has expired."), code="expired") from error
    except signing.BadSignature as error:
        raise RegistrationError(
            _("This link is not valid. Please use the link from your e-mail."), code="forged"
        ) from error
    registration = Registration.objects.select_related("event", "event__room").filter(pk=pk).first()
    if registration is None:
        raise RegistrationError(_("This registration no longer exists."), code="missing")
    return registration


def seat_limit(*, event: Event, attendance: str) -> int | None:
    """In-person: the event's capacity, never above its room's; online: its own cap. None: no limit."""
    if attendance == Registration.Attendance.ONLINE:
        return event.online_capacity
    limits = [
        limit for limit in (event.capacity, event.room.capacity if event.room else None) if limit is not None
    ]
    return min(limits) if limits else None


def seats_taken(
    *, event: Event, attendance: str, now: dt.datetime | None = None, count_holds: bool = True
) -> int:
    registrations = Registration.objects.filter(event=event, attendance=attendance)
    if not count_holds:
        return registrations.filter(status=Registration.Status.CONFIRMED).count()
    return registrations.holding_seat(now).count()


def seats_free(
    *, event: Event, attendance: str, now: dt.datetime | None = None, count_holds: bool = True
) -> int | None:
    """Seats left. Decisions count the seats held for guests confirming their address; the pages
    show `count_holds=False`, so a guest's request changes no count anyone can see."""
    limit = seat_limit(event=event, attendance=attendance)
    if limit is None:
        return None
    taken = seats_taken(event=event, attendance=attendance, now=now, count_holds=count_holds)
    return max(limit - taken, 0)


def registration_attendance_choices(event: Event) -> list[str]:
    if event.format == Event.Format.ONLINE:
        return [Registration.Attendance.ONLINE]
    if event.format == Event.Format.HYBRID:
        return [Registration.Attendance.IN_PERSON, Registration.Attendance.ONLINE]
    return [Registration.Attendance.IN_PERSON]


def registration_closes_at(event: Event) -> dt.datetime:
    return event.registration_closes or event.start


def registration_check_open(*, event: Event, now: dt.datetime | None = None) -> None:
    """RegistrationError with the reason when the event does not take registrations now."""
    now = now or timezone.now()
    if event.status == Event.Status.DRAFT:
        raise RegistrationError(
            _("This event is not published, so it does not take registrations."), code="draft"
        )
    if event.status == Event.Status.CANCELLED:
        raise RegistrationError(_("This event has been cancelled."), code="cancelled")
    if event.start <= now:
        raise RegistrationError(_("This event has already started or is over."), code="past")
    if event.registration_opens and now < event.registration_opens:
        raise RegistrationError(
            _("Registration opens on %(when)s.")
            % {"when": dates.moment(event.registration_opens, zone=event.time_zone)},
            code="not_open",
        )
    if now >= registration_closes_at(event):
        raise RegistrationError(_("Registration for this event is closed."), code="closed")


def _lock_event(event: Event) -> Event:
    return Event.objects.select_related("room").select_for_update(of=("self",)).get(pk=event.pk)


def _refuse_if_event_cancelled(event: Event) -> None:
    """A cancelled event ended every registration: nothing about them can change any more."""
    if event.status == Event.Status.CANCELLED:
        raise RegistrationError(
            _("This event has been cancelled, so its registrations have ended."), code="cancelled"
        )


def _links(registration: Registration) -> dict:
    return {
        "cancel_url": ical.absolute_url(
            reverse("events:registration_cancel", kwargs={"token": registration_cancel_token(registration)})
        ),
        "confirm_url": ical.absolute_url(
            reverse("events:registration_confirm", kwargs={"token": registration_confirm_token(registration)})
        ),
        "join_url": ical.absolute_url(
            reverse("events:registration_join", kwargs={"token": registration_join_token(registration)})
        ),
        "my_seminars_url": ical.absolute_url(reverse("events:my_seminars")),
        "event_url": ical.event_page_url(registration.event),
    }


def _mail(
    registration: Registration,
    *,
    kind: str,
    template: str,
    method: str | None,
    extra: dict | None = None,
    revision: int = 0,
):
    event = registration.event
    attachments = []
    if method:
        content = ical.invitation_bytes(
            event=event,
            attendee_email=registration.email,
            attendee_name=registration.name,
            method=method,
            partstat=_registration_partstat(registration),
        )
        attachments.append(ical.ics_attachment(filename=f"{event.slug}.ics", content=content))
    context = {
        "registration": registration,
        "event": event,
        "hold_minutes": int(SEAT_HOLD.total_seconds() // 60),
        "is_online": registration.attendance == Registration.Attendance.ONLINE,
        **_links(registration),
        **(extra or {}),
    }
    outbox_enqueue(
        kind=kind,
        about=registration,
        recipient=registration.email,
        template=template,
        context=context,
        revision=revision,
        language=registration.language,
        attachments=attachments,
        recipient_name=registration.name,
    )


def waiting_position(registration: Registration) -> int | None:
    if registration.status != Registration.Status.WAITING:
        return None
    return Registration.objects.with_position().get(pk=registration.pk).position


def _confirm_seat(registration: Registration, now: dt.datetime) -> None:
    registration.status = Registration.Status.CONFIRMED
    registration.confirmed_at = registration.confirmed_at or now
    registration.hold_expires = None
    registration.save(update_fields=["status", "confirmed_at", "hold_expires", "updated"])
    _mail(registration, kind="registration_confirmed", template="registration_confirmed", method="REQUEST")


def _join_waiting_list(registration: Registration, now: dt.datetime) -> None:
    registration.status = Registration.Status.WAITING
    registration.confirmed_at = registration.confirmed_at or now
    registration.queued_at = now
    registration.hold_expires = None
    registration.save(update_fields=["status", "confirmed_at", "queued_at", "hold_expires", "updated"])
    _mail(
        registration,
        kind="registration_waiting",
        template="registration_waiting",
        method=None,
        extra={"position": waiting_position(registration)},
    )


def _promote(registration: Registration, now: dt.datetime) -> None:
    registration.status = Registration.Status.CONFIRMED
    registration.promoted_at = now
    registration.save(update_fields=["status", "promoted_at", "updated"])
    _mail(registration, kind="registration_promoted", template="registration_promoted", method="REQUEST")


def _fill_free_seats(event: Event, now: dt.datetime) -> list[Registration]:
    """Promote the first on each waiting list while seats are free. The caller holds the event lock."""
    promoted = []
    for attendance in registration_attendance_choices(event):
        free = seats_free(event=event, attendance=attendance, now=now)
        waiting = Registration.objects.filter(event=event, attendance=attendance).waiting_list()
        if free is not None:
            waiting = waiting[:free]
        for registration in list(waiting):
            registration.event = event
            _promote(registration, now)
            promoted.append(registration)
    return promoted


# Seat counts show on the event page.
@changes_public_pages
def registration_create(
    *,
    event: Event,
    email: str,
    name: str = "",
    attendance: str | None = None,
    user: AbstractBaseUser | None = None,
    language: str = "en",
    now: dt.datetime | None = None,
) -> Registration:
    """Register a signed-in person at once, or a guest pending the link sent to their address.

    A signed-in person gets a seat or a place on the waiting list now. A guest's seat, if one is
    free, is held for SEAT_HOLD while they confirm; a guest for a full event joins the waiting list
    when they confirm.

    When the address already has a registration for the event, who may have it is decided here,
    under the event's lock (so a guest and the address's owner posting at the same moment queue):
    - a guest gets the answer a new address gets, whatever the address is: nothing changes, and the
      address gets one message saying where its registration stands (the confirmation link again
      while it is pending). The person behind the address learns the rest by e-mail; the guest
      learns nothing about it (see `registration_answer_for_guest`).
    - a signed-in person whose verified address it is takes a registration made as a guest into
      their account; a pending one is confirmed at once (the verified address is the confirmation).
      `registration.claimed` is then True. Their own registration, or one they cannot prove is
      theirs, is refused with a message.
    """
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as error:
        raise RegistrationError(
            _("“%(email)s” is not a valid e-mail address.") % {"email": email}, code="email"
        ) from error
    name = " ".join((name or "").split())[:200]
    if user is None and not name:
        raise RegistrationError(_("Please give your name."), code="name")
    if user is not None and not name:
        name = user.get_full_name() or email
    try:
        with transaction.atomic():
            event = _lock_event(event)
            now = now or timezone.now()
            registration_check_open(event=event, now=now)
            if user is None and event.visibility == Event.Visibility.MEMBERS:
                raise RegistrationError(
                    _("This event is for members: please sign in to register."), code="members"
                )
            choices = registration_attendance_choices(event)
            attendance = attendance or choices[0]
            if attendance not in choices:
                raise RegistrationError(_("This event cannot be attended that way."), code="attendance")
            _fill_free_seats(event, now)
            existing = (
                Registration.objects.select_for_update().active().filter(event=event, email=email).first()
            )
            if existing is not None:
                stale = (
                    existing.status == Registration.Status.PENDING
                    and existing.created + CONFIRM_LINK_MAX_AGE <= now
                )
                if not stale:
                    existing.event = event
                    if user is None:
                        return _guest_asked_again(existing, now)
                    return _signed_in_asked_again(existing, user=user, now=now)
                existing.status = Registration.Status.EXPIRED
                existing.save(update_fields=["status", "updated"])
            free = seats_free(event=event, attendance=attendance, now=now)
            registration = Registration(
                event=event, user=user, name=name, email=email, attendance=attendance, language=language
            )
            if user is None:
                registration.status = Registration.Status.PENDING
                if free is None or free > 0:
                    registration.hold_expires = now + SEAT_HOLD
                registration.save()
                _mail(
                    registration,
                    kind="registration_confirm_link",
                    template="registration_confirm_link",
                    method="REQUEST",
                    extra={"seat_held": registration.hold_expires is not None},
                )
            elif free is None or free > 0:
                registration.save()
                _confirm_seat(registration, now)
            else:
                registration.queued_at = now
                registration.status = Registration.Status.WAITING
                registration.save()
                _join_waiting_list(registration, now)
            return registration
    except IntegrityError as error:
        # Only reachable if the lock was bypassed: the constraint still says no.
        raise RegistrationError(
            _("This e-mail address is already registered for this event."), code="duplicate"
        ) from error


def registration_answer_for_guest(email: str) -> str:
    """What the guest form answers, the same for every address (new, registered, waiting, pending,
    a member's): whatever else is true, the address's owner reads it in the message sent there."""
    return _("Almost done: we sent a message to %(email)s. Open it for the next step.") % {
        "email": (email or "").strip().lower()
    }


def _guest_asked_again(existing: Registration, now: dt.datetime) -> Registration:
    """The guest form used an address that already has a registration: one message to the address,
    as for a new one, and nothing else changes. The caller holds the event lock.

    At most one message about the registration every GUEST_REPEAT_MAIL_AFTER, so that the form
    cannot flood an inbox (the answer to the form is the same either way)."""
    last = (
        OutboxMessage.objects.about(existing).order_by("-created").values_list("created", flat=True).first()
    )
    if last is not None and now - last < GUEST_REPEAT_MAIL_AFTER:
        return existing
    if existing.status == Registration.Status.PENDING:
        kind, template, method = "registration_confirm_link", "registration_confirm_link", "REQUEST"
        extra = {"seat_held": existing.hold_expires is not None and existing.hold_expires > now}
    else:
        kind, template, method = "registration_repeat", "registration_repeat", None
        extra = {"position": waiting_position(existing)}
    # Each request is its own message: the revision counts the earlier ones about this registration.
    revision = OutboxMessage.objects.about(existing).filter(kind=kind).count()
    _mail(existing, kind=kind, template=template, method=method, extra=extra, revision=revision)
    return existing


def _has_verified_address(user: AbstractBaseUser, email: str) -> bool:
    return EmailAddress.objects.filter(user=user, email__iexact=email, verified=True).exists()


def _belongs_to(registration: Registration, user: AbstractBaseUser) -> bool:
    """The rule of RegistrationQuerySet.for_user, for one row."""
    if registration.user_id is not None:
        return registration.user_id == user.pk
    return _has_verified_address(user, registration.email)


def _signed_in_asked_again(
    existing: Registration, *, user: AbstractBaseUser, now: dt.datetime
) -> Registration:
    """A signed-in person registers with an address that already has a registration for the event.

    Theirs already: refused, saying so. Made as a guest with an address they have verified: it
    becomes theirs (and a pending one is confirmed now, a seat or the waiting list, as the guest's
    link would have done). Anything else: refused with what to do. The caller holds the event lock."""
    if existing.user_id == user.pk:
        raise RegistrationError(_already_yours_message(existing), code="duplicate")
    if existing.user_id is not None or not _has_verified_address(user, existing.email):
        raise RegistrationError(
            _(
                "This e-mail address is already registered for this event, and your account has not "
                "confirmed it: use the link we sent to the address, or confirm the address in your "
                "account first."
            ),
            code="not_yours",
        )
    existing.user = user
    existing.save(update_fields=["user", "updated"])
    if existing.status == Registration.Status.PENDING:
        held = existing.hold_expires is not None and existing.hold_expires > now
        existing.hold_expires = None
        free = seats_free(event=existing.event, attendance=existing.attendance, now=now)
        if held or free is None or free > 0:
            _confirm_seat(existing, now)
        else:
            _join_waiting_list(existing, now)
    existing.claimed = True
    return existing


def _already_yours_message(existing: Registration) -> str:
    if existing.status == Registration.Status.PENDING:
        return _("You are already registered for this event: please confirm with the link we sent you.")
    if existing.status == Registration.Status.WAITING:
        return _("You are already on the waiting list for this event.")
    return _("You are already registered for this event.")


# Seat counts show on the event page.
@changes_public_pages
def registration_confirm_email(*, token: str, now: dt.datetime | None = None) -> Registration:
    """A guest's link: a held seat becomes theirs; otherwise a free seat or the waiting list."""
    registration = registration_from_token(token=token, salt=CONFIRM_SALT, max_age=CONFIRM_LINK_MAX_AGE)
    with transaction.atomic():
        event = _lock_event(registration.event)
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        registration.event = event
        now = now or timezone.now()
        _refuse_if_event_cancelled(event)
        if registration.status in (Registration.Status.CONFIRMED, Registration.Status.WAITING):
            raise RegistrationError(_("This confirmation link has already been used."), code="used")
        if registration.status != Registration.Status.PENDING:
            raise RegistrationError(
                _("This registration was cancelled or not confirmed in time; please register again."),
                code="inactive",
            )
        try:
            registration_check_open(event=event, now=now)
        except RegistrationError:
            registration.status = Registration.Status.EXPIRED
            registration.save(update_fields=["status", "updated"])
            raise
        _fill_free_seats(event, now)
        held = registration.hold_expires is not None and registration.hold_expires > now
        registration.hold_expires = None
        free = seats_free(event=event, attendance=registration.attendance, now=now)
        if held or free is None or free > 0:
            _confirm_seat(registration, now)
        else:
            _join_waiting_list(registration, now)
        return registration


# Seat counts show on the event page.
@changes_public_pages
def registration_cancel(
    *,
    registration: Registration,
    user: AbstractBaseUser | None = None,
    now: dt.datetime | None = None,
) -> list[Registration]:
    """Cancel a registration and at once promote the first waiting person into a freed seat.

    With `user` (My seminars), the registration must be theirs, decided under the lock: made
    signed in, or made as a guest with an address they have verified. Without, the caller holds
    a signed cancel link or is staff. Returns the promoted registrations.
    """
    with transaction.atomic():
        event = _lock_event(registration.event)
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        registration.event = event
        now = now or timezone.now()
        if user is not None and not _belongs_to(registration, user):
            raise RegistrationError(_("This registration is not yours."), code="not_yours")
        _refuse_if_event_cancelled(event)
        if not registration.is_active:
            raise RegistrationError(_("This registration is already cancelled."), code="inactive")
        if event.end <= now:
            raise RegistrationError(
                _("This event is over, so its registrations can no longer change."), code="past"
            )
        was_confirmed = registration.status == Registration.Status.CONFIRMED
        registration.status = Registration.Status.CANCELLED
        registration.cancelled_at = now
        registration.hold_expires = None
        registration.save(update_fields=["status", "cancelled_at", "hold_expires", "updated"])
        _mail(
            registration,
            kind="registration_cancelled",
            template="registration_cancelled",
            method="CANCEL" if was_confirmed else None,
        )
        return _fill_free_seats(event, now)


def registration_cancel_by_token(*, token: str, now: dt.datetime | None = None) -> Registration:
    registration = registration_from_token(token=token, salt=CANCEL_SALT, max_age=CANCEL_LINK_MAX_AGE)
    registration_cancel(registration=registration, now=now)
    registration.refresh_from_db()
    return registration


# Seat counts show on the event page.
@changes_public_pages
def registration_promote(*, registration: Registration, now: dt.datetime | None = None) -> Registration:
    """Staff: give a free seat to this waiting person, out of turn. Never beyond the seats there are."""
    with transaction.atomic():
        event = _lock_event(registration.event)
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        registration.event = event
        now = now or timezone.now()
        _refuse_if_event_cancelled(event)
        if registration.status != Registration.Status.WAITING:
            raise RegistrationError(_("Only people on the waiting list can be promoted."), code="not_waiting")
        free = seats_free(event=event, attendance=registration.attendance, now=now)
        if free is not None and free <= 0:
            raise RegistrationError(_("There is no free seat: raise the capacity first."), code="full")
        _promote(registration, now)
        return registration


# Seat counts show on the event page.
@changes_public_pages
def registration_fill_free_seats(*, event: Event, now: dt.datetime | None = None) -> list[Registration]:
    """Promote waiting people into seats freed by a larger capacity or by guests' expired holds."""
    with transaction.atomic():
        event = _lock_event(event)
        if event.status != Event.Status.PUBLISHED:
            return []
        return _fill_free_seats(event, now or timezone.now())


def registration_fill_all_free_seats(*, now: dt.datetime | None = None) -> int:
    """The periodic sweep: every upcoming event with a waiting list gets its free seats filled."""
    now = now or timezone.now()
    events = Event.objects.filter(
        status=Event.Status.PUBLISHED, end__gt=now, registrations__status=Registration.Status.WAITING
    ).distinct()
    return sum(len(registration_fill_free_seats(event=event, now=now)) for event in events)


def registration_check_in(*, registration: Registration, now: dt.datetime | None = None) -> Registration:
    """Staff: mark a confirmed person as present."""
    with transaction.atomic():
        event = _lock_event(registration.event)
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        _refuse_if_event_cancelled(event)
        if registration.status != Registration.Status.CONFIRMED:
            raise RegistrationError(_("Only confirmed people can be checked in."), code="not_confirmed")
        if registration.checked_in_at is None:
            registration.checked_in_at = now or timezone.now()
            registration.save(update_fields=["checked_in_at", "updated"])
        return registration


def personal_calendar_get(*, user: AbstractBaseUser):
    """The person's calendar token, made on first use."""
    calendar = PersonalCalendar.objects.filter(user=user).first()
    if calendar is None:
        try:
            with transaction.atomic():
                calendar = PersonalCalendar.objects.create(user=user, token=_new_token())
        except IntegrityError:
            calendar = PersonalCalendar.objects.get(user=user)
    return calendar


def personal_calendar_replace(*, user: AbstractBaseUser):
    """A new secret address for the person's calendar; the old one answers 404 from now on."""
    with transaction.atomic():
        calendar = personal_calendar_get(user=user)
        calendar = PersonalCalendar.objects.select_for_update().get(pk=calendar.pk)
        calendar.token = _new_token()
        calendar.replaced_at = timezone.now()
        calendar.save(update_fields=["token", "replaced_at"])
        return calendar


def _new_token() -> str:
    return secrets.token_urlsafe(24)  # 192 bits


# --- Messages about events ---
#
# What is sent about a seminar besides the registration mails above: invitations (staff pick the
# audiences in the admin), an update when a published event's time, room or online link changes,
# the cancellation, reminders before the start and the announcement to the series' subscribers.
# Every message is an outbox row about the event, unique on (kind, event, recipient, revision), so
# a repeat (a second click, a second beat scheduler, a task delivered twice) finds the row and sends
# nothing more. The invitation rows are also the record of who was invited: cancellations read them.

INVITATION_KIND = "invitation"
UPDATE_KIND = "event_update"
CANCELLATION_KIND = "event_cancelled"
ANNOUNCEMENT_KIND = "series_announcement"
# Changes that move the event in someone's calendar; a change of status has its own message.
UPDATE_NOTICE_FIELDS = frozenset({"start", "end", "room", "online_url"})
# The changes that move a session for the series' subscribers too (the link is not theirs).
SESSION_MOVE_FIELDS = frozenset({"start", "end", "room"})
# Stays whose visitor is at the hub: read from the visits app's own Status (see visitors_in_residence).
RESIDENT_VISIT_STATUSES = ("APPROVED", "CHECKED_IN")
# Addresses pasted by staff: one per line, or separated by commas or semicolons; "Name <address>" too.
_ADDRESS_SEPARATORS = re.compile(r"[\n,;]+")


class Audience(models.TextChoices):
    SUBSCRIBERS = "subscribers", gettext_lazy("Subscribers of the event's series (confirmed)")
    RESEARCHERS = "researchers", gettext_lazy("Researchers with an account and a verified e-mail address")
    VISITORS = "visitors", gettext_lazy("Visitors at the hub on the day of the event")
    PARTNERS = "partners", gettext_lazy("Contact people of active partner institutions")


@dataclass(frozen=True)
class Invitee:
    email: str
    name: str = ""
    # "" while unknown: invitation_plan fills it from the researcher with this address, else English.
    language: str = ""


@dataclass
class InvitationPlan:
    """Who an invitation would reach: every address once (compared without letter case)."""

    invitees: list[Invitee]
    already_invited: frozenset[str]

    @property
    def new(self) -> list[Invitee]:
        return [invitee for invitee in self.invitees if invitee.email not in self.already_invited]


class InvitationError(ValidationError):
    """An invitation that cannot be sent, with a message to show as it is."""


def _visit_model():
    """The visits app's stay model, found through the reverse relation (events never imports visits)."""
    try:
        return Researcher._meta.get_field("visits").related_model
    except FieldDoesNotExist:  # visits not installed: nobody is in residence
        return None


def visitors_in_residence(event: Event) -> models.QuerySet:
    """Researchers whose approved or checked-in stay covers a day of the event (in the event's zone).

    The statuses are the visits app's own `Visit.Status` members, read from the model behind the
    reverse relation `Researcher.visits`: their values are written in one place, and events imports
    nothing from the higher app."""
    visit = _visit_model()
    if visit is None:
        return Researcher.objects.none()
    statuses = [getattr(visit.Status, name) for name in RESIDENT_VISIT_STATUSES]
    return Researcher.objects.filter(
        visits__status__in=statuses,
        visits__first_day__lte=event.local_end.date(),
        visits__last_day__gte=event.local_start.date(),
        anonymised_at__isnull=True,
    ).distinct()


def _researcher_invitees(researchers: models.QuerySet) -> list[Invitee]:
    """Researchers as invitees: their own address, else their account's; those with neither are left out."""
    invitees = []
    for researcher in researchers.select_related("user").order_by("pk"):
        email = researcher.email or (researcher.user.email if researcher.user_id else "")
        if email:
            language = researcher.preferred_language
            name = in_language(language, researcher.name, researcher.name_ko)
            invitees.append(Invitee(email=email.lower(), name=name, language=language))
    return invitees


def invitation_audience(*, event: Event, audience: str) -> list[Invitee]:
    """The people of one audience, with the name and language known for each."""
    if audience == Audience.SUBSCRIBERS:
        if event.series_id is None:
            return []
        subscriptions = (
            SeriesSubscription.objects.active().filter(series_id=event.series_id).order_by("email")
        )
        return [
            Invitee(email=email, language=language)
            for email, language in subscriptions.values_list("email", "language")
        ]
    if audience == Audience.RESEARCHERS:
        addresses = (
            EmailAddress.objects.filter(
                verified=True,
                primary=True,
                user__is_active=True,
                user__researcher__isnull=False,
                user__researcher__anonymised_at__isnull=True,
            )
            .order_by("email")
            .values_list(
                "email",
                "user__researcher__name",
                "user__researcher__name_ko",
                "user__researcher__preferred_language",
            )
        )
        return [
            Invitee(email=email, name=in_language(language, name, name_ko), language=language)
            for email, name, name_ko, language in addresses
        ]
    if audience == Audience.VISITORS:
        return _researcher_invitees(visitors_in_residence(event))
    if audience == Audience.PARTNERS:
        contacts = Researcher.objects.filter(
            contact_for__in=Institution.objects.active_partners(), anonymised_at__isnull=True
        ).distinct()
        return _researcher_invitees(contacts)
    raise ValueError(f"Unknown audience {audience!r}")


def invitation_parse_addresses(text: str) -> tuple[list[Invitee], list[str]]:
    """Pasted addresses as invitees, and the pieces that are not valid addresses (as typed)."""
    valid: list[Invitee] = []
    invalid: list[str] = []
    for piece in _ADDRESS_SEPARATORS.split(text or ""):
        piece = piece.strip()
        if not piece:
            continue
        name, address = parseaddr(piece)
        address = address.strip().lower()
        try:
            if not address or (" " in piece and "<" not in piece):
                raise ValidationError("not an address")
            validate_email(address)
        except ValidationError:
            invalid.append(piece)
            continue
        valid.append(Invitee(email=address, name=" ".join(name.split())))
    return valid, invalid


def invitation_plan(
    *, event: Event, audiences: Iterable[str] = (), pasted: Sequence[Invitee] = ()
) -> InvitationPlan:
    """Everyone the chosen audiences and pasted addresses reach, once each, and who already has it.

    "Already" means an invitation row for this event at its current sequence: sending again reaches
    only the others. Languages come from the researcher with the address when there is one."""
    seen: dict[str, Invitee] = {}
    for audience in audiences:
        for invitee in invitation_audience(event=event, audience=audience):
            _merge_invitee(seen, invitee)
    for invitee in pasted:
        _merge_invitee(seen, invitee)
    known = {
        email: (in_language(language, name, name_ko), language)
        for email, name, name_ko, language in Researcher.objects.annotate(address=Lower("email"))
        .filter(address__in=list(seen), anonymised_at__isnull=True)
        .values_list("address", "name", "name_ko", "preferred_language")
    }
    invitees = []
    for email, invitee in seen.items():
        name, language = known.get(email, ("", ""))
        invitees.append(
            Invitee(email=email, name=invitee.name or name, language=language or invitee.language or "en")
        )
    already = frozenset(
        OutboxMessage.objects.about(event)
        .filter(kind=INVITATION_KIND, revision=event.sequence, recipient__in=list(seen))
        .values_list("recipient", flat=True)
    )
    return InvitationPlan(invitees=invitees, already_invited=already)


def _merge_invitee(seen: dict[str, Invitee], invitee: Invitee) -> None:
    email = invitee.email.strip().lower()
    if not email:
        return
    before = seen.get(email)
    if before is None:
        seen[email] = Invitee(email=email, name=invitee.name, language=invitee.language)
    else:
        seen[email] = Invitee(
            email=email, name=before.name or invitee.name, language=before.language or invitee.language
        )


def invitation_check(event: Event, now: dt.datetime | None = None) -> None:
    if event.status != Event.Status.PUBLISHED:
        raise InvitationError(
            _("Only a published event can be sent as an invitation; “%(title)s” is %(status)s.")
            % {"title": event.display_title, "status": event.get_status_display().lower()},
            code="not_published",
        )
    if event.start <= (now or timezone.now()):
        raise InvitationError(
            _("“%(title)s” has already started.") % {"title": event.display_title}, code="past"
        )


def event_invitations_send(*, event: Event, invitees: Sequence[Invitee], by: Any = None) -> int:
    """Invite each person (a personal mail with the event, a register link and an .ics, PUBLISH).

    Returns how many were new: people who already have this invitation (same event sequence) get
    nothing more, by the outbox's unique row."""
    with transaction.atomic():
        locked = _lock_event(event)
        invitation_check(locked)
        event = Event.objects.for_listing().get(pk=locked.pk)
        already = set(
            OutboxMessage.objects.about(event)
            .filter(kind=INVITATION_KIND, revision=event.sequence)
            .values_list("recipient", flat=True)
        )
        attachments = [_event_ics(event, method="PUBLISH")]
        context = _event_context(event)
        new = 0
        for invitee in invitees:
            email = invitee.email.strip().lower()
            if email in already:
                continue
            already.add(email)
            outbox_enqueue(
                kind=INVITATION_KIND,
                about=event,
                recipient=email,
                template="events/invitation",
                context={**context, "name": invitee.name},
                revision=event.sequence,
                language=invitee.language or "en",
                attachments=attachments,
                recipient_name=invitee.name,
            )
            new += 1
    return new


def event_invited_addresses(event: Event) -> list[tuple[str, str]]:
    """(address, language) of everyone ever invited to the event, once each: the invitation rows."""
    rows = (
        OutboxMessage.objects.about(event)
        .filter(kind=INVITATION_KIND)
        .order_by("recipient", "-revision")
        .values_list("recipient", "language")
    )
    addresses: dict[str, str] = {}
    for recipient, language in rows:
        addresses.setdefault(recipient, language)  # the language of the latest invitation
    return list(addresses.items())


def event_invitee_names(event: Event) -> dict[str, str]:
    """{address: name} of the people invited to the event whose name is known: the name their
    invitation called them by, else the researcher's with that address (invitations sent before
    names were kept on the row). Addresses with no known name are left out."""
    names: dict[str, str] = {}
    rows = (
        OutboxMessage.objects.about(event)
        .filter(kind=INVITATION_KIND)
        .exclude(recipient_name="")
        .order_by("recipient", "-revision")
        .values_list("recipient", "recipient_name")
    )
    for recipient, name in rows:
        names.setdefault(recipient, name)  # the name of the latest invitation
    unnamed = [address for address, _language in event_invited_addresses(event) if address not in names]
    known = (
        Researcher.objects.annotate(address=Lower("email"))
        .filter(address__in=unnamed, anonymised_at__isnull=True)
        .values_list("address", "name")
    )
    for address, name in known:
        names.setdefault(address, name)
    return names


def _event_ics(
    event: Event, *, method: str, email: str = "", name: str = "", partstat: str | None = None
) -> dict:
    content = ical.invitation_bytes(
        event=event, attendee_email=email, attendee_name=name, method=method, partstat=partstat
    )
    return ical.ics_attachment(filename=f"{event.slug}.ics", content=content)


def _event_context(event: Event) -> dict:
    return {
        "event": event,
        "event_url": ical.event_page_url(event),
        "register_url": ical.absolute_url(reverse("events:register", kwargs={"slug": event.slug})),
        "speakers": list(event.speaker_links.all()),
    }


def _registration_partstat(registration: Registration) -> str:
    """What is true of a registered person, as an ATTENDEE's PARTSTAT: a seat is ACCEPTED, the waiting
    list TENTATIVE, a cancelled registration DECLINED, an address not yet confirmed NEEDS-ACTION."""
    if registration.status == Registration.Status.CONFIRMED:
        return "ACCEPTED"
    if registration.status == Registration.Status.WAITING:
        return "TENTATIVE"
    if registration.status == Registration.Status.CANCELLED:
        return "DECLINED"
    return "NEEDS-ACTION"


def _registration_message_context(registration: Registration) -> dict:
    online = (
        registration.attendance == Registration.Attendance.ONLINE
        and registration.event.has_online_part
        and registration.status == Registration.Status.CONFIRMED
    )
    return {
        "name": registration.name,
        "registration": registration,
        "is_online": online,
        "join_url": _links(registration)["join_url"] if online else "",
        "cancel_url": _links(registration)["cancel_url"],
    }


def event_update_notice_schedule(
    *, event: Event, changed: Iterable[str], now: dt.datetime | None = None
) -> bool:
    """Record that a published event's move is owed to its people, and schedule the sending.

    Called by event_update with the event locked. The first change not yet told sets the due time,
    EVENT_UPDATE_DELAY_SECONDS on; later saves keep it, so a burst of saves makes one message, sent
    for the event as it is then. A move of the time or room is owed to the series' subscribers too.
    The task is scheduled for the due time after commit; whatever runs it (a worker's countdown,
    the beat's `events.send_due_event_updates`, or, with eager tasks, the embedded beat of
    `manage.py embedded_beat`) sends only once the due time has come."""
    changed = set(changed)
    if event.status != Event.Status.PUBLISHED or not UPDATE_NOTICE_FIELDS & changed:
        return False
    first = event.update_notice_due_at is None
    if first:
        event.update_notice_due_at = (now or timezone.now()) + dt.timedelta(
            seconds=settings.EVENT_UPDATE_DELAY_SECONDS
        )
    event.update_notice_moved = event.update_notice_moved or bool(SESSION_MOVE_FIELDS & changed)
    Event.objects.filter(pk=event.pk).update(
        update_notice_due_at=event.update_notice_due_at, update_notice_moved=event.update_notice_moved
    )
    if first:
        from .tasks import send_event_update

        pk = event.pk
        # robust: a broker that is down at commit must not turn the saved change into an error page
        # (the beat's sweep of due updates sends it then).
        transaction.on_commit(
            lambda: send_event_update.apply_async(args=[pk], countdown=settings.EVENT_UPDATE_DELAY_SECONDS),
            robust=True,
        )
    return True


def event_update_notices_send(*, event_id: int, now: dt.datetime | None = None) -> int:
    """Send the update owed for the event, if its due time has come; else nothing.

    Every registered person (confirmed and waiting) gets the event's current time and place, with an
    .ics (METHOD:REQUEST, the same UID, the current SEQUENCE) that moves it in their calendar; when
    the time or room moved, so do the confirmed subscribers of its series (a public event), except
    those already told as registrants. Returns how many rows were written now; nothing for an event
    with no update due, or no longer published, or over."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Event.objects.select_for_update().filter(pk=event_id).first()
        if locked is None or locked.update_notice_due_at is None or locked.update_notice_due_at > now:
            return 0
        Event.objects.filter(pk=event_id).update(update_notice_due_at=None, update_notice_moved=False)
        if locked.status != Event.Status.PUBLISHED or locked.end <= now:
            return 0
        event = Event.objects.for_listing().get(pk=event_id)
        registrations = Registration.objects.filter(
            event=event, status__in=[Registration.Status.CONFIRMED, Registration.Status.WAITING]
        )
        context = _event_context(event)
        written = _notify_registrations(
            event=event,
            registrations=registrations,
            kind=UPDATE_KIND,
            revision=event.sequence,
            template="events/update",
            context=context,
            ics_method="REQUEST",
        )
        if locked.update_notice_moved:
            written += _notify_series_subscribers(
                event=event, kind=UPDATE_KIND, template="events/update", context=context
            )
        return written


def event_update_notices_send_due(*, now: dt.datetime | None = None) -> int:
    """Every update whose due time has come (the beat runs this every minute): a task lost with a
    broker restart, or run a moment early, still ends in its message. Returns the rows written."""
    now = now or timezone.now()
    due = Event.objects.filter(update_notice_due_at__lte=now).order_by("update_notice_due_at", "pk")
    return sum(event_update_notices_send(event_id=pk, now=now) for pk in due.values_list("pk", flat=True))


def _notify_series_subscribers(*, event: Event, kind: str, template: str, context: dict) -> int:
    """Tell the confirmed subscribers of the event's series (a public event only, as announcements),
    with List-Unsubscribe, unless the address already has this message (kind, revision) as a
    registrant or invitee. The .ics is PUBLISH, as the announcement was: it updates (or, for a
    cancelled event, cancels) the entry the announcement made, without making them an attendee."""
    if event.series_id is None or event.visibility != Event.Visibility.PUBLIC:
        return 0
    told = set(
        OutboxMessage.objects.about(event)
        .filter(kind=kind, revision=event.sequence)
        .values_list("recipient", flat=True)
    )
    messages = series_announcement_enqueue(
        series=event.series,
        kind=kind,
        about=event,
        template=template,
        context={**context, "subscriber": True},
        revision=event.sequence,
        attachments=(_event_ics(event, method="PUBLISH"),),
        skip=told,
    )
    return len(messages)


def _notify_registrations(
    *,
    event: Event,
    registrations: models.QuerySet,
    kind: str,
    revision: int,
    template: str,
    context: dict,
    ics_method: str | None = None,
) -> int:
    """One message of `kind` and `revision` to each registered address that has none yet.

    Addresses that already have the row are skipped before rendering (the unique row would make a
    second one harmless anyway); returns how many rows were written now."""
    done = set(
        OutboxMessage.objects.about(event)
        .filter(kind=kind, revision=revision)
        .values_list("recipient", flat=True)
    )
    written = 0
    for registration in registrations.order_by("pk"):
        if registration.email in done:
            continue
        done.add(registration.email)
        registration.event = event
        attachments = []
        if ics_method:
            attachments.append(
                _event_ics(
                    event,
                    method=ics_method,
                    email=registration.email,
                    name=registration.name,
                    partstat=_registration_partstat(registration),
                )
            )
        outbox_enqueue(
            kind=kind,
            about=event,
            recipient=registration.email,
            template=template,
            context={**context, **_registration_message_context(registration)},
            revision=revision,
            language=registration.language,
            attachments=attachments,
            recipient_name=registration.name,
        )
        written += 1
    return written


def _event_cancellation_enqueue(event_id: int) -> int:
    """METHOD:CANCEL (same UID, the raised SEQUENCE) to registered people and to everyone invited,
    then the series' subscribers (PUBLISH of the cancelled event, with List-Unsubscribe).

    Called by event_cancel inside its transaction; each address gets one message."""
    event = Event.objects.for_listing().get(pk=event_id)
    context = _event_context(event)
    done: set[str] = set()
    registrations = Registration.objects.active().filter(event=event).order_by("pk")
    for registration in registrations:
        if registration.email in done:
            continue
        done.add(registration.email)
        outbox_enqueue(
            kind=CANCELLATION_KIND,
            about=event,
            recipient=registration.email,
            template="events/cancelled",
            context={**context, "name": registration.name, "registration": registration},
            revision=event.sequence,
            language=registration.language,
            attachments=[
                _event_ics(
                    event,
                    method="CANCEL",
                    email=registration.email,
                    name=registration.name,
                    partstat=_registration_partstat(registration),
                )
            ],
            recipient_name=registration.name,
        )
    names = event_invitee_names(event)
    for email, language in event_invited_addresses(event):
        if email in done:
            continue
        done.add(email)
        name = names.get(email, "")
        outbox_enqueue(
            kind=CANCELLATION_KIND,
            about=event,
            recipient=email,
            template="events/cancelled",
            context={**context, "name": name},
            revision=event.sequence,
            language=language,
            # Invited, never registered: named as their invitation named them, and nothing accepted.
            attachments=[_event_ics(event, method="CANCEL", email=email, name=name, partstat="NEEDS-ACTION")],
            recipient_name=name,
        )
    # The series' subscribers were told of the session (the announcement): they hear it is off.
    return len(done) + _notify_series_subscribers(
        event=event, kind=CANCELLATION_KIND, template="events/cancelled", context=context
    )


def reminder_kind(offset: timedelta) -> str:
    """ "reminder-24h", "reminder-1h", "reminder-90m": the outbox kind of a reminder this long before."""
    minutes = int(offset.total_seconds() // 60)
    return f"reminder-{minutes // 60}h" if minutes % 60 == 0 else f"reminder-{minutes}m"


def event_reminders_due(*, now: dt.datetime, offset: timedelta) -> models.QuerySet:
    """Published events whose reminder `offset` before the start has come, and not too long ago.

    A reminder is late by at most EVENT_REMINDER_WINDOW (a beat that ran late, an event published
    the day before); an event inside a shorter reminder's time gets that one instead."""
    shorter = [other for other in settings.EVENT_REMINDERS if other < offset]
    events = Event.objects.filter(
        status=Event.Status.PUBLISHED,
        start__gt=max(now, now + offset - settings.EVENT_REMINDER_WINDOW),
        start__lte=now + offset,
    )
    if shorter:
        events = events.filter(start__gt=now + max(shorter))
    return events


def event_reminders_send(*, now: dt.datetime | None = None) -> int:
    """The periodic task: each confirmed person gets each reminder once per start time.

    The row (kind "reminder-24h", the event, the person, revision = the start's timestamp) is
    unique, so two beat schedulers running this at the same moment write each reminder once, and
    an event moved to another time reminds again."""
    now = now or timezone.now()
    written = 0
    for offset in sorted(set(settings.EVENT_REMINDERS)):
        for event_id in event_reminders_due(now=now, offset=offset).values_list("pk", flat=True):
            written += _event_reminders_enqueue(event_id=event_id, offset=offset)
    return written


def _event_reminders_enqueue(*, event_id: int, offset: timedelta) -> int:
    minutes = int(offset.total_seconds() // 60)
    with transaction.atomic():
        event = Event.objects.for_listing().get(pk=event_id)
        return _notify_registrations(
            event=event,
            registrations=Registration.objects.filter(event=event, status=Registration.Status.CONFIRMED),
            kind=reminder_kind(offset),
            revision=int(event.start.timestamp()),
            template="events/reminder",
            context={**_event_context(event), "hours_before": minutes // 60, "minutes_before": minutes % 60},
        )


def _series_announcement(event_id: int) -> int:
    """A newly published public event of a series: its confirmed subscribers hear of it once."""
    event = Event.objects.for_listing().get(pk=event_id)
    if event.series is None or event.visibility != Event.Visibility.PUBLIC:
        return 0
    messages = series_announcement_enqueue(
        series=event.series,
        kind=ANNOUNCEMENT_KIND,
        about=event,
        template="events/announcement",
        context=_event_context(event),
        attachments=(_event_ics(event, method="PUBLISH"),),
    )
    return len(messages)
