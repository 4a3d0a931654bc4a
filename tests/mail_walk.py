"""Every mail the site sends, sent once through the real services, with hostile text in every name.

`send_every_mail(language)` drives each path that writes an outbox row (registrations, series
subscriptions and announcements, invitations, updates, reminders, cancellations, every kind of
message about a stay) and allauth's adapter with each of allauth's mail templates. Every name and
text that reaches a mail (people, hosts, events, series, rooms, institutions, speakers, notes and
reasons, the hub's own name) holds `' & " < >`. It returns one `Sent` per row: the template it was
rendered from, the row, and the labels of the hostile values the test expects in it.

Tests that walk the class (no mail HTML-escaped in its text, every mail with an HTML part, every
calendar part) use this, so a new mail template that no path sends fails `test_every_mail_template_
is_walked` until it is added here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import allauth
from allauth.account.adapter import get_adapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.utils import timezone, translation

import hubsite.adapters
import hubsite.services
from events import services as events
from events.models import Registration
from hubsite.models import OutboxMessage
from tests.factories import (
    DraftEventFactory,
    EventFactory,
    EventSpeakerFactory,
    InstitutionFactory,
    MemberFactory,
    RoomFactory,
    SeriesFactory,
    SeriesSubscriptionFactory,
    StaffFactory,
    UserFactory,
    VisitorFactory,
    WorkspaceFactory,
)
from visits import services as visits

TEMPLATES_DIR = Path(settings.BASE_DIR) / "templates" / "email"
ALLAUTH_DIR = Path(allauth.__file__).parent / "templates"


def hostile(label: str) -> str:
    """A value with every character HTML escapes: `Seán O'Brien & "Co" <PERSON>`."""
    return f'Seán O\'Brien & "Co" <{label}>'


def escaped(value: str) -> str:
    from django.utils.html import escape

    return str(escape(value))


# The labels of the hostile values: the hub's name (settings), people, places, titles, free text.
HUB, PERSON, HOST, EVENT, SERIES, ROOM, INSTITUTION, SPEAKER, NOTE, USER = (
    "HUB",
    "PERSON",
    "HOST",
    "EVENT",
    "SERIES",
    "ROOM",
    "INSTITUTION",
    "SPEAKER",
    "NOTE",
    "USER",
)

# What each mail must show, verbatim in its text part (and escaped in its HTML part).
EXPECTED_IN_TEXT = {
    "registration_confirm_link": {PERSON, EVENT, ROOM},
    "registration_confirmed": {PERSON, EVENT, ROOM},
    "registration_waiting": {PERSON, EVENT, ROOM},
    "registration_promoted": {PERSON, EVENT, ROOM},
    "registration_cancelled": {PERSON, EVENT, ROOM},
    "registration_repeat": {PERSON, EVENT, ROOM},
    "series_subscription_confirm": {SERIES},
    "series_announcement": {NOTE},
    "events/invitation": {PERSON, EVENT, ROOM, SPEAKER, INSTITUTION},
    "events/update": {PERSON, EVENT, ROOM},
    "events/reminder": {PERSON, EVENT, ROOM},
    "events/announcement": {SERIES, EVENT, ROOM},
    "events/cancelled": {PERSON, EVENT, NOTE},
    "visits/endorse_request": {HOST, PERSON, NOTE, INSTITUTION},
    "visits/staff_submitted": {PERSON, HOST, INSTITUTION},
    "visits/staff_host_answered": {HOST, PERSON, NOTE},
    "visits/declined": {PERSON, NOTE},
    "visits/approved": {PERSON, HOST, ROOM},
    "visits/host_approved": {HOST, PERSON, ROOM},
    "visits/withdrawn": {PERSON, NOTE},
    "visits/cancelled": {PERSON, NOTE},
    "visits/staff_extension": {PERSON, NOTE},
    "visits/extension_decided": {PERSON, NOTE},
    "visits/reminder_arrival": {PERSON, HOST, ROOM},
    "visits/reminder_host": {HOST, PERSON, ROOM},
    "visits/reminder_checkout": {PERSON},
    "visits/reminder_extension": {PERSON},
}
EXPECTED_IN_SUBJECT = {
    "registration_confirm_link": {EVENT},
    "registration_confirmed": {EVENT},
    "registration_waiting": {EVENT},
    "registration_promoted": {EVENT},
    "registration_cancelled": {EVENT},
    "registration_repeat": {EVENT},
    "series_subscription_confirm": {SERIES},
    "series_announcement": {SERIES, EVENT},
    "events/invitation": {EVENT},
    "events/update": {EVENT},
    "events/reminder": {EVENT},
    "events/announcement": {SERIES, EVENT},
    "events/cancelled": {EVENT},
    "visits/endorse_request": {PERSON},
    "visits/staff_submitted": {PERSON},
    "visits/staff_host_answered": {PERSON},
    "visits/host_approved": {PERSON},
    "visits/withdrawn": {PERSON},
    "visits/staff_extension": {PERSON},
    "visits/reminder_host": {PERSON},
}


@dataclass
class Sent:
    template: str
    message: OutboxMessage
    in_text: set[str] = field(default_factory=set)
    in_subject: set[str] = field(default_factory=set)


def site_mail_templates() -> set[str]:
    """Every mail of templates/email/**: a `<name>.subject.txt` is a mail named `<name>`."""
    return {
        str(path.relative_to(TEMPLATES_DIR)).removesuffix(".subject.txt")
        for path in TEMPLATES_DIR.rglob("*.subject.txt")
    }


def allauth_mail_templates() -> set[str]:
    """Every mail allauth can send (account/email/…, mfa/email/…): a `<prefix>_subject.txt` each."""
    return {
        str(path.relative_to(ALLAUTH_DIR)).removesuffix("_subject.txt")
        for path in ALLAUTH_DIR.glob("*/email/*_subject.txt")
    }


class _Recorder:
    """Which template each outbox row was rendered from (outbox_enqueue renders, then writes)."""

    def __init__(self, monkeypatch):
        self.sent: list[Sent] = []
        self._template = ""
        render, write = hubsite.services.render_to_string, hubsite.services.outbox_write

        def recording_render(name, *args, **kwargs):
            if name.endswith(".subject.txt"):
                self._template = name.removeprefix("email/").removesuffix(".subject.txt")
            return render(name, *args, **kwargs)

        def recording_write(**kwargs):
            message = write(**kwargs)
            self.sent.append(Sent(self._template, message))
            return message

        monkeypatch.setattr(hubsite.services, "render_to_string", recording_render)
        monkeypatch.setattr(hubsite.services, "outbox_write", recording_write)
        monkeypatch.setattr(hubsite.adapters, "outbox_write", recording_write)


def send_every_mail(monkeypatch, settings, language: str) -> list[Sent]:
    settings.HUB_NAME = settings.HUB_NAME_KO = hostile(HUB)
    settings.DEFAULT_FROM_EMAIL = "Hub <seminars@hub.example.org>"
    recorder = _Recorder(monkeypatch)
    _seminars(language)
    _stays(language)
    _account_mails(recorder, language)
    for sent in recorder.sent:
        sent.in_text = EXPECTED_IN_TEXT.get(sent.template, set()) | {HUB}
        if sent.message.recipient.startswith("reader-") and sent.template.startswith("events/"):
            # A series' subscriber is greeted without a name and told which series it is about.
            sent.in_text = (sent.in_text - {PERSON}) | {SERIES}
        sent.in_subject = EXPECTED_IN_SUBJECT.get(sent.template, set())
    return recorder.sent


def _seminars(language: str) -> None:
    staff = StaffFactory()
    institution = InstitutionFactory(name=hostile(INSTITUTION), name_ko=hostile(INSTITUTION))
    series = SeriesFactory(title=hostile(SERIES), title_ko=hostile(SERIES))
    room = RoomFactory(name=hostile(ROOM))
    start = (timezone.now() + dt.timedelta(days=10)).replace(microsecond=0)
    title = {"title": hostile(EVENT), "title_ko": hostile(EVENT)}
    event = EventFactory(series=series, room=room, capacity=1, start=start, **title)
    EventSpeakerFactory(
        event=event,
        researcher=MemberFactory(name=hostile(SPEAKER), name_ko=hostile(SPEAKER), institution=institution),
    )

    # Series: the double opt-in, an announcement to a subscriber, the generic announcement.
    events.series_subscription_request(series=series, email=f"new-{language}@example.org", language=language)
    SeriesSubscriptionFactory(series=series, email=f"reader-{language}@example.org", language=language)
    draft = DraftEventFactory(
        series=series, room=room, start=start + dt.timedelta(days=1), speakers_tba=True, **title
    )
    events.event_publish(event=draft, by=staff)
    events.series_announcement_enqueue(
        series=series,
        kind="test_announcement",
        about=series,
        template="series_announcement",
        context={
            "announcement_subject": hostile(EVENT),
            "announcement_text": hostile(NOTE),
            "announcement_html": escaped(hostile(NOTE)),
        },
    )

    # Registrations: a guest's link and seat, a member on the waiting list, promoted when the guest
    # cancels; an invitation to a pasted address with a name; an update, a reminder, the cancellation.
    guest = events.registration_create(
        event=event, email=f"guest-{language}@example.org", name=hostile(PERSON), language=language
    )
    events.registration_confirm_email(token=events.registration_confirm_token(guest))
    member = UserFactory(email=f"member-{language}@example.org")
    events.registration_create(
        event=event, email=member.email, name=hostile(PERSON), user=member, language=language
    )
    # The guest's address asked again: the owner is told where it stands (the page says nothing).
    events.registration_create(
        event=event,
        email=f"guest-{language}@example.org",
        name=hostile(PERSON),
        language=language,
        now=timezone.now() + events.GUEST_REPEAT_MAIL_AFTER,
    )
    events.registration_cancel(registration=Registration.objects.get(pk=guest.pk))
    invitee = events.Invitee(email=f"invited-{language}@example.org", name=hostile(PERSON), language=language)
    events.event_invitations_send(event=event, invitees=[invitee])
    # A move: registrants and the series' subscribers are told once it is due.
    events.event_update(
        event=event, start=event.start + dt.timedelta(hours=1), end=event.end + dt.timedelta(hours=1)
    )
    event.refresh_from_db()
    due = timezone.now() + dt.timedelta(seconds=settings.EVENT_UPDATE_DELAY_SECONDS + 1)
    events.event_update_notices_send(event_id=event.pk, now=due)
    events.event_reminders_send(now=event.start - dt.timedelta(hours=24) + dt.timedelta(minutes=1))
    events.event_cancel(event=event, reason=hostile(NOTE), by=staff)


def _stays(language: str) -> None:
    staff = StaffFactory()
    today = timezone.localdate()
    institution = InstitutionFactory(name=hostile(INSTITUTION), name_ko=hostile(INSTITUTION))
    host = MemberFactory(name=hostile(HOST), preferred_language=language, user=UserFactory())
    workspace = WorkspaceFactory(name=hostile(ROOM), desks=5, notes=hostile(NOTE))

    def visitor():
        return VisitorFactory(name=hostile(PERSON), institution=institution, preferred_language=language)

    def register(start: int, length: int, **details):
        first = today + dt.timedelta(days=start)
        return visits.visit_register(
            researcher=visitor(),
            host=host,
            first_day=first,
            last_day=first + dt.timedelta(days=length - 1),
            purpose=hostile(NOTE),
            **details,
        )

    def endorse(visit, yes=True):
        return visits.visit_host_answer(
            token=visits.visit_endorsement_token(visit), endorse=yes, note=hostile(NOTE)
        )

    # Endorsed and approved, reminded of every step, extended.
    stay = register(10, 10, needs_visa_letter=True)
    stay = visits.visit_approve(visit=endorse(stay), by=staff, workspace=workspace, note=hostile(NOTE))
    for day in (10 - 5, 10, 10 + 1, 10 + 9 - 3):  # arrival, the host's day, extension, checking out
        visits.visit_reminders_send(today=today + dt.timedelta(days=day))
    extension = visits.extension_request(
        visit=stay,
        new_last_day=stay.last_day + dt.timedelta(days=3),
        reason=hostile(NOTE),
        by=stay.researcher.user,
        today=today,
    )
    visits.extension_approve(extension=extension, by=staff, note=hostile(NOTE))
    # Declined by the host; withdrawn after approval; cancelled by staff.
    endorse(register(40, 5), yes=False)
    withdrawn = visits.visit_approve(visit=endorse(register(50, 5)), by=staff, workspace=workspace)
    visits.visit_withdraw(visit=withdrawn, by=withdrawn.researcher.user, note=hostile(NOTE))
    cancelled = visits.visit_approve(visit=endorse(register(60, 5)), by=staff, workspace=workspace)
    visits.visit_cancel(visit=cancelled, by=staff, note=hostile(NOTE))


def _account_mails(recorder: _Recorder, language: str) -> None:
    """allauth's adapter with each of allauth's mail templates, in a request as allauth sends them."""
    user = UserFactory(username=hostile(USER), email=f"account-{language}@example.org")
    request = RequestFactory().get("/accounts/")
    request.user = AnonymousUser()
    context = {
        "user": user,
        "email": user.email,
        "from_email": f"old-{language}@example.org",
        "to_email": user.email,
        "deleted_email": f"old-{language}@example.org",
        "activate_url": "https://hub.example.org/accounts/confirm-email/key/",
        "password_reset_url": "https://hub.example.org/accounts/password/reset/key/",
        "signup_url": "https://hub.example.org/accounts/signup/",
        "key": "key",
        "ip": "192.0.2.1",
        "user_agent": hostile(USER),
        "timestamp": timezone.now(),
    }
    with allauth_context.request_context(request), translation.override(language):
        for prefix in sorted(allauth_mail_templates()):
            before = len(recorder.sent)
            # As the site sends them: a code only in the mails about one; a link everywhere else
            # (addresses are confirmed by link, ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED is off).
            code = {"code": prefix} if prefix.endswith("_code") else {}
            get_adapter(request).send_mail(prefix, user.email, {**context, "key": prefix, **code})
            for sent in recorder.sent[before:]:
                sent.template = prefix
