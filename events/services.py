"""Writes with rules for seminars. Keyword-only, type-annotated, transactional."""

# --- Registration ---
#
# Every seat decision takes a row lock on the event (`select_for_update`) inside one transaction,
# so concurrent registrations for the same event queue on that lock and the seat count read under
# it is exact; the partial unique constraint on (event, lower(e-mail)) for active registrations
# catches a duplicate even without the lock. Mail is written to the outbox in the same transaction.

import datetime as dt
import secrets

from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from hubsite import ical
from hubsite.services import outbox_enqueue

from .models import Event, PersonalCalendar, Registration

SEAT_HOLD = dt.timedelta(minutes=30)
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


def seats_taken(*, event: Event, attendance: str, now: dt.datetime | None = None) -> int:
    return Registration.objects.filter(event=event, attendance=attendance).holding_seat(now).count()


def seats_free(*, event: Event, attendance: str, now: dt.datetime | None = None) -> int | None:
    limit = seat_limit(event=event, attendance=attendance)
    if limit is None:
        return None
    return max(limit - seats_taken(event=event, attendance=attendance, now=now), 0)


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
            % {"when": timezone.localtime(event.registration_opens).strftime("%Y-%m-%d %H:%M %Z")},
            code="not_open",
        )
    if now >= registration_closes_at(event):
        raise RegistrationError(_("Registration for this event is closed."), code="closed")


def _lock_event(event: Event) -> Event:
    return Event.objects.select_related("room").select_for_update(of=("self",)).get(pk=event.pk)


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
    registration: Registration, *, kind: str, template: str, method: str | None, extra: dict | None = None
):
    event = registration.event
    attachments = []
    if method:
        partstat = "NEEDS-ACTION" if registration.status == Registration.Status.PENDING else "ACCEPTED"
        content = ical.invitation_bytes(
            event=event,
            attendee_email=registration.email,
            attendee_name=registration.name,
            method=method,
            partstat=partstat,
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
        language=registration.language,
        attachments=attachments,
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
            existing = Registration.objects.active().filter(event=event, email=email).first()
            if existing is not None:
                stale = (
                    existing.status == Registration.Status.PENDING
                    and existing.created + CONFIRM_LINK_MAX_AGE <= now
                )
                if not stale:
                    raise RegistrationError(_already_message(existing), code="duplicate")
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


def _already_message(existing: Registration) -> str:
    if existing.status == Registration.Status.PENDING:
        return _(
            "This e-mail address is already registered for this event and waiting for confirmation: "
            "please use the link we sent to it."
        )
    if existing.status == Registration.Status.WAITING:
        return _("This e-mail address is already on the waiting list for this event.")
    return _("This e-mail address is already registered for this event.")


def registration_confirm_email(*, token: str, now: dt.datetime | None = None) -> Registration:
    """A guest's link: a held seat becomes theirs; otherwise a free seat or the waiting list."""
    registration = registration_from_token(token=token, salt=CONFIRM_SALT, max_age=CONFIRM_LINK_MAX_AGE)
    with transaction.atomic():
        event = _lock_event(registration.event)
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        registration.event = event
        now = now or timezone.now()
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


def registration_cancel(*, registration: Registration, now: dt.datetime | None = None) -> list[Registration]:
    """Cancel a registration and at once promote the first waiting person into a freed seat.

    Returns the promoted registrations.
    """
    with transaction.atomic():
        event = _lock_event(registration.event)
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        registration.event = event
        now = now or timezone.now()
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
        if event.status == Event.Status.CANCELLED:
            return []
        return _fill_free_seats(event, now)


def registration_cancel_by_token(*, token: str, now: dt.datetime | None = None) -> Registration:
    registration = registration_from_token(token=token, salt=CANCEL_SALT, max_age=CANCEL_LINK_MAX_AGE)
    registration_cancel(registration=registration, now=now)
    registration.refresh_from_db()
    return registration


def registration_promote(*, registration: Registration, now: dt.datetime | None = None) -> Registration:
    """Staff: give a free seat to this waiting person, out of turn. Never beyond the seats there are."""
    with transaction.atomic():
        event = _lock_event(registration.event)
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        registration.event = event
        now = now or timezone.now()
        if registration.status != Registration.Status.WAITING:
            raise RegistrationError(_("Only people on the waiting list can be promoted."), code="not_waiting")
        free = seats_free(event=event, attendance=registration.attendance, now=now)
        if free is not None and free <= 0:
            raise RegistrationError(_("There is no free seat: raise the capacity first."), code="full")
        _promote(registration, now)
        return registration


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
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
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
