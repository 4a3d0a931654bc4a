"""The guest form answers the same whichever the address is; its owner learns the rest by e-mail.

For each state an address can be in (new, registered, on the waiting list, pending its link, a
member's, a member's registered signed in), the same request from a stranger's browser gets the
same status, the same redirect, the same message, the same page afterwards (seat counts included),
and writes exactly one message, to the address (at most one every ten minutes, whoever asks).
Only properties without timing are checked.
"""

import datetime as dt
import re

import pytest
import time_machine
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from events import services
from hubsite.models import OutboxMessage
from tests.factories import EventFactory, RegistrationFactory, RoomFactory, UserFactory

pytestmark = pytest.mark.django_db

ADDRESS = "someone@example.org"
TYPED = "SomeOne@Example.org"
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
_MESSAGES = re.compile(r' ?<div role="status"> <ul class="messages">.*?</ul> </div>', re.S)


def _waiting(event):
    """On the waiting list of a full event: someone else holds the last seat."""
    filler = RegistrationFactory(event=event, email="filler@example.org")
    RegistrationFactory(event=event, email=ADDRESS, status="waiting", queued_at=filler.created)


def _member_registered(event):
    user = UserFactory(email=ADDRESS)
    services.registration_create(event=event, email=ADDRESS, user=user)


STATES = {
    "new": lambda event: None,
    "registered": lambda event: RegistrationFactory(event=event, email=ADDRESS),
    "waiting": lambda event: _waiting(event),
    "pending": lambda event: services.registration_create(event=event, email=ADDRESS, name="Earlier"),
    "a member's address": lambda event: UserFactory(email=ADDRESS),
    "a member registered": _member_registered,
}


class _Undo(Exception):
    pass


def page_text(response) -> str:
    """The page as a reader sees it: this request's CSRF token and white space left aside."""
    text = _CSRF.sub('name="csrfmiddlewaretoken" value=""', response.content.decode())
    return " ".join(text.split())


def what_the_stranger_sees(event, state: str) -> tuple:
    """Set the address's state, post the guest form from a fresh browser, and undo it all."""
    url = reverse("events:register", kwargs={"slug": event.slug})
    seen = None
    try:
        with transaction.atomic():
            with time_machine.travel(timezone.now() - dt.timedelta(hours=1)):
                STATES[state](event)
            cache.clear()  # the rate limit counts per network; each state is a first request
            stranger = Client()
            before = page_text(stranger.get(url))
            rows_before = set(OutboxMessage.objects.values_list("pk", flat=True))
            response = stranger.post(url, {"name": "Some One", "email": TYPED, "attendance": "in_person"})
            after = page_text(stranger.get(response["Location"]))
            new_rows = OutboxMessage.objects.exclude(pk__in=rows_before)
            flash = _MESSAGES.search(after)
            seen = (
                response.status_code,
                response["Location"],
                flash.group(0).strip() if flash else "",
                _MESSAGES.sub("", after) == before,
                sorted(new_rows.values_list("recipient", flat=True)),
            )
            raise _Undo
    except _Undo:
        pass
    return seen


def test_the_guest_form_answers_the_same_whatever_the_address_is():
    # Two seats, one taken by someone else: a held seat would show as a change in the count.
    event = EventFactory(room=RoomFactory(capacity=2))
    RegistrationFactory(event=event, email="other@example.org")
    seen = {state: what_the_stranger_sees(event, state) for state in STATES}
    expected = (
        302,
        reverse("events:register", kwargs={"slug": event.slug}),
        '<div role="status"> <ul class="messages"> <li class="message message-success">'
        f"Almost done: we sent a message to {ADDRESS}. Open it for the next step.</li> </ul> </div>",
        True,
        [ADDRESS],
    )
    assert seen == dict.fromkeys(STATES, expected)


@pytest.mark.parametrize(
    ("state", "kind", "says"),
    [
        ("new", "registration_confirm_link", "Please confirm your registration by opening this link"),
        ("pending", "registration_confirm_link", "Please confirm your registration by opening this link"),
        ("registered", "registration_repeat", "This address is already registered: the seat is confirmed."),
        ("waiting", "registration_repeat", "This address is already on the waiting list, at position 1."),
        ("a member's address", "registration_confirm_link", "Please confirm your registration"),
        ("a member registered", "registration_repeat", "This address is already registered"),
    ],
)
def test_the_address_learns_where_its_registration_stands_by_email(state, kind, says):
    event = EventFactory(room=RoomFactory(capacity=1))
    with time_machine.travel(timezone.now() - dt.timedelta(hours=1)):
        STATES[state](event)
    before = set(OutboxMessage.objects.values_list("pk", flat=True))
    services.registration_create(event=event, email=TYPED, name="Some One")
    (message,) = OutboxMessage.objects.exclude(pk__in=before)
    assert (message.kind, message.recipient) == (kind, ADDRESS)
    assert says in message.body_text


def test_asking_again_never_changes_the_registration(settings):
    event = EventFactory()
    registration = RegistrationFactory(event=event, email=ADDRESS, attendance="in_person", name="Ann")
    for minutes in (0, 5, 11, 12):
        with time_machine.travel(timezone.now() + dt.timedelta(minutes=minutes)):
            services.registration_create(event=event, email=TYPED, name="Mallory")
    registration.refresh_from_db()
    assert (registration.status, registration.name, registration.user_id) == ("confirmed", "Ann", None)
    # One message at most every ten minutes, whoever asks: the form cannot flood the inbox.
    assert sorted(OutboxMessage.objects.filter(recipient=ADDRESS).values_list("kind", "revision")) == [
        ("registration_repeat", 0),
        ("registration_repeat", 1),
    ]
