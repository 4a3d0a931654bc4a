"""Every write on stays that has a rule: registration, the host's endorsement, approval against the
desks, the status moves, extensions and reminders. Keyword-only, transactional; mail after commit
through the outbox.

Each service decides who may act (the visitor for their own stay, the holder of the host's link,
staff for their decisions) and whether its rows still exist under the lock of its write (the
visitor's researcher row for a registration, the stay row for everything about a stay), so a lost
race is answered with a message, never a server error.
"""

import calendar
import datetime as dt
import secrets
from collections import Counter
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from events import services as events_services
from events.models import Event, Series
from hubsite import dates, ical
from hubsite.access import has_staff_rights
from hubsite.pagecache import changes_public_pages
from hubsite.services import outbox_enqueue
from projects.models import Project
from researchers.models import Institution, Researcher
from researchers.services import researcher_profile_ensure

from .feeds import stay_ics
from .models import ArrivalsFeedToken, DeskAllocation, Extension, Visit, VisitStatusChange, Workspace

S = Visit.Status
ENDORSEMENT_SALT = "visits.endorsement"


def max_months() -> int:
    return settings.VISIT_MAX_MONTHS


def endorsement_max_age() -> int:
    return settings.VISIT_ENDORSEMENT_MAX_AGE_DAYS * 24 * 3600


def extension_deadline_days() -> int:
    return settings.VISIT_EXTENSION_DEADLINE_DAYS


def visitor_series_slug() -> str:
    return settings.VISITOR_SERIES_SLUG


def max_pending_stays() -> int:
    return settings.VISIT_MAX_PENDING_PER_PERSON


# --- Status machine -------------------------------------------------------------------------

TRANSITIONS: dict[str, set[str]] = {
    S.SUBMITTED: {S.ENDORSED, S.DECLINED, S.WITHDRAWN, S.CANCELLED},
    S.ENDORSED: {S.APPROVED, S.DECLINED, S.WITHDRAWN, S.CANCELLED},
    S.APPROVED: {S.CHECKED_IN, S.WITHDRAWN, S.CANCELLED},
    S.CHECKED_IN: {S.COMPLETED},
    S.DECLINED: set(),
    S.WITHDRAWN: set(),
    S.COMPLETED: set(),
    S.CANCELLED: set(),
}


def _action_label(status: str) -> str:
    return {
        S.ENDORSED: _("endorsed"),
        S.APPROVED: _("approved"),
        S.DECLINED: _("declined"),
        S.WITHDRAWN: _("withdrawn"),
        S.CHECKED_IN: _("checked in"),
        S.COMPLETED: _("checked out"),
        S.CANCELLED: _("cancelled"),
    }.get(status, status)


def visit_can_move(visit: Visit, to: str) -> bool:
    return to in TRANSITIONS[visit.status]


def _move(visit: Visit, to: str, *, by=None, by_name: str = "", note: str = "") -> None:
    """Change the status of a locked visit and write the history line; refuse anything else."""
    if not visit_can_move(visit, to):
        raise ValidationError(
            _("This stay is “%(current)s”, so it cannot be %(action)s.")
            % {"current": visit.get_status_display(), "action": _action_label(to)},
            code="bad_transition",
        )
    VisitStatusChange.objects.create(
        visit=visit,
        from_status=visit.status,
        to_status=to,
        by=by if by is not None and by.is_authenticated else None,
        by_name=by_name or (by.get_full_name() or by.email if by is not None and by.is_authenticated else ""),
        note=note,
    )
    visit.status = to


def _locked(visit: Visit) -> Visit:
    locked = Visit.objects.select_for_update().filter(pk=visit.pk).first()
    if locked is None:
        raise ValidationError(_("This stay no longer exists."), code="gone")
    return locked


def _require_staff(by) -> None:
    if by is None or not has_staff_rights(by):
        raise ValidationError(
            _("Only the hub staff, signed in with two-factor authentication, can decide this."),
            code="not_staff",
        )


def _require_visitor(visit: Visit, by) -> None:
    """`visit` is locked: its visitor's account is read under the lock of the write."""
    owner = Researcher.objects.filter(pk=visit.researcher_id).values_list("user_id", flat=True).first()
    if by is None or not by.is_authenticated or owner != by.pk:
        raise ValidationError(_("Only the visitor can change their own stay."), code="not_visitor")


# --- Dates and desks ------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def latest_last_day(first_day: dt.date) -> dt.date:
    return add_months(first_day, max_months()) - dt.timedelta(days=1)


def days_between(first_day: dt.date, last_day: dt.date) -> list[dt.date]:
    return [first_day + dt.timedelta(days=n) for n in range((last_day - first_day).days + 1)]


def hub_today() -> dt.date:
    return timezone.localdate()


def visit_date_problems(
    *,
    researcher: Researcher | None,
    first_day: dt.date,
    last_day: dt.date,
    today: dt.date | None = None,
    exclude_pk: int | None = None,
    allow_started: bool = False,
) -> list[str]:
    """Every reason these dates cannot be a stay, as messages for a person."""
    today = today or hub_today()
    problems = []
    if last_day < first_day:
        problems.append(_("The last day cannot be before the first day."))
        return problems
    if first_day < today and not allow_started:
        problems.append(_("The stay cannot start in the past: the first day can be today at the earliest."))
    latest = latest_last_day(first_day)
    if last_day > latest:
        problems.append(
            _(
                "A stay can last at most %(months)s months: "
                "with this first day, the last day can be %(latest)s."
            )
            % {"months": max_months(), "latest": dates.fmt(latest, "day_weekday")}
        )
    if researcher is not None and researcher.pk:
        clash = (
            Visit.objects.active()
            .filter(researcher=researcher)
            .overlapping(first_day, last_day)
            .exclude(pk=exclude_pk)
            .first()
        )
        if clash is not None:
            problems.append(
                _("You already have a stay from %(first)s to %(last)s that overlaps these dates.")
                % {"first": dates.fmt(clash.first_day, "day"), "last": dates.fmt(clash.last_day, "day")}
            )
    return problems


def host_problems(*, researcher: Researcher | None, host: Researcher) -> list[str]:
    if not host.is_hub_member:
        return [_("%(name)s is not a hub member, so they cannot host a stay.") % {"name": host.display_name}]
    if researcher is not None and researcher.pk == host.pk:
        return [_("You cannot host your own stay: choose another hub member.")]
    return []


def project_problems(*, host: Researcher, project: Project | None) -> list[str]:
    """A stay can be part of a project only if its host belongs to that project."""
    if project is None:
        return []
    if not Project.objects.for_member(host).filter(pk=project.pk).exists():
        return [
            _("“%(project)s” is not a project of %(host)s: choose one of your host's projects, or none.")
            % {"project": project.display_title, "host": host.display_name}
        ]
    return []


def pending_stay_problems(*, researcher: Researcher | None) -> list[str]:
    """A person may have at most VISIT_MAX_PENDING_PER_PERSON stays waiting for their host or staff."""
    if researcher is None or not researcher.pk:
        return []
    pending = Visit.objects.filter(researcher=researcher).pending().count()
    limit = max_pending_stays()
    if pending < limit:
        return []
    return [
        ngettext(
            "You already have %(count)s stay waiting for an answer from your host or the hub staff, "
            "the most one person can have at once. Withdraw it, or wait for the answer, before you "
            "register another.",
            "You already have %(count)s stays waiting for an answer from your host or the hub staff, "
            "the most one person can have at once. Withdraw one, or wait for an answer, before you "
            "register another.",
            pending,
        )
        % {"count": pending}
    ]


def _used_by_day(workspaces, first_day: dt.date, last_day: dt.date) -> Counter:
    rows = (
        DeskAllocation.objects.filter(workspace__in=workspaces, day__range=(first_day, last_day))
        .values_list("day")
        .annotate(used=Count("pk"))
    )
    return Counter(dict(rows))


def desk_days_free(*, first_day: dt.date, last_day: dt.date) -> list[tuple[dt.date, int]]:
    """Free desks on each day across the workspaces visitors may use (two queries)."""
    workspaces = list(Workspace.objects.for_visitors())
    capacity = sum(w.desks for w in workspaces)
    used = _used_by_day(workspaces, first_day, last_day)
    return [(day, max(capacity - used[day], 0)) for day in days_between(first_day, last_day)]


def workspace_full_days(*, workspace: Workspace, first_day: dt.date, last_day: dt.date) -> list[dt.date]:
    used = _used_by_day([workspace], first_day, last_day)
    return [day for day in days_between(first_day, last_day) if used[day] >= workspace.desks]


def _days_text(days) -> str:
    return ", ".join(dates.fmt(day, "day_weekday") for day in sorted(days))


def _allocate(
    *, visit: Visit, first_day: dt.date, last_day: dt.date, preferred: Workspace | None
) -> Workspace:
    """Lock candidate workspaces (in primary-key order, so two approvals never deadlock), count the
    desks used on each day of the stay, and write one allocation per day in the first workspace
    with a free desk on every day. Refuse, naming the full days, when there is none.
    """
    if preferred is not None:
        candidate_ids = [preferred.pk]
    else:
        candidate_ids = list(Workspace.objects.for_visitors().order_by("pk").values_list("pk", flat=True))
    if not candidate_ids:
        raise ValidationError(_("There is no workspace open to visitors."), code="no_workspace")
    full: dict[Workspace, list[dt.date]] = {}
    for pk in candidate_ids:
        workspace = Workspace.objects.select_for_update().get(pk=pk)
        full_days = workspace_full_days(workspace=workspace, first_day=first_day, last_day=last_day)
        if not full_days:
            DeskAllocation.objects.bulk_create(
                DeskAllocation(visit=visit, workspace=workspace, day=day)
                for day in days_between(first_day, last_day)
            )
            return workspace
        full[workspace] = full_days
    if len(full) == 1:
        workspace, days = next(iter(full.items()))
        raise ValidationError(
            _("No free desk in %(workspace)s on these days: %(days)s.")
            % {"workspace": workspace.name, "days": _days_text(days)},
            code="no_desk",
        )
    everywhere = set.intersection(*(set(days) for days in full.values()))
    if everywhere:
        raise ValidationError(
            _("Every workspace is full on these days: %(days)s.") % {"days": _days_text(everywhere)},
            code="no_desk",
        )
    details = "; ".join(f"{w.name}: {_days_text(days)}" for w, days in full.items())
    raise ValidationError(
        _("No single workspace has a free desk on every day of the stay (%(details)s).")
        % {"details": details},
        code="no_desk",
    )


# --- Mail -----------------------------------------------------------------------------------


def email_of(researcher: Researcher) -> str:
    if researcher.email:
        return researcher.email
    return researcher.user.email if researcher.user_id else ""


def _link(name: str, *args) -> str:
    return settings.SITE_URL + reverse(name, args=args)


def _mail(*, kind: str, visit: Visit, to: Researcher | None, template: str, revision: int = 0, **extra):
    """One message about `visit` to a person (or to staff when `to` is None), in their language."""
    recipient = email_of(to) if to is not None else settings.HUB_STAFF_EMAIL
    if not recipient:
        return None
    language = to.preferred_language if to is not None else "en"
    attachments = extra.pop("attachments", ())
    context = {
        "visit": visit,
        "person": to,
        "detail_url": _link("visits:detail", visit.pk),
        "admin_url": _link("admin:visits_visit_change", visit.pk),
        "hub_name": settings.HUB_NAME_KO if language == "ko" else settings.HUB_NAME,
        **extra,
    }
    return outbox_enqueue(
        kind=kind,
        about=visit,
        recipient=recipient,
        template=f"visits/{template}",
        context=context,
        revision=revision,
        language=language,
        attachments=attachments,
        recipient_name=to.name if to is not None else "",
    )


def _ics_attachment(visit: Visit, *, as_host: bool = False) -> list[dict]:
    return [ical.ics_attachment(filename="stay.ics", content=stay_ics(visit, as_host=as_host))]


# --- Registration and the host --------------------------------------------------------------


def visit_register(
    *,
    researcher: Researcher,
    host: Researcher,
    first_day: dt.date,
    last_day: dt.date,
    purpose: str,
    by=None,
    themes=(),
    project: Project | None = None,
    today: dt.date | None = None,
    **details,
) -> Visit:
    """A new stay, submitted. The host is asked to endorse it through a signed link; staff are told.

    `by` is the account acting (None for the system, e.g. the demo data): a person registers stays
    for themselves only. Every rule is checked under the lock of the visitor's researcher row, so
    two tabs cannot both pass the overlap check or the bound on pending stays.
    """
    with transaction.atomic():
        researcher = (
            Researcher.objects.select_for_update(of=("self",))
            .select_related("institution")
            .filter(pk=researcher.pk)
            .first()
        )
        if researcher is None:
            raise ValidationError(_("This researcher profile no longer exists."), code="gone")
        if by is not None and by.is_authenticated and researcher.user_id != by.pk:
            raise ValidationError(_("You can register stays only for yourself."), code="not_visitor")
        host = Researcher.objects.filter(pk=host.pk).first()
        if host is None:
            raise ValidationError(
                _("Your host's profile no longer exists: choose another host."), code="gone"
            )
        problems = (
            host_problems(researcher=researcher, host=host)
            + project_problems(host=host, project=project)
            + visit_date_problems(researcher=researcher, first_day=first_day, last_day=last_day, today=today)
            + pending_stay_problems(researcher=researcher)
        )
        if problems:
            raise ValidationError(problems)
        visit = Visit.objects.create(
            researcher=researcher,
            host=host,
            institution=researcher.institution,
            institution_name=researcher.institution.name if researcher.institution_id else "",
            first_day=first_day,
            last_day=last_day,
            purpose=purpose,
            project=project,
            **details,
        )
        visit.themes.set(themes)
        VisitStatusChange.objects.create(
            visit=visit,
            to_status=S.SUBMITTED,
            by=by if by is not None and by.is_authenticated else None,
            by_name=researcher.name,
        )
        _mail(
            kind="visits.endorse_request",
            visit=visit,
            to=host,
            template="endorse_request",
            endorse_url=_link("visits:endorse", visit_endorsement_token(visit)),
            valid_days=endorsement_max_age() // 86400,
        )
        _mail(kind="visits.staff_submitted", visit=visit, to=None, template="staff_submitted")
    return visit


def visit_submit(*, by, name: str = "", institution: Institution | None = None, **stay) -> Visit:
    """A signed-in person sends the stay form: their researcher profile (made now if they have
    none) and the stay, in one transaction, so a refused stay leaves no new profile behind."""
    with transaction.atomic():
        researcher = researcher_profile_ensure(user=by, name=name, institution=institution)
        return visit_register(researcher=researcher, by=by, **stay)


def visit_endorsement_resend(*, visit: Visit, by) -> Visit:
    """A new link for the host (an expired or lost one): the previous link stops working."""
    _require_staff(by)
    with transaction.atomic():
        visit = _locked(visit)
        if visit.status != S.SUBMITTED:
            raise ValidationError(
                _("The host has already answered: this stay is “%(current)s”.")
                % {"current": visit.get_status_display()},
                code="answered",
            )
        visit.endorsement_nonce = secrets.token_urlsafe(16)
        visit.endorsement_round += 1
        visit.save(update_fields=["endorsement_nonce", "endorsement_round", "updated"])
        visit = Visit.objects.with_people().get(pk=visit.pk)
        _mail(
            kind="visits.endorse_request",
            visit=visit,
            to=visit.host,
            template="endorse_request",
            revision=visit.endorsement_round,
            endorse_url=_link("visits:endorse", visit_endorsement_token(visit)),
            valid_days=endorsement_max_age() // 86400,
        )
    return visit


def visit_endorsement_token(visit: Visit) -> str:
    return signing.dumps({"v": visit.pk, "n": visit.endorsement_nonce}, salt=ENDORSEMENT_SALT, compress=True)


def visit_for_endorsement_token(token: str) -> Visit:
    """The stay a host's link is about; refuse forged, expired and already used links."""
    try:
        data = signing.loads(token, salt=ENDORSEMENT_SALT, max_age=endorsement_max_age())
    except signing.SignatureExpired as error:
        raise ValidationError(
            _("This link has expired. Ask the hub staff to send a new one."), code="expired"
        ) from error
    except signing.BadSignature as error:
        raise ValidationError(
            _("This link is not valid. Use the link from the e-mail as it is."), code="forged"
        ) from error
    visit = Visit.objects.with_people().filter(pk=data.get("v"), endorsement_nonce=data.get("n")).first()
    if visit is None:
        raise ValidationError(
            _("This link is not valid. Use the link from the e-mail as it is."), code="forged"
        )
    if visit.endorsement_used_at is not None:
        raise ValidationError(_("This link has already been used: the stay was answered."), code="used")
    return visit


def visit_host_answer(*, token: str, endorse: bool, note: str = "", by=None) -> Visit:
    """The host endorses or declines through their signed link, which works once."""
    linked = visit_for_endorsement_token(token)
    with transaction.atomic():
        visit = _locked(linked)
        # Checked again under the lock: two clicks of the same link cannot both count, and a link
        # that staff replaced a moment ago no longer works.
        if visit.endorsement_used_at is not None:
            raise ValidationError(_("This link has already been used: the stay was answered."), code="used")
        if visit.endorsement_nonce != linked.endorsement_nonce:
            raise ValidationError(
                _("This link was replaced by a newer one: use the link in the latest e-mail."),
                code="replaced",
            )
        _move(visit, S.ENDORSED if endorse else S.DECLINED, by=by, by_name=visit.host.name, note=note)
        visit.endorsement_used_at = timezone.now()
        visit.host_note = note
        visit.save()
        _mail(
            kind="visits.staff_host_answered",
            visit=visit,
            to=None,
            template="staff_host_answered",
            endorsed=endorse,
            note=note,
        )
        if not endorse:
            _mail(kind="visits.declined", visit=visit, to=visit.researcher, template="declined", note=note)
    return visit


# --- Staff decisions ------------------------------------------------------------------------


@changes_public_pages
def visit_approve(*, visit: Visit, by, workspace: Workspace | None = None, note: str = "") -> Visit:
    """Approve an endorsed stay: a desk on every day (unless none is needed), the visitor's mail
    with the .ics, and a draft seminar if they offered one.
    """
    _require_staff(by)
    with transaction.atomic():
        visit = _locked(visit)
        if not visit_can_move(visit, S.APPROVED):
            _move(visit, S.APPROVED)  # raises with the message
        if visit.needs_desk:
            visit.workspace = _allocate(
                visit=visit,
                first_day=visit.first_day,
                last_day=visit.last_day,
                preferred=workspace or visit.workspace,
            )
        _move(visit, S.APPROVED, by=by, note=note)
        visit.save()
        if visit.offers_seminar and visit.seminar_event_id is None:
            visit.seminar_event = _draft_seminar(visit)
            visit.save(update_fields=["seminar_event", "updated"])
        visit = Visit.objects.with_people().get(pk=visit.pk)
        _mail(
            kind="visits.approved",
            visit=visit,
            to=visit.researcher,
            template="approved",
            revision=visit.sequence,
            letter_url=_link("visits:letter", visit.pk) if visit.needs_visa_letter else "",
            letter_pdf_url=_link("visits:letter_pdf", visit.pk) if visit.needs_visa_letter else "",
            attachments=_ics_attachment(visit),
        )
        _mail(
            kind="visits.host_approved",
            visit=visit,
            to=visit.host,
            template="host_approved",
            attachments=_ics_attachment(visit, as_host=True),
        )
    return visit


def _draft_seminar(visit: Visit) -> Event:
    """A draft event in the visitor seminar series, placed in the stay's second week for staff to move.

    Written by the events services, so it keeps the room rule: the series' room if it is free then,
    else no room yet (`visit_seminar_warnings` tells staff what holds it)."""
    series = events_services.series_get_or_create(
        slug=visitor_series_slug(),
        defaults={
            "title": "Visitor seminars",
            "title_ko": "방문 연구자 세미나",
            "default_start_time": dt.time(16),
        },
    )
    zone = ZoneInfo(series.time_zone)
    day = min(visit.first_day + dt.timedelta(days=7), visit.last_day)
    if series.default_weekday is not None:
        candidate = day + dt.timedelta(days=(series.default_weekday - day.weekday()) % 7)
        day = candidate if candidate <= visit.last_day else day
    start = dt.datetime.combine(day, series.default_start_time or dt.time(16), tzinfo=zone)
    base = slugify(visit.seminar_title)[:90] or "seminar"
    try:
        return events_services.event_draft_create(
            room=series.default_room,
            series=series,
            title=visit.seminar_title or f"Seminar by {visit.researcher.name}",
            slug=events_services.unique_event_slug(f"visitor-{visit.pk}-{base}"),
            abstract=visit.seminar_abstract,
            start=start,
            end=start + dt.timedelta(minutes=series.default_duration_minutes),
            time_zone=series.time_zone,
            speakers_tba=False,
            themes=list(visit.themes.all()),
            speakers=[visit.researcher],
        )
    except ValidationError as error:
        # The seminar's own rules (e.g. no script in the abstract): staff correct the offer first.
        raise ValidationError(
            _("The offered seminar cannot be drafted: %(reason)s") % {"reason": " ".join(error.messages)},
            code="seminar_draft",
        ) from error


@changes_public_pages
def visit_decline(*, visit: Visit, by, note: str = "") -> Visit:
    _require_staff(by)
    with transaction.atomic():
        visit = _locked(visit)
        _move(visit, S.DECLINED, by=by, note=note)
        visit.save()
        _mail(kind="visits.declined", visit=visit, to=visit.researcher, template="declined", note=note)
    return visit


def _release(visit: Visit, *, was_approved: bool) -> None:
    visit.allocations.all().delete()
    if was_approved:
        visit.sequence += 1  # calendars that had the stay must see it cancelled


@changes_public_pages
def visit_withdraw(*, visit: Visit, by, note: str = "") -> Visit:
    """The visitor withdraws; desks go back, the host and staff are told."""
    with transaction.atomic():
        visit = _locked(visit)
        _require_visitor(visit, by)
        was_approved = visit.status == S.APPROVED
        _move(visit, S.WITHDRAWN, by=by, note=note)
        _release(visit, was_approved=was_approved)
        visit.save()
        visit = Visit.objects.with_people().get(pk=visit.pk)
        extra = {"attachments": _ics_attachment(visit, as_host=True)} if was_approved else {}
        _mail(kind="visits.withdrawn", visit=visit, to=visit.host, template="withdrawn", note=note, **extra)
        _mail(kind="visits.staff_withdrawn", visit=visit, to=None, template="withdrawn", note=note)
    return visit


@changes_public_pages
def visit_cancel(*, visit: Visit, by, note: str) -> Visit:
    """Staff cancel a stay (before arrival); desks go back and the visitor gets the cancelled .ics."""
    if not note.strip():
        raise ValidationError(_("Say why the stay is cancelled: the visitor will read it."), code="no_reason")
    _require_staff(by)
    with transaction.atomic():
        visit = _locked(visit)
        was_approved = visit.status == S.APPROVED
        _move(visit, S.CANCELLED, by=by, note=note)
        _release(visit, was_approved=was_approved)
        visit.save()
        visit = Visit.objects.with_people().get(pk=visit.pk)
        extra = {"attachments": _ics_attachment(visit)} if was_approved else {}
        _mail(
            kind="visits.cancelled",
            visit=visit,
            to=visit.researcher,
            template="cancelled",
            note=note,
            **extra,
        )
    return visit


@changes_public_pages
def visit_check_in(*, visit: Visit, by, note: str = "", today: dt.date | None = None) -> Visit:
    today = today or hub_today()
    _require_staff(by)
    with transaction.atomic():
        visit = _locked(visit)
        if visit_can_move(visit, S.CHECKED_IN) and not visit.first_day <= today <= visit.last_day:
            raise ValidationError(
                _("A visitor can be checked in only during the stay (%(first)s to %(last)s).")
                % {"first": dates.fmt(visit.first_day, "day"), "last": dates.fmt(visit.last_day, "day")},
                code="not_during_stay",
            )
        _move(visit, S.CHECKED_IN, by=by, note=note)
        visit.arrived_at = timezone.now()
        visit.save()
    return visit


@changes_public_pages
def visit_check_out(*, visit: Visit, by, note: str = "", today: dt.date | None = None) -> Visit:
    """Record the departure; leaving early frees the remaining desk-days and shortens the stay."""
    today = today or hub_today()
    _require_staff(by)
    with transaction.atomic():
        visit = _locked(visit)
        _move(visit, S.COMPLETED, by=by, note=note)
        visit.departed_at = timezone.now()
        if today < visit.last_day:
            visit.allocations.filter(day__gt=today).delete()
            visit.last_day = max(today, visit.first_day)
            visit.sequence += 1
        visit.save()
    return visit


# --- Extensions -----------------------------------------------------------------------------


def extension_deadline(visit: Visit) -> dt.date:
    return visit.last_day - dt.timedelta(days=extension_deadline_days())


def extension_request(
    *, visit: Visit, new_last_day: dt.date, reason: str, by, today: dt.date | None = None
) -> Extension:
    today = today or hub_today()
    with transaction.atomic():
        visit = _locked(visit)
        _require_visitor(visit, by)
        problems = []
        if visit.status not in (S.APPROVED, S.CHECKED_IN):
            problems.append(_("Only an approved stay can be extended."))
        elif today > extension_deadline(visit):
            problems.append(
                _("Extensions must be asked by %(day)s, %(n)s days before the last day.")
                % {"day": dates.fmt(extension_deadline(visit), "day_weekday"), "n": extension_deadline_days()}
            )
        if new_last_day <= visit.last_day:
            problems.append(_("The new last day must be after the current last day."))
        else:
            problems += visit_date_problems(
                researcher=visit.researcher,
                first_day=visit.first_day,
                last_day=new_last_day,
                today=today,
                exclude_pk=visit.pk,
                allow_started=True,
            )
        if visit.extensions.filter(status=Extension.Status.REQUESTED).exists():
            problems.append(_("This stay already has an extension request waiting."))
        if problems:
            raise ValidationError(problems)
        extension = Extension.objects.create(visit=visit, new_last_day=new_last_day, reason=reason)
        VisitStatusChange.objects.create(
            visit=visit,
            from_status=visit.status,
            to_status=visit.status,
            by=by,
            by_name=visit.researcher.name,
            note=f"Extension to {dates.fmt(new_last_day, 'day', lang='en')} requested: {reason}",
        )
        _mail(
            kind="visits.staff_extension",
            visit=visit,
            to=None,
            template="staff_extension",
            revision=extension.pk,
            extension=extension,
        )
    return extension


@changes_public_pages
def extension_approve(*, extension: Extension, by, note: str = "") -> Extension:
    """Extend the stay after the same desk check, in the stay's own workspace."""
    _require_staff(by)
    with transaction.atomic():
        visit = _locked(extension.visit)
        extension = _locked_extension(extension)
        if extension.status != Extension.Status.REQUESTED:
            raise ValidationError(_("This extension request was already decided."), code="decided")
        if visit.status not in (S.APPROVED, S.CHECKED_IN):
            raise ValidationError(
                _("This stay is “%(current)s”, so it cannot be extended.")
                % {"current": visit.get_status_display()},
                code="bad_transition",
            )
        first_new_day = visit.last_day + dt.timedelta(days=1)
        if visit.needs_desk:
            visit.workspace = _allocate(
                visit=visit,
                first_day=first_new_day,
                last_day=extension.new_last_day,
                preferred=visit.workspace,
            )
        old_last_day = visit.last_day
        visit.last_day = extension.new_last_day
        visit.sequence += 1
        visit.save()
        extension.status = Extension.Status.APPROVED
        extension.decided_at = timezone.now()
        extension.decided_by = by
        extension.note = note
        extension.save()
        VisitStatusChange.objects.create(
            visit=visit,
            from_status=visit.status,
            to_status=visit.status,
            by=by,
            by_name=by.get_full_name() or by.email,
            note=f"Extended from {dates.fmt(old_last_day, 'day', lang='en')} "
            f"to {dates.fmt(visit.last_day, 'day', lang='en')}. {note}".strip(),
        )
        visit = Visit.objects.with_people().get(pk=visit.pk)
        _mail(
            kind="visits.extension_decided",
            visit=visit,
            to=visit.researcher,
            template="extension_decided",
            revision=extension.pk,
            extension=extension,
            approved=True,
            attachments=_ics_attachment(visit),
        )
    return extension


def _locked_extension(extension: Extension) -> Extension:
    locked = (
        Extension.objects.select_for_update(of=("self",))
        .select_related("visit__researcher")
        .filter(pk=extension.pk)
        .first()
    )
    if locked is None:
        raise ValidationError(_("This extension request no longer exists."), code="gone")
    return locked


def extension_decline(*, extension: Extension, by, note: str = "") -> Extension:
    _require_staff(by)
    with transaction.atomic():
        # The stay first, then the request: the order extension_approve locks them in.
        _locked(extension.visit)
        extension = _locked_extension(extension)
        if extension.status != Extension.Status.REQUESTED:
            raise ValidationError(_("This extension request was already decided."), code="decided")
        extension.status = Extension.Status.DECLINED
        extension.decided_at = timezone.now()
        extension.decided_by = by
        extension.note = note
        extension.save()
        _mail(
            kind="visits.extension_decided",
            visit=extension.visit,
            to=extension.visit.researcher,
            template="extension_decided",
            revision=extension.pk,
            extension=extension,
            approved=False,
        )
    return extension


# --- Reminders ------------------------------------------------------------------------------


def visit_reminders_send(*, today: dt.date | None = None) -> list:
    """Each reminder once: the outbox row (kind, stay, recipient, revision) is unique, and the revision
    is the day it is about, so running this twice, or at the same moment, sends nothing more.
    """
    today = today or hub_today()
    sent = []
    base = Visit.objects.with_people().select_related("researcher__user", "host__user")
    arrivals = base.filter(
        status=S.APPROVED, first_day__range=(today + dt.timedelta(days=1), today + dt.timedelta(days=7))
    )
    for visit in arrivals:
        sent.append(
            _mail(
                kind="visits.reminder_arrival",
                visit=visit,
                to=visit.researcher,
                template="reminder_arrival",
                revision=visit.first_day.toordinal(),
            )
        )
    for visit in base.filter(status__in=[S.APPROVED, S.CHECKED_IN], first_day=today):
        sent.append(
            _mail(
                kind="visits.reminder_host",
                visit=visit,
                to=visit.host,
                template="reminder_host",
                revision=visit.first_day.toordinal(),
            )
        )
    staying = base.filter(status__in=[S.APPROVED, S.CHECKED_IN])
    for visit in staying.filter(last_day__range=(today + dt.timedelta(days=1), today + dt.timedelta(days=5))):
        sent.append(
            _mail(
                kind="visits.reminder_checkout",
                visit=visit,
                to=visit.researcher,
                template="reminder_checkout",
                revision=visit.last_day.toordinal(),
            )
        )
    deadline = extension_deadline_days()
    extendable = staying.filter(
        first_day__lte=today,
        last_day__range=(today + dt.timedelta(days=deadline), today + dt.timedelta(days=deadline + 7)),
    ).exclude(extensions__status=Extension.Status.REQUESTED)
    for visit in extendable:
        sent.append(
            _mail(
                kind="visits.reminder_extension",
                visit=visit,
                to=visit.researcher,
                template="reminder_extension",
                revision=visit.last_day.toordinal(),
                deadline=extension_deadline(visit),
            )
        )
    return [message for message in sent if message is not None]


def arrivals_feed_token_reset(*, user) -> ArrivalsFeedToken:
    """A new private token for the staff arrivals calendar; the previous address stops working."""
    if not has_staff_rights(user):
        raise ValidationError(
            _("Only staff with two-factor authentication have an arrivals calendar."), code="not_staff"
        )
    with transaction.atomic():
        # The account row is the parent: two resets at once make one token, not a 500.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        ArrivalsFeedToken.objects.filter(user=user).delete()
        return ArrivalsFeedToken.objects.create(user=user)


# --- Reads other rooms use ------------------------------------------------------------------


def visit_seminar_warnings(event: Event) -> list[str]:
    """Warnings for staff when a visitor's seminar is scheduled outside their stay (the stay admin
    shows them; the event admin asks the stay itself, `event.visit.seminar_outside_stay_warning`).
    """
    if event.pk is None:
        return []
    visit = Visit.objects.select_related("researcher").filter(seminar_event_id=event.pk).first()
    if visit is None:
        return []
    warning = visit.seminar_outside_stay_warning(event)
    warnings = [warning] if warning else []
    if event.is_draft and event.room_id is None and event.has_in_person_part:
        series = Series.objects.select_related("default_room").filter(pk=event.series_id).first()
        wanted = series.default_room if series is not None else None
        clash = events_services.room_booking_in_the_way(room=wanted, start=event.start, end=event.end)
        if clash is not None:
            # The series' room was taken when the draft was made (or since): say by what.
            warnings.append(
                _("The seminar draft has no room: %(clash)s Choose a room or another time before publishing.")
                % {"clash": events_services.room_clash_message(room=wanted, clash=clash)}
            )
    return warnings


def visitor_counts_by_institution() -> dict[int, int]:
    """{institution id: number of stays that count (Institution.objects.with_stay_count), by the
    institution visitors came from at the time}, for institutions with at least one. One query.
    """
    rows = Institution.objects.with_stay_count().filter(stay_count__gt=0).values_list("pk", "stay_count")
    return dict(rows)
