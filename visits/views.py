import datetime as dt
import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponse, HttpResponseNotModified, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hubsite import dates
from hubsite.access import has_staff_rights, staff_account_with_mfa, staff_rights_required
from hubsite.validators import is_random_token
from researchers.models import Researcher, Theme

from . import charts, services
from .feeds import arrivals_ics, stay_ics
from .forms import AvailabilityForm, ExtensionForm, HostAnswerForm, VisitForm, WithdrawForm
from .letter import letter_context, letter_open_to, letter_pdf
from .models import ArrivalsFeedToken, Extension, Visit


def _researcher(user) -> Researcher | None:
    if not user.is_authenticated:
        return None
    return Researcher.objects.select_related("institution").filter(user=user).first()


def index(request):
    """ "Visit the hub": an introduction for everyone; my stays and hosted stays once signed in."""
    if not request.user.is_authenticated:
        return render(request, "visits/index.html", {"intro": True})
    researcher = _researcher(request.user)
    listing = Visit.objects.with_people().order_by("-first_day", "-pk")
    own = listing.filter(researcher=researcher) if researcher else Visit.objects.none()
    hosted = listing.filter(host=researcher) if researcher else Visit.objects.none()
    return render(
        request,
        "visits/index.html",
        {
            "researcher": researcher,
            "own": own,
            "hosted": hosted,
            "is_host": bool(researcher and researcher.is_hub_member),
        },
    )


def _availability_errors(form: AvailabilityForm) -> list[str]:
    """What is wrong with the dates to check: a day outside the calendar, the order, the length."""
    errors = [str(error) for error in form.non_field_errors()]
    for name in ("first_day", "last_day"):
        if name in form.errors and form.data.get(name):
            errors += [f"{form.fields[name].label}: {error}" for error in form.errors[name]]
    return errors or [_("Give a first and a last day to check.")]


def _availability(first_day: dt.date, last_day: dt.date) -> dict:
    days = services.desk_days_free(first_day=first_day, last_day=last_day)
    short = [day for day, free in days if free == 0]
    return {"days": days, "short_days": short, "all_free": not short}


@login_required
@require_http_methods(["GET", "POST"])
def visit_new(request):
    researcher = _researcher(request.user)
    availability = None
    if request.method == "POST":
        form = VisitForm(request.POST, researcher=researcher, user=request.user)
        if "check" in request.POST:
            check = AvailabilityForm(request.POST)
            if check.is_valid():
                availability = _availability(check.cleaned_data["first_day"], check.cleaned_data["last_day"])
            else:
                availability = {"errors": _availability_errors(check)}
            # Re-render what was typed, without the errors of fields not filled in yet.
            initial = {
                key: request.POST.getlist(key) if key == "themes" else value
                for key, value in request.POST.items()
            }
            form = VisitForm(initial=initial, researcher=researcher, user=request.user)
        elif form.is_valid():
            try:
                visit = services.visit_submit(
                    by=request.user,
                    name=form.cleaned_data.get("name", ""),
                    institution=form.cleaned_data.get("home_institution"),
                    **form.service_arguments(),
                )
            except ValidationError as error:
                for message in error.messages:
                    form.add_error(None, message)
            else:
                messages.success(
                    request,
                    _("Your stay is registered. We have asked %(host)s to endorse it.")
                    % {"host": visit.host.display_name},
                )
                return redirect("visits:detail", pk=visit.pk)
    else:
        form = VisitForm(researcher=researcher, user=request.user)
    return render(
        request,
        "visits/visit_form.html",
        {
            "form": form,
            "availability": availability,
            "researcher": researcher,
            "max_months": services.max_months(),
        },
    )


@login_required
@require_GET
def availability_json(request):
    form = AvailabilityForm(request.GET)
    if not form.is_valid():
        return JsonResponse({"errors": _availability_errors(form)}, status=400)
    result = _availability(form.cleaned_data["first_day"], form.cleaned_data["last_day"])
    return JsonResponse(
        {
            "days": [{"day": day.isoformat(), "free": free} for day, free in result["days"]],
            "short_days": [day.isoformat() for day in result["short_days"]],
            # The same days as people read them (hubsite.dates), for the script to show.
            "short_days_text": [dates.fmt(day, "day_weekday") for day in result["short_days"]],
            "all_free": result["all_free"],
        }
    )


def _visible_visit(request, pk: int) -> Visit:
    return get_object_or_404(Visit.objects.visible_to(request.user).with_people(), pk=pk)


@login_required
def visit_detail(request, pk: int):
    visit = get_object_or_404(
        Visit.objects.visible_to(request.user)
        .with_people()
        .select_related("seminar_event", "project")
        .prefetch_related(
            "themes", "history", Prefetch("extensions", queryset=Extension.objects.order_by("-pk"))
        ),
        pk=pk,
    )
    is_visitor = visit.researcher.user_id == request.user.pk
    can_withdraw = is_visitor and services.visit_can_move(visit, Visit.Status.WITHDRAWN)
    can_extend = is_visitor and visit.status in (Visit.Status.APPROVED, Visit.Status.CHECKED_IN)
    return render(
        request,
        "visits/visit_detail.html",
        {
            "visit": visit,
            "is_visitor": is_visitor,
            "can_withdraw": can_withdraw,
            "can_extend": can_extend,
            "show_letter": letter_open_to(visit, request.user),
            "withdraw_form": WithdrawForm(),
        },
    )


@login_required
@require_POST
def visit_withdraw(request, pk: int):
    visit = get_object_or_404(Visit.objects.filter(researcher__user=request.user), pk=pk)
    form = WithdrawForm(request.POST)
    if not form.is_valid():  # a reason longer than the form allows: say so, withdraw nothing
        messages.error(request, " ".join(message for errors in form.errors.values() for message in errors))
        return redirect("visits:detail", pk=pk)
    try:
        services.visit_withdraw(visit=visit, by=request.user, note=form.cleaned_data["note"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Your stay is withdrawn. Your host and the hub staff have been told."))
    return redirect("visits:detail", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def visit_extend(request, pk: int):
    visit = get_object_or_404(Visit.objects.filter(researcher__user=request.user).with_people(), pk=pk)
    form = ExtensionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.extension_request(visit=visit, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Your extension request has been sent to the hub staff."))
            return redirect("visits:detail", pk=pk)
    return render(
        request,
        "visits/extension_form.html",
        {"visit": visit, "form": form, "deadline": services.extension_deadline(visit)},
    )


def _letter_visit(request, pk: int) -> Visit:
    visit = _visible_visit(request, pk)
    if not letter_open_to(visit, request.user):
        raise Http404
    return visit


@login_required
def visit_letter(request, pk: int):
    visit = _letter_visit(request, pk)
    return render(request, "visits/letter.html", {"visit": visit, **letter_context(visit)})


@login_required
def visit_letter_pdf(request, pk: int):
    visit = _letter_visit(request, pk)
    response = HttpResponse(letter_pdf(visit), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="invitation-letter-{visit.pk}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def visit_ics(request, pk: int):
    visit = _visible_visit(request, pk)
    response = HttpResponse(
        stay_ics(visit, as_host=visit.host.user_id == request.user.pk), content_type="text/calendar"
    )
    response["Content-Disposition"] = f'attachment; filename="stay-{visit.pk}.ics"'
    return response


@require_http_methods(["GET", "POST"])
def endorse(request, token: str):
    """The host's signed, single-use link: no sign-in needed, the signature is the proof."""
    try:
        visit = services.visit_for_endorsement_token(token)
    except ValidationError as error:
        return render(request, "visits/endorse_invalid.html", {"message": error.messages[0]}, status=400)
    form = HostAnswerForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        endorse_it = form.cleaned_data["answer"] == HostAnswerForm.ENDORSE
        try:
            visit = services.visit_host_answer(
                token=token, endorse=endorse_it, note=form.cleaned_data["note"], by=request.user
            )
        except ValidationError as error:
            return render(request, "visits/endorse_invalid.html", {"message": error.messages[0]}, status=400)
        return render(request, "visits/endorse_done.html", {"visit": visit, "endorsed": endorse_it})
    return render(request, "visits/endorse.html", {"visit": visit, "form": form})


@staff_rights_required
def occupancy(request):
    start = services.hub_today()
    token = ArrivalsFeedToken.objects.filter(user=request.user).first()
    return render(
        request,
        "visits/occupancy.html",
        {
            "chart": charts.occupancy_chart(start=start),
            "timelines": charts.stay_timelines(start=start),
            "start": start,
            "feed_token": token,
        },
    )


@require_POST
@staff_rights_required
def arrivals_token(request):
    services.arrivals_feed_token_reset(user=request.user)
    messages.success(
        request, _("A new private address for the arrivals calendar is ready; the old one no longer works.")
    )
    return redirect("visits:occupancy")


def arrivals_feed(request):
    """Staff calendar of arrivals and departures: a staff session, or `?token=` for calendar apps."""
    token = request.GET.get("token", "")
    if token:
        # The token works while its owner still holds staff rights' account half (no session here).
        owner = (
            ArrivalsFeedToken.objects.select_related("user").filter(token=token).first()
            if is_random_token(token)
            else None
        )
        if owner is None or not staff_account_with_mfa(owner.user):
            raise Http404
    elif not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    elif not has_staff_rights(request.user):
        raise PermissionDenied
    today = services.hub_today()
    visits = (
        Visit.objects.for_calendars()
        .filter(last_day__gte=today - dt.timedelta(days=60), first_day__lte=today + dt.timedelta(days=400))
        .with_people()
        .order_by("first_day", "pk")
    )
    body = arrivals_ics(visits)
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        return HttpResponseNotModified(headers={"ETag": etag})
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["ETag"] = etag
    response["Cache-Control"] = "private, max-age=300"
    return response


def here(request):
    """Who is at the hub this week and next, by theme. Staff and hub members see everyone; everyone
    else sees only the researchers who opted in to public listing.
    """
    today = services.hub_today()
    monday = today - dt.timedelta(days=today.weekday())
    sunday = monday + dt.timedelta(days=13)
    researcher = _researcher(request.user)
    everyone = has_staff_rights(request.user) or bool(researcher and researcher.is_hub_member)
    visits = Visit.objects.at_the_hub(monday, sunday).select_related(
        "researcher__institution", "host", "institution"
    )
    if not everyone:
        visits = visits.filter(researcher__in=Researcher.objects.listed())
    visits = visits.prefetch_related("themes").order_by("first_day", "researcher__name")
    groups: dict = {}
    for visit in visits:
        for theme in visit.themes.all() or [None]:
            groups.setdefault(theme, []).append(visit)
    themes = list(Theme.objects.filter(pk__in=[t.pk for t in groups if t is not None]))
    ordered = [(theme, groups[theme]) for theme in themes]
    if None in groups:
        ordered.append((None, groups[None]))
    return render(
        request,
        "visits/here.html",
        {"groups": ordered, "monday": monday, "sunday": sunday, "everyone": everyone},
    )
