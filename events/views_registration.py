"""Registration pages: register, confirm a guest's address, cancel, join online, "My seminars"."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from hubsite import ical
from hubsite.ratelimit import over_limit

from . import services
from .forms_registration import RegistrationForm
from .models import ONLINE_LINK_LEAD, Event, Registration, online_link_for
from .templatetags.event_feeds import feed_links

GUEST_REGISTRATIONS_PER_HOUR = 10
_EVENT_CANCELLED = gettext_lazy("This event has been cancelled, so its registrations have ended.")


def _guest_rate_limited(request) -> bool:
    return over_limit(
        request, scope="guest-registration", limit=GUEST_REGISTRATIONS_PER_HOUR, window_seconds=3600
    )


def _display_name(user) -> str:
    researcher = getattr(user, "researcher", None)
    return (researcher.name if researcher else "") or user.get_full_name() or user.email


def never_stored_if_it_shows_the_link(response, link: str):
    """A page that shows the meeting link is for its reader alone: neither the page cache nor any
    other HTTP cache may store it (the page cache never stores a `private` or `no-store` answer)."""
    if link:
        patch_cache_control(response, private=True, no_store=True)
    return response


def registration_panel_context(request, event: Event, form: RegistrationForm | None = None) -> dict:
    """Everything `events/registration/panel.html` shows; the event page includes it with this."""
    now = timezone.now()
    mine = None
    if request.user.is_authenticated:
        mine = (
            Registration.objects.for_user(request.user).active().filter(event=event).with_position().first()
        )
    choices = services.registration_attendance_choices(event)
    seats = [
        {
            "attendance": Registration.Attendance(choice).label,
            "limit": services.seat_limit(event=event, attendance=choice),
            # Seats held while a guest confirms are not shown as taken: the count a guest's request
            # leaves must not tell whether the address was new (events.services.registration_create).
            "free": services.seats_free(event=event, attendance=choice, now=now, count_holds=False),
        }
        for choice in choices
    ]
    try:
        services.registration_check_open(event=event, now=now)
        closed_reason = ""
    except services.RegistrationError as error:
        closed_reason = error.messages[0]
    if form is None and not closed_reason and mine is None:
        form = RegistrationForm(guest=not request.user.is_authenticated, attendance_choices=choices)
    return {
        "event": event,
        "registration": mine,
        # The meeting link itself, only when this reader may have it now (else "").
        "online_link": online_link_for(event=event, registration=mine, now=now),
        "seats": seats,
        "closed_reason": closed_reason,
        "registration_form": form,
        "closes_at": services.registration_closes_at(event),
    }


@require_http_methods(["GET", "HEAD", "POST"])
def register(request, slug):
    event = get_object_or_404(
        Event.objects.visible_to(request.user).select_related("room", "series"), slug=slug
    )
    form = None
    limited = False
    if request.method == "POST":
        guest = not request.user.is_authenticated
        form = RegistrationForm(
            request.POST, guest=guest, attendance_choices=services.registration_attendance_choices(event)
        )
        if guest and _guest_rate_limited(request):
            limited = True
            messages.error(
                request, _("Too many registrations from your network; please try again in an hour.")
            )
        elif form.is_valid():
            email = form.cleaned_data["email"] if guest else request.user.email
            try:
                registration = services.registration_create(
                    event=event,
                    email=email,
                    name=form.cleaned_data["name"] if guest else _display_name(request.user),
                    attendance=form.cleaned_data["attendance"],
                    user=None if guest else request.user,
                    language=translation.get_language() or settings.LANGUAGE_CODE,
                )
            except services.RegistrationError as error:
                form.add_error(None, error.messages[0])
            else:
                # A guest's answer is the same for every address (the address's owner reads the rest).
                answer = (
                    services.registration_answer_for_guest(email) if guest else _result_message(registration)
                )
                messages.success(request, answer)
                return redirect("events:register", slug=event.slug)
    context = registration_panel_context(request, event, form)
    status = 429 if limited else 400 if form is not None and form.errors else 200
    response = render(request, "events/registration/register.html", context, status=status)
    return never_stored_if_it_shows_the_link(response, context["online_link"])


def _result_message(registration: Registration) -> str:
    if getattr(registration, "claimed", False):
        if registration.status == Registration.Status.WAITING:
            return _(
                "The registration made earlier with your address is now in your account: you are number "
                "%(position)s on the waiting list."
            ) % {"position": services.waiting_position(registration)}
        return _(
            "The registration made earlier with your address is now in your account: you are registered."
        )
    if registration.status == Registration.Status.PENDING:
        return _("Almost done: we sent a link to %(email)s. Open it to confirm your registration.") % {
            "email": registration.email
        }
    if registration.status == Registration.Status.WAITING:
        return _("All seats are taken: you are number %(position)s on the waiting list.") % {
            "position": services.waiting_position(registration)
        }
    return _("You are registered. We sent the details and a calendar file to %(email)s.") % {
        "email": registration.email
    }


@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request, token):
    """A guest's confirmation link: the page asks for one click, so a mail scanner confirms nothing."""
    try:
        registration = services.registration_from_token(
            token=token, salt=services.CONFIRM_SALT, max_age=services.CONFIRM_LINK_MAX_AGE
        )
    except services.RegistrationError as error:
        return render(
            request, "events/registration/link_error.html", {"message": error.messages[0]}, status=400
        )
    if request.method == "POST":
        try:
            registration = services.registration_confirm_email(token=token)
        except services.RegistrationError as error:
            return render(
                request,
                "events/registration/link_error.html",
                {"message": error.messages[0], "event": registration.event},
                status=409 if error.code == "used" else 400,
            )
        messages.success(request, _result_message(registration))
        return render(
            request,
            "events/registration/confirmed.html",
            {"registration": registration, "position": services.waiting_position(registration)},
        )
    if registration.event.is_cancelled:
        return render(
            request,
            "events/registration/link_error.html",
            {"message": _EVENT_CANCELLED, "event": registration.event},
            status=409,
        )
    if registration.status != Registration.Status.PENDING:
        message = (
            _("This confirmation link has already been used.")
            if registration.status in (Registration.Status.CONFIRMED, Registration.Status.WAITING)
            else _("This registration was cancelled or not confirmed in time; please register again.")
        )
        return render(
            request,
            "events/registration/link_error.html",
            {"message": message, "event": registration.event},
            status=409,
        )
    return render(request, "events/registration/confirm.html", {"registration": registration})


@require_http_methods(["GET", "HEAD", "POST"])
def cancel(request, token):
    """The cancel link of every e-mail: a page with one button (GET never cancels)."""
    try:
        registration = services.registration_from_token(
            token=token, salt=services.CANCEL_SALT, max_age=services.CANCEL_LINK_MAX_AGE
        )
    except services.RegistrationError as error:
        return render(
            request, "events/registration/link_error.html", {"message": error.messages[0]}, status=400
        )
    if request.method == "POST":
        try:
            services.registration_cancel(registration=registration)
        except services.RegistrationError as error:
            return render(
                request,
                "events/registration/link_error.html",
                {"message": error.messages[0], "event": registration.event},
                status=409,
            )
        messages.success(request, _("Your registration is cancelled. Thank you for letting us know."))
        return render(request, "events/registration/cancelled.html", {"registration": registration})
    if not registration.is_active:
        message = (
            _EVENT_CANCELLED
            if registration.event.is_cancelled
            else _("This registration is already cancelled.")
        )
        return render(
            request,
            "events/registration/link_error.html",
            {"message": message, "event": registration.event},
            status=409,
        )
    return render(request, "events/registration/cancel.html", {"registration": registration})


def join(request, token):
    """The personal "join online" link of the e-mails: opens the meeting from an hour before the start."""
    try:
        registration = services.registration_from_token(token=token, salt=services.JOIN_SALT, max_age=None)
    except services.RegistrationError as error:
        return render(
            request, "events/registration/link_error.html", {"message": error.messages[0]}, status=400
        )
    link = online_link_for(event=registration.event, registration=registration)
    if link:
        response = HttpResponseRedirect(link)
        response["Cache-Control"] = "no-store"
        response["Referrer-Policy"] = "no-referrer"
        return response
    context = {
        "registration": registration,
        "event": registration.event,
        "opens_at": registration.event.start - ONLINE_LINK_LEAD,
        "is_confirmed": registration.status == Registration.Status.CONFIRMED,
        "is_cancelled": registration.event.is_cancelled,
        "is_over": registration.event.end < timezone.now(),
    }
    return render(request, "events/registration/join.html", context, status=403)


@login_required
def my_seminars(request):
    registrations = (
        Registration.objects.for_user(request.user)
        # Registrations the event's cancellation ended stay in the list, marked cancelled.
        .filter(status__in=[*Registration.ACTIVE_STATUSES, Registration.Status.EVENT_CANCELLED])
        .filter(event__end__gte=timezone.now())
        .with_position()
        .select_related("event__room")
        .order_by("event__start", "pk")
    )
    past = (
        Registration.objects.for_user(request.user)
        .filter(status=Registration.Status.CONFIRMED, event__end__lt=timezone.now())
        .select_related("event__room")
        .order_by("-event__start", "-pk")[:20]
    )
    calendar = services.personal_calendar_get(user=request.user)
    feed_path = reverse("events:personal_calendar", kwargs={"token": calendar.token})
    now = timezone.now()
    rows = [
        (registration, online_link_for(event=registration.event, registration=registration, now=now))
        for registration in registrations
    ]
    context = {
        "rows": rows,
        "past": past,
        "calendar": calendar,
        "links": feed_links(ical.absolute_url(feed_path), _("My seminars")),
    }
    response = render(request, "events/registration/my_seminars.html", context)
    return never_stored_if_it_shows_the_link(response, "".join(link for _registration, link in rows))


@login_required
@require_POST
def my_registration_cancel(request, pk):
    registration = get_object_or_404(
        Registration.objects.for_user(request.user).select_related("event"), pk=pk
    )
    try:
        services.registration_cancel(registration=registration, user=request.user)
    except services.RegistrationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(
            request,
            _("Your registration for “%(title)s” is cancelled.")
            % {"title": registration.event.display_title},
        )
    return redirect("events:my_seminars")


@login_required
@require_POST
def personal_calendar_replace(request):
    services.personal_calendar_replace(user=request.user)
    messages.success(
        request,
        _("Your calendar has a new address. Subscribe to it again: the old address no longer works."),
    )
    return redirect("events:my_seminars")
