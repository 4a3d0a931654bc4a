"""A guest registered an address first (in another letter case); then its owner registers signed in.

The signed-in person owns the address when it is one of their verified addresses: the guest's
registration becomes theirs, under the event lock, with a clear message (a pending one is confirmed
at once). An address they have not verified proves nothing: the guest's registration stays the
guest's and is never shown as theirs. Never a 400 without a message, never a 500, whichever request
comes first: tested in order, and racing with real concurrent requests on PostgreSQL.
"""

import re
import threading
import uuid

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from events import services
from events.models import Registration
from hubsite.models import OutboxMessage
from tests.factories import EventFactory, RegistrationFactory, RoomFactory, UserFactory

GUEST_ANSWER = "Almost done: we sent a message to min@example.org. Open it for the next step."
CLAIMED = "The registration made earlier with your address is now in your account: you are registered."
_MESSAGES = re.compile(r'<li class="message message-(\w+)">(.*?)</li>', re.S)


@pytest.fixture
def commit_now(monkeypatch):
    monkeypatch.setattr(transaction, "on_commit", lambda callback, using=None, robust=False: callback())


def flash(client, response) -> list[tuple[str, str]]:
    assert response.status_code == 302, response.status_code
    return _MESSAGES.findall(client.get(response["Location"]).content.decode())


def post_as_guest(client, event, email="MIN@Example.ORG"):
    url = reverse("events:register", kwargs={"slug": event.slug})
    return client.post(url, {"name": "Min (guest)", "email": email, "attendance": "in_person"})


def post_signed_in(client, event):
    return client.post(reverse("events:register", kwargs={"slug": event.slug}), {"attendance": "in_person"})


# --- In order ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_owner_of_a_verified_address_takes_over_the_guests_pending_registration(client, commit_now):
    event = EventFactory()
    guest = Client()
    assert flash(guest, post_as_guest(guest, event)) == [("success", GUEST_ANSWER)]
    user = UserFactory(email="min@example.org")
    client.force_login(user)
    page = client.get(reverse("events:register", kwargs={"slug": event.slug})).content.decode()
    assert "Please confirm your registration with the link we sent" in page
    assert "Confirm it now with one click" in page
    assert flash(client, post_signed_in(client, event)) == [("success", CLAIMED)]
    (registration,) = Registration.objects.filter(event=event)
    assert (registration.user, registration.status, registration.email) == (
        user,
        "confirmed",
        "min@example.org",
    )
    assert registration.hold_expires is None
    assert sorted(OutboxMessage.objects.values_list("kind", flat=True)) == [
        "registration_confirm_link",
        "registration_confirmed",
    ]
    page = client.get(reverse("events:register", kwargs={"slug": event.slug})).content.decode()
    assert "You are registered." in page


@pytest.mark.django_db
def test_a_confirmed_guest_registration_joins_the_account_without_a_new_message(client, commit_now):
    event = EventFactory()
    RegistrationFactory(event=event, email="min@example.org", name="Min")
    user = UserFactory(email="Min@Example.org")
    client.force_login(user)
    assert flash(client, post_signed_in(client, event)) == [("success", CLAIMED)]
    assert Registration.objects.get(event=event).user == user
    assert OutboxMessage.objects.count() == 0


@pytest.mark.django_db
def test_a_claimed_pending_registration_waits_when_its_hold_is_gone_and_the_seats_too(client, commit_now):
    event = EventFactory(room=RoomFactory(capacity=1))
    RegistrationFactory(event=event, email="min@example.org", status="pending", confirmed_at=None)
    RegistrationFactory(event=event, email="other@example.org")
    user = UserFactory(email="min@example.org")
    client.force_login(user)
    assert flash(client, post_signed_in(client, event)) == [
        (
            "success",
            "The registration made earlier with your address is now in your account: you are number 1 "
            "on the waiting list.",
        )
    ]
    assert Registration.objects.get(event=event, user=user).status == "waiting"


@pytest.mark.django_db
def test_an_unverified_address_does_not_take_over_and_the_page_says_why(client, commit_now):
    event = EventFactory()
    guest = RegistrationFactory(event=event, email="min@example.org", status="pending", confirmed_at=None)
    user = UserFactory(email="min@example.org", verified=False)
    EmailAddress.objects.create(user=user, email="min@example.org", verified=False, primary=True)
    client.force_login(user)
    page = client.get(reverse("events:register", kwargs={"slug": event.slug})).content.decode()
    assert "Please confirm your registration" not in page  # the guest's registration is not shown as theirs
    response = post_signed_in(client, event)
    assert response.status_code == 400
    assert (
        "This e-mail address is already registered for this event, and your account has not confirmed it: "
        "use the link we sent to the address, or confirm the address in your account first."
    ) in response.content.decode()
    guest.refresh_from_db()
    assert (guest.user_id, guest.status) == (None, "pending")
    assert list(Registration.objects.for_user(user)) == []


@pytest.mark.django_db
def test_my_seminars_shows_guest_registrations_of_verified_addresses_only(client):
    user = UserFactory(email="min@example.org")
    EmailAddress.objects.create(user=user, email="Old@Example.org", verified=True, primary=False)
    EmailAddress.objects.create(user=user, email="unproven@example.org", verified=False, primary=False)
    mine = [
        RegistrationFactory(email="min@example.org"),
        RegistrationFactory(email="old@example.org"),
        RegistrationFactory(email="elsewhere@example.org", user=user),
    ]
    RegistrationFactory(email="unproven@example.org")
    RegistrationFactory(email="min@example.org", user=UserFactory(email="someone@example.org"))
    assert sorted(Registration.objects.for_user(user).values_list("pk", flat=True)) == sorted(
        r.pk for r in mine
    )


@pytest.mark.django_db
def test_cancelling_from_my_seminars_is_decided_under_the_lock(commit_now):
    user = UserFactory(email="min@example.org")
    registration = RegistrationFactory(email="min@example.org")
    other = UserFactory(email="other@example.org")
    with pytest.raises(services.RegistrationError) as caught:
        services.registration_cancel(registration=registration, user=other)
    assert caught.value.messages == ["This registration is not yours."]
    services.registration_cancel(registration=registration, user=user)
    registration.refresh_from_db()
    assert registration.status == "cancelled"


@pytest.mark.django_db
def test_the_owner_first_then_the_guest_leaves_the_registration_with_the_owner(client, commit_now):
    event = EventFactory()
    user = UserFactory(email="min@example.org")
    client.force_login(user)
    assert flash(client, post_signed_in(client, event)) == [
        ("success", "You are registered. We sent the details and a calendar file to min@example.org.")
    ]
    stranger = Client()
    assert flash(stranger, post_as_guest(stranger, event)) == [("success", GUEST_ANSWER)]
    (registration,) = Registration.objects.filter(event=event)
    assert (registration.user, registration.status) == (user, "confirmed")


# --- Racing, on PostgreSQL -------------------------------------------------------------------------


ROUNDS = 10


def _verified_users(count: int) -> list:
    """Accounts with a verified address each, made without password hashing."""
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"race-{n}-{uuid.uuid4().hex[:8]}", email=f"min{n}@example.org")
        for n in range(count)
    )
    EmailAddress.objects.bulk_create(
        EmailAddress(user=user, email=user.email, verified=True, primary=True) for user in users
    )
    return users


def _both_at_once(guest, owner, event, typed) -> list:
    return [lambda: post_as_guest(guest, event, typed), lambda: post_signed_in(owner, event)]


def _race(calls) -> list:
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = call()
        except Exception as error:  # noqa: BLE001 - the outcome is what the test inspects
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_guest_and_the_addresses_owner_registering_at_the_same_moment_end_with_one_registration():
    users = _verified_users(ROUNDS)
    results = []
    for n, user in enumerate(users):
        cache.clear()  # the guest rate limit: each round is a first request
        event = EventFactory(slug=f"race-{n}")
        guest, owner = Client(), Client()
        owner.force_login(user)
        guest_response, owner_response = _race(_both_at_once(guest, owner, event, user.email.upper()))
        assert not isinstance(guest_response, Exception), guest_response
        assert not isinstance(owner_response, Exception), owner_response
        owner_said = flash(owner, owner_response)
        guest_said = flash(guest, guest_response)
        active = list(Registration.objects.filter(event=event).active())
        results.append((len(active), active[0].user_id == user.pk, active[0].status, guest_said, owner_said))
        assert guest_said == [
            ("success", f"Almost done: we sent a message to {user.email}. Open it for the next step.")
        ]
        assert owner_said in (
            [("success", CLAIMED)],
            [("success", f"You are registered. We sent the details and a calendar file to {user.email}.")],
        )
    assert [(count, owned, status) for count, owned, status, *_said in results] == [
        (1, True, "confirmed")
    ] * ROUNDS
