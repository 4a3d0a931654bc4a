"""What is sent about a seminar: invitations, updates, cancellations, reminders, announcements.

Delivery goes through the real SMTP server of tests/smtp.py; calendars are parsed with icalendar.
"""

import datetime as dt
import re

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from icalendar import Calendar

from events import services, tasks
from events.models import Event
from hubsite.models import OutboxMessage
from tests import smtp
from tests.factories import (
    EventFactory,
    InstitutionFactory,
    RegistrationFactory,
    ResearcherFactory,
    SeriesFactory,
    SeriesSubscriptionFactory,
    UserFactory,
    VisitFactory,
)

pytestmark = pytest.mark.django_db
smtp_server, smtp_mailer = smtp.smtp_server, smtp.smtp_mailer

START = dt.datetime(2031, 7, 1, 5, 0, tzinfo=dt.UTC)  # 14:00 in Seoul


@pytest.fixture
def commit_now(monkeypatch):
    """Inside a test's transaction nothing commits: run after-commit work at once, as autocommit would."""
    monkeypatch.setattr(transaction, "on_commit", lambda callback, using=None, robust=False: callback())


@pytest.fixture
def scheduled(monkeypatch):
    """The update tasks scheduled (not run): (event id, countdown) for each."""
    calls = []
    monkeypatch.setattr(
        tasks.send_event_update,
        "apply_async",
        lambda args, countdown=None, **kwargs: calls.append((args[0], countdown)),
    )
    return calls


def calendar_of(received) -> Calendar:
    (part,) = [p for p in received.message.iter_attachments() if p.get_content_type() == "text/calendar"]
    return Calendar.from_ical(part.get_content())


def vevent(calendar: Calendar):
    (component,) = calendar.walk("VEVENT")
    return component


def text_and_html(received) -> tuple[str, str]:
    body = plain(received)
    html = received.message.get_body(preferencelist=("html",)).get_content()
    return body, html


def plain(received) -> str:
    return received.message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def by_recipient(server) -> dict:
    return {item.rcpt_tos[0]: item for item in server.received}


def seminar(**kwargs) -> Event:
    kwargs.setdefault("start", START)
    kwargs.setdefault("end", START + dt.timedelta(hours=1))
    return EventFactory(title="Scaling laws", slug="scaling-laws", **kwargs)


# --- Invitations ------------------------------------------------------------------------------


def test_invitation_parse_addresses_lists_invalid_ones_as_typed():
    valid, invalid = services.invitation_parse_addresses(
        "Ann@Example.org, bad-address; Bo Kim <bo@example.org>\n\n  \nno at all\nx@y"
    )
    assert valid == [
        services.Invitee(email="ann@example.org"),
        services.Invitee(email="bo@example.org", name="Bo Kim"),
    ]
    assert invalid == ["bad-address", "no at all", "x@y"]


def test_invitation_plan_counts_each_address_once_whatever_its_case():
    event = seminar(series=SeriesFactory())
    SeriesSubscriptionFactory(series=event.series, email="ann@example.org")
    ResearcherFactory(email="Ann@Example.org", name="Ann Lee", preferred_language="ko")
    pasted, _ = services.invitation_parse_addresses("ANN@example.org, new@example.org")
    plan = services.invitation_plan(event=event, audiences=["subscribers"], pasted=pasted)
    assert plan.invitees == [
        services.Invitee(email="ann@example.org", name="Ann Lee", language="ko"),
        services.Invitee(email="new@example.org", name="", language="en"),
    ]
    assert plan.already_invited == frozenset()


def test_subscribers_audience_is_confirmed_active_subscribers_only():
    event = seminar(series=SeriesFactory())
    SeriesSubscriptionFactory(series=event.series, email="yes@example.org", language="ko")
    SeriesSubscriptionFactory(series=event.series, email="pending@example.org", confirmed_at=None)
    SeriesSubscriptionFactory(series=event.series, email="gone@example.org", unsubscribed_at=timezone.now())
    SeriesSubscriptionFactory(email="other-series@example.org")
    assert services.invitation_audience(event=event, audience="subscribers") == [
        services.Invitee(email="yes@example.org", language="ko")
    ]


def test_researchers_audience_is_active_accounts_with_a_verified_address():
    event = seminar()
    ResearcherFactory(name="Verified", user=UserFactory(email="v@example.org"), preferred_language="ko")
    ResearcherFactory(name="Unverified", user=UserFactory(email="u@example.org", verified=False))
    ResearcherFactory(name="Inactive", user=UserFactory(email="i@example.org", is_active=False))
    ResearcherFactory(name="No account", email="n@example.org")
    UserFactory(email="no-researcher@example.org")
    assert services.invitation_audience(event=event, audience="researchers") == [
        services.Invitee(email="v@example.org", name="Verified", language="ko")
    ]


def test_visitors_audience_is_stays_approved_or_checked_in_on_the_event_day():
    event = seminar()  # 1 July 2031, 14:00 in Seoul
    day = dt.date(2031, 7, 1)
    approved = VisitFactory(status="approved", first_day=day, last_day=day + dt.timedelta(days=3))
    checked_in = VisitFactory(status="checked_in", first_day=day - dt.timedelta(days=9), last_day=day)
    VisitFactory(status="submitted", first_day=day, last_day=day)
    VisitFactory(status="completed", first_day=day, last_day=day)
    VisitFactory(status="approved", first_day=day + dt.timedelta(days=1), last_day=day + dt.timedelta(days=5))
    invitees = services.invitation_audience(event=event, audience="visitors")
    assert sorted(i.email for i in invitees) == sorted(
        [approved.researcher.email, checked_in.researcher.email]
    )


def test_partners_audience_is_contacts_of_active_partners():
    event = seminar()
    active = InstitutionFactory(partnership_status="active")
    past = InstitutionFactory(partnership_status="past")
    contact = ResearcherFactory(email="contact@example.org")
    active.contacts.add(contact)
    past.contacts.add(ResearcherFactory(email="past@example.org"))
    assert [i.email for i in services.invitation_audience(event=event, audience="partners")] == [
        "contact@example.org"
    ]


def test_invitation_is_personal_in_the_persons_language_with_publish_calendar(
    smtp_mailer, commit_now, settings
):
    event = seminar(title_ko="스케일링 법칙", sequence=2)
    invitees = [
        services.Invitee(email="ann@example.org", name="Ann Lee", language="en"),
        services.Invitee(email="min@example.org", name="Min Park", language="ko"),
        services.Invitee(email="anon@example.org"),
    ]
    assert services.event_invitations_send(event=event, invitees=invitees) == 3
    received = by_recipient(smtp_mailer)
    assert sorted(received) == ["ann@example.org", "anon@example.org", "min@example.org"]
    english, korean, anonymous = (
        received["ann@example.org"],
        received["min@example.org"],
        received["anon@example.org"],
    )
    assert english.message["Subject"] == "Invitation: Scaling laws"
    assert korean.message["Subject"] == "초대: 스케일링 법칙"
    body, html = text_and_html(english)
    assert body.startswith("Dear Ann Lee,\n")
    assert f"{settings.SITE_URL}/events/scaling-laws/register/" in body
    assert f'href="{settings.SITE_URL}/events/scaling-laws/register/"' in html
    assert text_and_html(anonymous)[0].startswith("Hello,\n")
    calendar = calendar_of(english)
    assert calendar["METHOD"] == "PUBLISH"
    component = vevent(calendar)
    assert str(component["UID"]) == services.ical.event_uid(event)
    assert component["SEQUENCE"] == 2
    assert "ATTENDEE" not in component
    rows = OutboxMessage.objects.about(event).filter(kind="invitation")
    assert sorted(rows.values_list("recipient", "revision", "language")) == [
        ("ann@example.org", 2, "en"),
        ("anon@example.org", 2, "en"),
        ("min@example.org", 2, "ko"),
    ]


def test_sending_the_same_invitation_again_reaches_only_the_new_people(smtp_mailer, commit_now):
    event = seminar()
    services.event_invitations_send(event=event, invitees=[services.Invitee(email="ann@example.org")])
    again = [services.Invitee(email="ANN@example.org"), services.Invitee(email="bo@example.org")]
    plan = services.invitation_plan(event=event, pasted=again)
    assert plan.already_invited == frozenset({"ann@example.org"})
    assert [i.email for i in plan.new] == ["bo@example.org"]
    assert services.event_invitations_send(event=event, invitees=again) == 1
    assert smtp_mailer.recipients() == ["ann@example.org", "bo@example.org"]


@pytest.mark.parametrize(
    ("status", "message"),
    [
        ("draft", "Only a published event can be sent as an invitation; “Scaling laws” is draft."),
        ("cancelled", "Only a published event can be sent as an invitation; “Scaling laws” is cancelled."),
    ],
)
def test_invitation_for_an_unpublished_event_is_refused(status, message):
    event = seminar(status=status, cancellation_reason="Ill" if status == "cancelled" else "")
    with pytest.raises(services.InvitationError) as caught:
        services.event_invitations_send(event=event, invitees=[services.Invitee(email="a@example.org")])
    assert caught.value.messages == [message]
    assert OutboxMessage.objects.count() == 0


def test_invitation_for_a_past_event_is_refused():
    event = EventFactory(title="Old", start=timezone.now() - dt.timedelta(hours=2))
    with pytest.raises(services.InvitationError) as caught:
        services.event_invitations_send(event=event, invitees=[services.Invitee(email="a@example.org")])
    assert caught.value.messages == ["“Old” has already started."]


# --- Updates ----------------------------------------------------------------------------------


def test_several_quick_saves_make_one_update_per_registered_person(
    smtp_mailer, commit_now, scheduled, settings
):
    settings.EVENT_UPDATE_DELAY_SECONDS = 300
    event = seminar(sequence=1)
    confirmed = RegistrationFactory(event=event, email="ann@example.org", name="Ann")
    waiting = RegistrationFactory(
        event=event, email="bo@example.org", status="waiting", queued_at=timezone.now()
    )
    RegistrationFactory(event=event, email="gone@example.org", status="cancelled")
    first_save = START - dt.timedelta(days=3)
    with time_machine.travel(first_save, tick=False):
        services.event_update(
            event=event, start=START + dt.timedelta(hours=1), end=START + dt.timedelta(hours=2)
        )
    with time_machine.travel(first_save + dt.timedelta(minutes=1), tick=False):
        services.event_update(event=event, title="Scaling laws, revisited")  # no update of its own
    with time_machine.travel(first_save + dt.timedelta(minutes=2), tick=False):
        services.event_update(
            event=event, start=START + dt.timedelta(hours=2), end=START + dt.timedelta(hours=3)
        )
    # One task, for the due time of the first change not yet told; the later saves keep it.
    assert scheduled == [(event.pk, 300)]
    assert event.sequence == 3
    assert event.update_notice_due_at == first_save + dt.timedelta(seconds=300)
    with time_machine.travel(first_save + dt.timedelta(seconds=300), tick=False):
        for event_id, _countdown in scheduled:  # the task, run when its time comes
            tasks.send_event_update(event_id)
    received = by_recipient(smtp_mailer)
    assert sorted(received) == ["ann@example.org", "bo@example.org"]
    assert smtp_mailer.recipients().count("ann@example.org") == 1
    for registration in (confirmed, waiting):
        calendar = calendar_of(received[registration.email])
        assert calendar["METHOD"] == "REQUEST"
        component = vevent(calendar)
        assert str(component["UID"]) == services.ical.event_uid(event)
        assert component["SEQUENCE"] == 3
        assert component.decoded("DTSTART") == START + dt.timedelta(hours=2)
        assert str(component["ATTENDEE"]) == f"mailto:{registration.email}"
    assert received["ann@example.org"].message["Subject"] == "Changed: Scaling laws, revisited"
    assert (
        received["bo@example.org"]
        .message.get_body(("plain",))
        .get_content()
        .count("You are still on the waiting list")
        == 1
    )
    assert sorted(
        OutboxMessage.objects.about(event).filter(kind="event_update").values_list("recipient", "revision")
    ) == [("ann@example.org", 3), ("bo@example.org", 3)]


def test_a_moved_seminar_update_has_the_same_uid_and_a_higher_sequence(smtp_mailer, commit_now, scheduled):
    event = seminar()
    user = UserFactory(email="min@example.org")
    services.registration_create(event=event, email=user.email, name="Min", user=user)
    first = vevent(calendar_of(smtp_mailer.received[0]))
    services.event_update(
        event=event, start=START + dt.timedelta(days=1), end=START + dt.timedelta(days=1, hours=1)
    )
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=6)):
        tasks.send_event_update(scheduled[0][0])
    update = vevent(calendar_of(smtp_mailer.received[1]))
    assert update["UID"] == first["UID"]
    assert update["SEQUENCE"] > first["SEQUENCE"]
    assert update.decoded("DTSTART") == START + dt.timedelta(days=1)


def test_changes_that_do_not_move_the_event_schedule_no_update(commit_now, scheduled):
    event = seminar()
    services.event_update(event=event, title="New title", abstract="More words")
    other = EventFactory(status="draft", published_at=None)
    services.event_update(event=other, start=START, end=START + dt.timedelta(hours=3))
    assert scheduled == []


def test_update_task_for_a_cancelled_or_past_event_sends_nothing():
    cancelled = seminar(status="cancelled", cancellation_reason="Ill")
    RegistrationFactory(event=cancelled)
    past = EventFactory(start=timezone.now() - dt.timedelta(hours=3))
    RegistrationFactory(event=past)
    assert services.event_update_notices_send(event_id=cancelled.pk) == 0
    assert services.event_update_notices_send(event_id=past.pk) == 0
    assert OutboxMessage.objects.filter(kind="event_update").count() == 0


def test_update_delay_setting_stays_under_the_visibility_timeout(settings):
    assert settings.EVENT_UPDATE_DELAY_SECONDS == 300
    assert (
        settings.EVENT_UPDATE_DELAY_SECONDS
        <= settings.CELERY_MAX_COUNTDOWN
        < settings.CELERY_VISIBILITY_TIMEOUT
    )


# --- Cancellations ----------------------------------------------------------------------------


def test_cancellation_reaches_registered_and_invited_people_once_each(smtp_mailer, commit_now):
    event = seminar(sequence=2)
    RegistrationFactory(event=event, email="ann@example.org", name="Ann")
    RegistrationFactory(event=event, email="bo@example.org", status="waiting", queued_at=timezone.now())
    RegistrationFactory(event=event, email="gone@example.org", status="cancelled")
    services.event_invitations_send(
        event=event,
        invitees=[
            services.Invitee(email="ann@example.org"),
            services.Invitee(email="cy@example.org", language="ko"),
        ],
    )
    invited = len(smtp_mailer.received)
    services.event_cancel(event=event, reason="The speaker is ill.")
    cancellations = smtp_mailer.received[invited:]
    assert sorted(item.rcpt_tos[0] for item in cancellations) == [
        "ann@example.org",
        "bo@example.org",
        "cy@example.org",
    ]
    for item in cancellations:
        calendar = calendar_of(item)
        assert calendar["METHOD"] == "CANCEL"
        component = vevent(calendar)
        assert str(component["UID"]) == services.ical.event_uid(event)
        assert component["SEQUENCE"] == 3
        assert component["STATUS"] == "CANCELLED"
    korean = by_recipient(smtp_mailer)["cy@example.org"]
    assert korean.message["Subject"] == "취소됨: Scaling laws"
    body = plain(by_recipient(smtp_mailer)["ann@example.org"])
    assert "Reason: The speaker is ill." in body


def test_cancellation_names_each_attendee_as_known_and_says_only_what_is_true(smtp_mailer, commit_now):
    """Registered people keep their name and their status; invitees never registered, so nothing is
    ACCEPTED for them, and they are named as their invitation named them, never by their address."""
    event = seminar(sequence=2, capacity=1)
    RegistrationFactory(event=event, email="ann@example.org", name="Ann O'Neil")
    RegistrationFactory(
        event=event, email="bo@example.org", name="Bo", status="waiting", queued_at=timezone.now()
    )
    pasted, invalid = services.invitation_parse_addresses(
        "Cy Lee <cy@example.org>, dee@example.org, Kim Min <min@example.org>"
    )
    assert invalid == []
    ResearcherFactory(name="Min Kim", email="dee@example.org")  # a researcher's name for a bare address
    services.event_invitations_send(
        event=event, invitees=[*pasted, services.Invitee(email="eve@example.org")]
    )
    invited = len(smtp_mailer.received)
    services.event_cancel(event=event, reason="The speaker is ill.")
    attendees = {}
    for item in smtp_mailer.received[invited:]:
        (part,) = [p for p in item.message.iter_attachments() if p.get_content_type() == "text/calendar"]
        assert part["Content-Type"] == 'text/calendar; charset="utf-8"; method="CANCEL"'
        attendee = vevent(Calendar.from_ical(part.get_content()))["ATTENDEE"]
        attendees[str(attendee)] = {
            key: attendee.params[key] for key in ("CN", "PARTSTAT") if key in attendee.params
        }
    assert attendees == {
        "mailto:ann@example.org": {"CN": "Ann O'Neil", "PARTSTAT": "ACCEPTED"},
        "mailto:bo@example.org": {"CN": "Bo", "PARTSTAT": "TENTATIVE"},
        "mailto:cy@example.org": {"CN": "Cy Lee", "PARTSTAT": "NEEDS-ACTION"},
        "mailto:dee@example.org": {"CN": "Min Kim", "PARTSTAT": "NEEDS-ACTION"},
        "mailto:min@example.org": {"CN": "Kim Min", "PARTSTAT": "NEEDS-ACTION"},
        "mailto:eve@example.org": {"PARTSTAT": "NEEDS-ACTION"},
    }
    greetings = {address: plain(item).splitlines()[0] for address, item in by_recipient(smtp_mailer).items()}
    assert (greetings["cy@example.org"], greetings["eve@example.org"]) == ("Dear Cy Lee,", "Hello,")


def test_cancelling_a_draft_sends_nothing(commit_now):
    event = seminar(status="draft", published_at=None)
    services.event_cancel(event=event, reason="Not needed")
    assert OutboxMessage.objects.count() == 0


# --- Reminders --------------------------------------------------------------------------------


def test_reminders_go_24_hours_and_1_hour_before_to_confirmed_people_once(smtp_mailer, commit_now):
    event = seminar()
    RegistrationFactory(event=event, email="ann@example.org", name="Ann")
    RegistrationFactory(event=event, email="bo@example.org", status="waiting", queued_at=timezone.now())
    assert services.event_reminders_send(now=START - dt.timedelta(hours=25)) == 0
    assert services.event_reminders_send(now=START - dt.timedelta(hours=23, minutes=58)) == 1
    assert services.event_reminders_send(now=START - dt.timedelta(hours=23, minutes=55)) == 0
    assert services.event_reminders_send(now=START - dt.timedelta(minutes=59)) == 1
    assert services.event_reminders_send(now=START - dt.timedelta(minutes=50)) == 0
    assert smtp_mailer.recipients() == ["ann@example.org", "ann@example.org"]
    assert sorted(
        OutboxMessage.objects.about(event).filter(recipient="ann@example.org").values_list("kind", "revision")
    ) == [("reminder-1h", int(START.timestamp())), ("reminder-24h", int(START.timestamp()))]
    first, second = smtp_mailer.received
    assert first.message["Subject"] == "Reminder: Scaling laws"
    assert "starts soon: in 24 hours" in plain(first)
    assert "starts soon: in 1 hour\n" in plain(second)


def test_a_reminder_too_late_is_not_sent():
    event = seminar()
    RegistrationFactory(event=event)
    # Published 20 hours before the start: the 24-hour reminder's time is long gone.
    assert services.event_reminders_send(now=START - dt.timedelta(hours=20)) == 0
    assert OutboxMessage.objects.count() == 0


def test_a_moved_event_reminds_again(commit_now, scheduled):
    event = seminar()
    RegistrationFactory(event=event, email="ann@example.org")
    assert services.event_reminders_send(now=START - dt.timedelta(minutes=58)) == 1
    later = START + dt.timedelta(hours=3)
    services.event_update(event=event, start=later, end=later + dt.timedelta(hours=1))
    assert services.event_reminders_send(now=later - dt.timedelta(minutes=58)) == 1
    assert sorted(OutboxMessage.objects.filter(kind="reminder-1h").values_list("revision", flat=True)) == [
        int(START.timestamp()),
        int(later.timestamp()),
    ]


def test_reminder_for_online_attendance_carries_the_personal_join_link(smtp_mailer, commit_now, settings):
    event = seminar(format="hybrid", online_url="https://meet.example.org/abc")
    online = RegistrationFactory(event=event, email="far@example.org", attendance="online")
    RegistrationFactory(event=event, email="near@example.org", attendance="in_person")
    services.event_reminders_send(now=START - dt.timedelta(minutes=58))
    received = by_recipient(smtp_mailer)
    # The token is signed with a timestamp: read it from the mail and check whose it is.
    (token,) = re.findall(
        rf"^{re.escape(settings.SITE_URL)}/registrations/join/([^/\s]+)/$",
        plain(received["far@example.org"]),
        re.M,
    )
    assert services.registration_from_token(token=token, salt=services.JOIN_SALT, max_age=None) == online
    assert "/registrations/join/" not in plain(received["near@example.org"])
    assert "meet.example.org" not in plain(received["near@example.org"])


def test_reminder_kinds_name_the_offset():
    assert services.reminder_kind(dt.timedelta(hours=24)) == "reminder-24h"
    assert services.reminder_kind(dt.timedelta(hours=1)) == "reminder-1h"
    assert services.reminder_kind(dt.timedelta(minutes=90)) == "reminder-90m"


def test_reminders_setting_reads_hours_and_minutes_and_refuses_anything_else(settings):
    from django.core.exceptions import ImproperlyConfigured

    from hubsite.settings import durations

    assert [dt.timedelta(hours=24), dt.timedelta(hours=1)] == settings.EVENT_REMINDERS
    assert durations("X", ["2h", " 15M"]) == [dt.timedelta(hours=2), dt.timedelta(minutes=15)]
    for bad in ("24", "h", "0h", "1d", "-1h"):
        with pytest.raises(ImproperlyConfigured) as caught:
            durations("EVENT_REMINDERS", [bad])
        assert str(caught.value) == f"EVENT_REMINDERS: {bad.lower()!r} is not a duration such as 24h or 30m."


# --- Series announcements ---------------------------------------------------------------------


def test_publishing_an_event_of_a_series_announces_it_to_confirmed_subscribers_once(smtp_mailer, commit_now):
    series = SeriesFactory(title="Deep learning")
    SeriesSubscriptionFactory(series=series, email="yes@example.org")
    SeriesSubscriptionFactory(series=series, email="pending@example.org", confirmed_at=None)
    event = seminar(series=series, status="draft", published_at=None, speakers_tba=True)
    services.event_publish(event=event)
    (item,) = smtp_mailer.received
    assert item.rcpt_tos == ("yes@example.org",)
    assert item.message["Subject"] == "[Deep learning] Scaling laws"
    assert item.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert calendar_of(item)["METHOD"] == "PUBLISH"
    assert OutboxMessage.objects.about(event).filter(kind="series_announcement").count() == 1


def test_members_only_events_are_not_announced(commit_now):
    series = SeriesFactory()
    SeriesSubscriptionFactory(series=series)
    event = seminar(series=series, status="draft", published_at=None, speakers_tba=True, visibility="members")
    services.event_publish(event=event)
    assert OutboxMessage.objects.count() == 0


def test_an_event_created_published_is_announced(commit_now):
    series = SeriesFactory()
    SeriesSubscriptionFactory(series=series, email="yes@example.org")
    event = services.event_create(
        title="Created",
        series=series,
        start=START,
        end=START + dt.timedelta(hours=1),
        room=series.default_room,
        status=Event.Status.PUBLISHED,
        speakers_tba=True,
    )
    assert list(OutboxMessage.objects.about(event).values_list("kind", "recipient")) == [
        ("series_announcement", "yes@example.org")
    ]


def test_event_times_read_naturally_in_both_languages(commit_now):
    event = seminar(title_ko="스케일링 법칙")
    two_days = EventFactory(title="Workshop", start=START, end=START + dt.timedelta(days=1, hours=2))
    invitees = [
        services.Invitee(email="en@example.org"),
        services.Invitee(email="ko@example.org", language="ko"),
    ]
    services.event_invitations_send(event=event, invitees=invitees)
    services.event_invitations_send(event=two_days, invitees=invitees[:1])
    rows = {(m.object_id, m.recipient): m.body_text for m in OutboxMessage.objects.all()}
    assert "\nTuesday 1 July 2031, 14:00–15:00 KST\n" in rows[(event.pk, "en@example.org")]
    assert "\n2031년 7월 1일 (화) 14:00~15:00 KST\n" in rows[(event.pk, "ko@example.org")]
    assert (
        "\nTuesday 1 July 2031, 14:00 – Wednesday 2 July 2031, 16:00 KST\n"
        in rows[(two_days.pk, "en@example.org")]
    )


def test_the_update_is_scheduled_after_commit_and_not_for_a_rolled_back_change(
    django_capture_on_commit_callbacks, scheduled
):
    event = seminar()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        try:
            with transaction.atomic():
                services.event_update(
                    event=event, start=START + dt.timedelta(hours=1), end=START + dt.timedelta(hours=2)
                )
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
    assert callbacks == []
    with django_capture_on_commit_callbacks(execute=True):
        services.event_update(
            event=event, start=START + dt.timedelta(hours=1), end=START + dt.timedelta(hours=2)
        )
    assert scheduled == [(event.pk, 300)]


def test_partner_contacts_without_any_address_are_left_out_and_account_addresses_used():
    event = seminar()
    partner = InstitutionFactory(partnership_status="active")
    partner.contacts.add(
        ResearcherFactory(email=""),
        ResearcherFactory(email="", name="Has account", user=UserFactory(email="Acc@Example.org")),
    )
    assert services.invitation_audience(event=event, audience="partners") == [
        services.Invitee(email="acc@example.org", name="Has account", language="en")
    ]


def test_beat_runs_the_reminder_task_every_five_minutes(settings):
    from hubsite.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["event-reminders"]
    assert entry == {"task": "events.send_reminders", "schedule": 300.0, "options": {"expires": 290}}
    assert dt.timedelta(seconds=entry["schedule"]) < settings.EVENT_REMINDER_WINDOW
    assert "events.send_reminders" in app.tasks
    assert "events.send_event_update" in app.tasks


def test_reminder_task_sends_what_is_due_now(commit_now):
    event = seminar()
    RegistrationFactory(event=event, email="ann@example.org")
    with time_machine.travel(START - dt.timedelta(minutes=57), tick=False):
        assert tasks.send_reminders() == 1
        assert tasks.send_reminders() == 0
    assert list(OutboxMessage.objects.values_list("kind", "recipient")) == [
        ("reminder-1h", "ann@example.org")
    ]
