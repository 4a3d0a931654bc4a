import datetime as dt
import re

import pytest
import time_machine
from django.core import mail, signing
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from events import services
from events.models import Event, Registration
from hubsite.models import OutboxMessage
from tests.factories import EventFactory, RegistrationFactory, RoomFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    """The messages sent. Inside a test's transaction nothing commits, so after-commit sends run at once
    (tests/hubsite/test_outbox.py checks that they really wait for the commit)."""
    from django.db import transaction

    monkeypatch.setattr(transaction, "on_commit", lambda callback, using=None, robust=False: callback())
    return mail.outbox


def register_user(event, user=None, **kwargs):
    user = user or UserFactory()
    return services.registration_create(event=event, email=user.email, name="Member", user=user, **kwargs)


def register_guest(event, email="guest@example.org", name="Guest", **kwargs):
    return services.registration_create(event=event, email=email, name=name, **kwargs)


def link_in(message, name):
    pattern = {"confirm": r"/registrations/confirm/([^/\s]+)/", "cancel": r"/registrations/cancel/([^/\s]+)/"}
    return re.search(pattern[name], message.body).group(1)


def ics_of(message):
    (part,) = message.attachments
    assert part.get_content_type() == "text/calendar"
    calendar = Calendar.from_ical(part.get_content())
    assert part.get_param("method") == str(calendar["METHOD"])
    return calendar


# --- Signed-in people -----------------------------------------------------------------------


def test_signed_in_person_is_confirmed_at_once_with_an_invitation(sent, settings):
    settings.DEFAULT_FROM_EMAIL = "Hub <seminars@hub.example.org>"
    event = EventFactory(sequence=4)
    user = UserFactory(email="Min@Example.org")
    registration = register_user(event, user)
    assert registration.status == Registration.Status.CONFIRMED
    assert registration.email == "min@example.org"
    (message,) = sent
    assert message.to == ["min@example.org"]
    assert message.subject == f"You are registered: {event.title}"
    calendar = ics_of(message)
    assert str(calendar["METHOD"]) == "REQUEST"
    vevent = calendar.events[0]
    assert str(vevent["UID"]) == f"{event.calendar_uid}@127.0.0.1"
    assert vevent["SEQUENCE"] == 4
    assert str(vevent["ATTENDEE"]) == "mailto:min@example.org"
    assert str(vevent["ORGANIZER"]) == "mailto:seminars@hub.example.org"
    assert "/registrations/cancel/" in message.body


def test_a_guest_registering_an_address_again_in_any_case_changes_nothing_and_writes_to_it(sent):
    event = EventFactory()
    first = register_guest(event, email="ann@example.org")
    soon = register_guest(event, email="ann@example.org")  # within ten minutes: no second message
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=11)):
        later = register_guest(event, email="  ANN@Example.ORG ")
    assert first.pk == soon.pk == later.pk
    assert Registration.objects.count() == 1
    assert sorted(
        OutboxMessage.objects.filter(recipient="ann@example.org").values_list("kind", "revision")
    ) == [("registration_confirm_link", 0), ("registration_confirm_link", 1)]


def test_database_refuses_a_second_active_registration_even_without_the_service():
    registration = RegistrationFactory(email="bob@example.org")
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        RegistrationFactory(event=registration.event, email="bob@example.org")


def test_a_cancelled_registration_does_not_block_registering_again(sent):
    event = EventFactory()
    first = register_user(event, UserFactory(email="c@example.org"))
    services.registration_cancel(registration=first)
    second = register_guest(event, email="c@example.org")
    assert second.status == Registration.Status.PENDING


@pytest.mark.parametrize(
    ("changes", "code", "message"),
    [
        ({"status": "draft"}, "draft", "This event is not published, so it does not take registrations."),
        (
            {"status": "cancelled", "cancellation_reason": "Ill"},
            "cancelled",
            "This event has been cancelled.",
        ),
        ({"start": "past"}, "past", "This event has already started or is over."),
        ({"registration_closes": "past"}, "closed", "Registration for this event is closed."),
    ],
)
def test_registration_is_refused_for_events_that_do_not_take_it(changes, code, message):
    now = timezone.now()
    values = dict(changes)
    if values.get("start") == "past":
        values["start"] = now - dt.timedelta(hours=2)
        values["end"] = now + dt.timedelta(hours=1)
    if values.get("registration_closes") == "past":
        values["registration_closes"] = now - dt.timedelta(minutes=1)
    event = EventFactory(**values)
    with pytest.raises(services.RegistrationError) as error:
        register_guest(event)
    assert (error.value.code, error.value.messages) == (code, [message])


def test_registration_before_it_opens_says_when_it_opens(settings):
    opens = timezone.now() + dt.timedelta(days=1)
    event = EventFactory(registration_opens=opens)
    with pytest.raises(services.RegistrationError) as error:
        register_guest(event)
    assert error.value.code == "not_open"
    assert error.value.messages[0].startswith("Registration opens on ")


def test_registration_closes_at_the_start_by_default():
    event = EventFactory()
    assert services.registration_closes_at(event) == event.start
    with (
        time_machine.travel(event.start + dt.timedelta(seconds=1)),
        pytest.raises(services.RegistrationError),
    ):
        register_guest(event)


@pytest.mark.parametrize(
    "email", ["not-an-address", "a@b", "a b@example.org", "", "x@example.org\nBcc: y@z.org"]
)
def test_an_address_that_is_not_one_is_refused(email):
    with pytest.raises(services.RegistrationError) as error:
        register_guest(EventFactory(), email=email)
    assert error.value.code == "email"
    assert error.value.messages[0].endswith("is not a valid e-mail address.")


def test_members_only_events_need_a_sign_in():
    event = EventFactory(visibility=Event.Visibility.MEMBERS)
    with pytest.raises(services.RegistrationError) as error:
        register_guest(event)
    assert error.value.messages == ["This event is for members: please sign in to register."]


# --- Seats, waiting list, promotion ------------------------------------------------------------


def test_seats_never_exceed_the_rooms_capacity():
    event = EventFactory(capacity=50, room=RoomFactory(capacity=2))
    assert services.seat_limit(event=event, attendance="in_person") == 2


def test_when_seats_are_gone_people_wait_in_order_with_their_position(sent):
    event = EventFactory(capacity=1)
    first = register_user(event)
    second = register_user(event)
    third = register_user(event)
    assert [r.status for r in (first, second, third)] == ["confirmed", "waiting", "waiting"]
    positions = dict(Registration.objects.with_position().values_list("pk", "position"))
    assert positions == {first.pk: None, second.pk: 1, third.pk: 2}
    assert sent[1].subject == f"You are on the waiting list: {event.title}"
    assert "Your position: 1." in sent[1].body
    assert "Your position: 2." in sent[2].body


def test_a_cancellation_promotes_the_first_in_line_at_once_and_tells_them(sent):
    event = EventFactory(capacity=1)
    first = register_user(event)
    second = register_user(event, UserFactory(email="second@example.org"))
    third = register_user(event)
    promoted = services.registration_cancel(registration=first)
    assert [r.pk for r in promoted] == [second.pk]
    second.refresh_from_db()
    third.refresh_from_db()
    assert (second.status, third.status) == ("confirmed", "waiting")
    assert Registration.objects.with_position().get(pk=third.pk).position == 1
    promotion = [m for m in sent if m.subject.startswith("A seat is free for you")]
    assert [m.to for m in promotion] == [["second@example.org"]]
    assert str(ics_of(promotion[0])["METHOD"]) == "REQUEST"
    cancel_mail = [m for m in sent if m.subject.startswith("Registration cancelled")]
    assert str(ics_of(cancel_mail[0])["METHOD"]) == "CANCEL"


def test_online_attendance_is_counted_apart_with_its_own_cap():
    event = EventFactory(format=Event.Format.HYBRID, capacity=1, online_capacity=1)
    in_person = register_user(event, attendance="in_person")
    online = register_user(event, attendance="online")
    late = register_user(event, attendance="online")
    assert (in_person.status, online.status, late.status) == ("confirmed", "confirmed", "waiting")


def test_online_without_a_cap_never_waits():
    event = EventFactory(format=Event.Format.ONLINE, room=None)
    statuses = {register_user(event).status for _ in range(5)}
    assert statuses == {"confirmed"}


def test_an_in_person_seat_cannot_be_taken_at_an_online_event():
    event = EventFactory(format=Event.Format.ONLINE)
    with pytest.raises(services.RegistrationError) as error:
        register_user(event, attendance="in_person")
    assert error.value.messages == ["This event cannot be attended that way."]


def test_staff_promote_needs_a_free_seat_then_works_out_of_turn(sent):
    event = EventFactory(capacity=1)
    register_user(event)
    first_waiting = register_user(event)
    second_waiting = register_user(event)
    with pytest.raises(services.RegistrationError) as error:
        services.registration_promote(registration=second_waiting)
    assert error.value.messages == ["There is no free seat: raise the capacity first."]
    Event.objects.filter(pk=event.pk).update(capacity=2)
    services.registration_promote(registration=second_waiting)
    second_waiting.refresh_from_db()
    first_waiting.refresh_from_db()
    assert (second_waiting.status, first_waiting.status) == ("confirmed", "waiting")


def test_check_in_only_for_confirmed_people():
    event = EventFactory(capacity=1)
    confirmed = register_user(event)
    waiting = register_user(event)
    assert services.registration_check_in(registration=confirmed).checked_in_at is not None
    with pytest.raises(services.RegistrationError):
        services.registration_check_in(registration=waiting)


# --- Guests: confirmation link and seat hold ----------------------------------------------------


def test_guest_gets_a_link_and_a_seat_held_for_thirty_minutes(sent):
    event = EventFactory(capacity=1)
    now = timezone.now()
    registration = register_guest(event, now=now)
    assert registration.status == Registration.Status.PENDING
    assert registration.hold_expires == now + dt.timedelta(minutes=30)
    (message,) = sent
    assert message.subject == f"Please confirm your registration: {event.title}"
    assert "We are holding a seat for you for 30 minutes." in message.body
    assert ics_of(message).events[0]["ATTENDEE"].params["PARTSTAT"] == "NEEDS-ACTION"
    # The held seat counts: a member now waits.
    assert register_user(event).status == Registration.Status.WAITING


def test_guest_confirmation_link_confirms_once_and_refuses_the_second_use(sent):
    event = EventFactory(capacity=5)
    register_guest(event)
    token = link_in(sent[0], "confirm")
    registration = services.registration_confirm_email(token=token)
    assert registration.status == Registration.Status.CONFIRMED
    with pytest.raises(services.RegistrationError) as error:
        services.registration_confirm_email(token=token)
    assert (error.value.code, error.value.messages) == (
        "used",
        ["This confirmation link has already been used."],
    )


def test_guest_who_confirms_after_the_hold_lost_the_seat_joins_the_waiting_list(sent):
    event = EventFactory(capacity=1)
    register_guest(event, email="slow@example.org")
    token = link_in(sent[0], "confirm")
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=31)):
        member = register_user(event)
        assert member.status == Registration.Status.CONFIRMED
        registration = services.registration_confirm_email(token=token)
    assert registration.status == Registration.Status.WAITING


def test_expired_holds_are_given_to_those_waiting_by_the_sweep(sent):
    event = EventFactory(capacity=1)
    register_guest(event)
    waiting = register_user(event)
    assert waiting.status == Registration.Status.WAITING
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=31)):
        assert services.registration_fill_all_free_seats() == 1
    waiting.refresh_from_db()
    assert waiting.status == Registration.Status.CONFIRMED


def test_a_confirmation_link_older_than_a_day_has_expired(sent):
    register_guest(EventFactory(start=timezone.now() + dt.timedelta(days=5)))
    token = link_in(sent[0], "confirm")
    with (
        time_machine.travel(timezone.now() + dt.timedelta(hours=25)),
        pytest.raises(services.RegistrationError) as e,
    ):
        services.registration_confirm_email(token=token)
    assert (e.value.code, e.value.messages) == ("expired", ["This link has expired."])


# --- Cancel links --------------------------------------------------------------------------------


def test_cancel_link_in_every_mail_cancels(sent):
    event = EventFactory()
    register_user(event)
    token = link_in(sent[0], "cancel")
    registration = services.registration_cancel_by_token(token=token)
    assert registration.status == Registration.Status.CANCELLED


def test_a_forged_cancel_link_is_refused():
    registration = RegistrationFactory()
    forged = signing.dumps(registration.pk, salt="another.salt")
    with pytest.raises(services.RegistrationError) as error:
        services.registration_cancel_by_token(token=forged)
    assert error.value.code == "forged"
    assert error.value.messages == ["This link is not valid. Please use the link from your e-mail."]
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CONFIRMED


def test_an_expired_cancel_link_is_refused():
    registration = RegistrationFactory(event__start=timezone.now() + dt.timedelta(days=600))
    token = services.registration_cancel_token(registration)
    with (
        time_machine.travel(timezone.now() + dt.timedelta(days=401)),
        pytest.raises(services.RegistrationError) as e,
    ):
        services.registration_cancel_by_token(token=token)
    assert e.value.code == "expired"


def test_cancelling_twice_says_it_is_already_cancelled(sent):
    registration = register_user(EventFactory())
    services.registration_cancel(registration=registration)
    with pytest.raises(services.RegistrationError) as error:
        services.registration_cancel(registration=registration)
    assert error.value.messages == ["This registration is already cancelled."]


# --- Online link ---------------------------------------------------------------------------------


def test_online_link_is_shown_only_to_confirmed_people_from_an_hour_before():
    event = EventFactory(format=Event.Format.ONLINE, online_url="https://meet.example.org/abc")
    registration = register_user(event)
    assert registration.online_link_visible(event.start - dt.timedelta(minutes=61)) is False
    assert registration.online_link_visible(event.start - dt.timedelta(minutes=59)) is True
    waiting = RegistrationFactory(
        event=event, status="waiting", queued_at=timezone.now(), attendance="online"
    )
    assert waiting.online_link_visible(event.start) is False


def test_join_link_redirects_only_inside_the_window(client, sent):
    event = EventFactory(format=Event.Format.ONLINE, online_url="https://meet.example.org/abc")
    register_user(event, UserFactory(email="o@example.org"))
    join_path = re.search(r"/registrations/join/[^/\s]+/", sent[0].body).group(0)
    early = client.get(join_path)
    assert early.status_code == 403
    assert b"meet.example.org" not in early.content
    with time_machine.travel(event.start - dt.timedelta(minutes=30)):
        response = client.get(join_path)
    assert (response.status_code, response["Location"]) == (302, "https://meet.example.org/abc")


# --- Pages ---------------------------------------------------------------------------------------


def test_guest_journey_full_event_waiting_position_promotion_and_mail(client, settings, tmp_path, sent):
    """As a guest would: a full event, the waiting position, a cancellation, the mail file."""
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(tmp_path / "mail")},
        }
    }
    event = EventFactory(capacity=1)
    seated = RegistrationFactory(event=event)
    page = reverse("events:register", kwargs={"slug": event.slug})
    assert "full, you can join the waiting list" in client.get(page).content.decode()
    response = client.post(
        page, {"name": "Guest One", "email": "guest1@example.org", "attendance": "in_person"}
    )
    assert response.status_code == 302
    message = OutboxMessage.objects.get(kind="registration_confirm_link")
    confirm_path = re.search(r"/registrations/confirm/[^/\s]+/", message.body_text).group(0)
    assert client.get(confirm_path).status_code == 200
    response = client.post(confirm_path)
    assert "You are number 1 on the waiting list" in response.content.decode()
    services.registration_cancel(registration=seated)
    guest = Registration.objects.get(email="guest1@example.org")
    assert guest.status == Registration.Status.CONFIRMED
    promotion = OutboxMessage.objects.get(kind="registration_promoted", recipient="guest1@example.org")
    assert promotion.status == OutboxMessage.Status.SENT
    files = sorted((tmp_path / "mail").glob("*.log"))
    contents = "\n".join(path.read_text() for path in files)
    assert f"Subject: A seat is free for you: {event.title}" in contents
    assert "BEGIN:VCALENDAR" in contents or "QkVHSU46VkNBTEVOREFS" in contents


def test_register_page_shows_a_clear_error_for_a_bad_address(client):
    event = EventFactory()
    response = client.post(
        reverse("events:register", kwargs={"slug": event.slug}),
        {"name": "X", "email": "nope", "attendance": "in_person"},
    )
    assert response.status_code == 400
    assert "Enter a valid e-mail address, such as name@example.org." in response.content.decode()


def test_register_page_tells_a_signed_in_person_they_are_already_registered(client, sent):
    event = EventFactory()
    user = UserFactory(email="dup@example.org")
    register_user(event, user)
    client.force_login(user)
    response = client.post(
        reverse("events:register", kwargs={"slug": event.slug}), {"attendance": "in_person"}
    )
    assert response.status_code == 400
    assert (
        '<div role="alert"><ul class="errorlist nonfield"><li>You are already registered for this event.</li>'
        in (response.content.decode())
    )


def test_register_page_404_for_a_draft(client):
    event = EventFactory(status="draft")
    assert client.get(reverse("events:register", kwargs={"slug": event.slug})).status_code == 404


def test_signed_in_one_click_registration(client):
    user = UserFactory()
    client.force_login(user)
    event = EventFactory()
    response = client.post(
        reverse("events:register", kwargs={"slug": event.slug}), {"attendance": "in_person"}
    )
    assert response.status_code == 302
    assert Registration.objects.get().user == user
    page = client.get(reverse("events:register", kwargs={"slug": event.slug})).content.decode()
    assert "You are registered." in page


def test_guest_registrations_are_rate_limited(client):
    event = EventFactory()
    url = reverse("events:register", kwargs={"slug": event.slug})
    for n in range(10):
        client.post(url, {"name": "G", "email": f"g{n}@example.org", "attendance": "in_person"})
    response = client.post(url, {"name": "G", "email": "g10@example.org", "attendance": "in_person"})
    assert "Too many registrations from your network" in response.content.decode()
    assert Registration.objects.count() == 10


def test_cancel_link_page_asks_before_cancelling(client, sent):
    registration = register_user(EventFactory())
    path = reverse(
        "events:registration_cancel", kwargs={"token": services.registration_cancel_token(registration)}
    )
    assert client.get(path).status_code == 200
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CONFIRMED
    assert client.post(path).status_code == 200
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CANCELLED
    again = client.post(path)
    assert again.status_code == 409
    assert "This registration is already cancelled." in again.content.decode()


def test_a_forged_cancel_link_page_says_so(client):
    response = client.get(reverse("events:registration_cancel", kwargs={"token": "abc:def"}))
    assert response.status_code == 400
    assert "This link is not valid." in response.content.decode()


def test_confirm_link_page_used_twice_says_so(client, sent):
    register_guest(EventFactory())
    path = reverse("events:registration_confirm", kwargs={"token": link_in(sent[0], "confirm")})
    assert client.post(path).status_code == 200
    second = client.get(path)
    assert second.status_code == 409
    assert "This confirmation link has already been used." in second.content.decode()


def test_my_seminars_lists_registrations_with_position_and_cancel(client, sent):
    user = UserFactory()
    client.force_login(user)
    full = EventFactory(capacity=1, title="Full talk")
    register_user(full)
    register_user(full, user)
    open_event = EventFactory(title="Open talk")
    mine = register_user(open_event, user)
    page = client.get(reverse("events:my_seminars")).content.decode()
    assert "Waiting list: number 1" in page
    assert "Open talk" in page
    assert "/calendar/" in page
    response = client.post(reverse("events:my_registration_cancel", kwargs={"pk": mine.pk}))
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.status == Registration.Status.CANCELLED


def test_my_seminars_cannot_cancel_someone_elses_registration(client):
    client.force_login(UserFactory())
    other = RegistrationFactory()
    response = client.post(reverse("events:my_registration_cancel", kwargs={"pk": other.pk}))
    assert response.status_code == 404


def test_my_seminars_needs_sign_in(client):
    response = client.get(reverse("events:my_seminars"))
    assert response.status_code == 302


@pytest.mark.parametrize("rows", [1, 12])
def test_my_seminars_query_count_is_the_same_for_one_and_many(client, django_assert_num_queries, rows):
    user = UserFactory()
    for _ in range(rows):
        event = EventFactory(capacity=1)
        RegistrationFactory(event=event, email=f"someone-else-{event.pk}@example.org")
        RegistrationFactory(
            event=event, user=user, email=user.email, status="waiting", queued_at=timezone.now()
        )
        RegistrationFactory(
            event=EventFactory(start=timezone.now() - dt.timedelta(days=3)), user=user, email=user.email
        )
    services.personal_calendar_get(user=user)
    client.force_login(user)
    with django_assert_num_queries(4):
        response = client.get(reverse("events:my_seminars"))
    assert response.content.decode().count("Waiting list: number 1") == rows


def test_register_page_in_korean(client):
    event = EventFactory()
    client.cookies["django_language"] = "ko"
    page = client.get(
        reverse("events:register", kwargs={"slug": event.slug}), HTTP_ACCEPT_LANGUAGE="ko"
    ).content
    assert "등록하기" in page.decode()


@pytest.mark.parametrize("others", [1, 15])
def test_register_page_query_count_is_the_same_for_few_and_many_registrations(
    client, django_assert_num_queries, others
):
    user = UserFactory()
    event = EventFactory(format=Event.Format.HYBRID, capacity=100, online_capacity=100)
    for _ in range(others):
        RegistrationFactory(event=event)
    RegistrationFactory(event=event, user=user, email=user.email)
    client.force_login(user)
    # The user, the event, their registration, and one seat count per way of attending.
    with django_assert_num_queries(5):
        response = client.get(reverse("events:register", kwargs={"slug": event.slug}))
    assert "You are registered." in response.content.decode()


def test_register_page_shows_the_online_link_only_to_the_registered_from_an_hour_before(client):
    user = UserFactory()
    event = EventFactory(format=Event.Format.ONLINE, online_url="https://meet.example.org/secret")
    url = reverse("events:register", kwargs={"slug": event.slug})
    RegistrationFactory(event=event, user=user, email=user.email, attendance="online")
    with time_machine.travel(event.start - dt.timedelta(minutes=30)):
        assert b"meet.example.org/secret" not in client.get(url).content
        client.force_login(user)
        assert b"meet.example.org/secret" in client.get(url).content
    assert b"meet.example.org/secret" not in client.get(url).content


def test_a_guest_who_never_confirmed_can_register_again_after_a_day(sent):
    event = EventFactory(start=timezone.now() + dt.timedelta(days=5))
    first = register_guest(event, email="late@example.org")
    with time_machine.travel(timezone.now() + dt.timedelta(hours=25)):
        second = register_guest(event, email="late@example.org")
    first.refresh_from_db()
    assert (first.status, second.status) == ("expired", "pending")
