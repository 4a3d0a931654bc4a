"""allauth's mail is written to the outbox, then sent."""

import datetime as dt

import pytest
import time_machine
from allauth.account.adapter import get_adapter
from allauth.core import context as allauth_context
from django.contrib.sites.models import Site
from django.core import mail
from django.test import RequestFactory
from django.utils import timezone

from hubsite.adapters import OutboxAccountAdapter
from hubsite.models import OutboxMessage
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_the_account_adapter_is_the_outbox_one():
    assert isinstance(get_adapter(), OutboxAccountAdapter)


def test_sign_up_verification_mail_is_an_outbox_row_about_the_user(client):
    client.post(
        "/accounts/signup/", {"email": "new@example.org", "password1": PASSWORD, "password2": PASSWORD}
    )
    row = OutboxMessage.objects.get()
    user = row.about
    assert (row.kind, row.recipient, row.status) == (
        "account.email_confirmation_signup",
        "new@example.org",
        "sent",
    )
    assert user.email == "new@example.org"
    assert row.subject == "[Seoul AI Research Hub] Please Confirm Your Email Address"
    assert "http://testserver/accounts/confirm-email/" in row.body_text
    (sent,) = mail.outbox
    assert sent.extra_headers["Message-ID"] == row.message_id
    assert sent.body == row.body_text


def test_each_password_reset_is_a_new_message_and_a_repeat_of_the_same_is_not(client):
    UserFactory(email="known@example.org")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.post("/accounts/password/reset/", {"email": "known@example.org"})
    with time_machine.travel(start + dt.timedelta(seconds=5), tick=False):
        client.post("/accounts/password/reset/", {"email": "known@example.org"})
    rows = list(OutboxMessage.objects.order_by("pk"))
    assert [row.kind for row in rows] == ["account.password_reset_key"] * 2
    assert rows[0].revision != rows[1].revision
    assert rows[0].body_text != rows[1].body_text  # two different links
    assert [m.to for m in mail.outbox] == [["known@example.org"]] * 2


def send_confirmation(user, key):
    request = RequestFactory().get("/")
    request.user = user
    with allauth_context.request_context(request):
        get_adapter().send_mail(
            "account/email/email_confirmation",
            user.email,
            {"user": user, "key": key, "activate_url": f"http://testserver/accounts/confirm-email/{key}/"},
        )


def test_the_same_key_sent_twice_is_one_message_and_a_new_key_a_new_one():
    user = UserFactory(email="someone@example.org", verified=False)
    send_confirmation(user, "key-1")
    send_confirmation(user, "key-1")
    send_confirmation(user, "key-2")
    assert OutboxMessage.objects.count() == 2
    assert [m.body.count("key-1") for m in mail.outbox] == [1, 0]
    assert [m.body.count("key-2") for m in mail.outbox] == [0, 1]


def test_a_reset_asked_for_an_unknown_address_is_about_the_site(client):
    client.post("/accounts/password/reset/", {"email": "nobody@example.org"})
    row = OutboxMessage.objects.get()
    assert (row.kind, row.about, row.recipient) == (
        "account.unknown_account",
        Site.objects.get_current(),
        "nobody@example.org",
    )
    assert [m.to for m in mail.outbox] == [["nobody@example.org"]]


def test_korean_visitors_get_allauth_mail_in_korean(client):
    client.cookies["django_language"] = "ko"
    client.post("/accounts/password/reset/", {"email": "nobody@example.org"})
    row = OutboxMessage.objects.get()
    assert row.language == "ko"
