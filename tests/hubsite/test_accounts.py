import re

import pytest
from django.core import mail

from tests.factories import PASSWORD, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_sign_up_requires_verifying_the_email_before_signing_in(client):
    response = client.post(
        "/accounts/signup/", {"email": "newcomer@example.org", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/confirm-email/[^\s]+)", mail.outbox[0].body).group(1)

    client.logout()
    refused = client.post("/accounts/login/", {"login": "newcomer@example.org", "password": PASSWORD})
    assert refused.status_code == 302
    assert refused["Location"] == "/accounts/confirm-email/"

    confirm = client.post(link)
    assert confirm.status_code == 302
    signed_in = client.post("/accounts/login/", {"login": "newcomer@example.org", "password": PASSWORD})
    assert signed_in.status_code == 302
    assert client.get("/").context["user"].email == "newcomer@example.org"


def test_sign_out_needs_a_post(client):
    user = UserFactory()
    client.force_login(user)
    page = client.get("/accounts/logout/")
    assert page.status_code == 200
    assert page.context["user"].is_authenticated
    client.post("/accounts/logout/")
    assert not client.get("/").context["user"].is_authenticated


def test_password_reset_does_not_reveal_whether_an_address_has_an_account(client):
    UserFactory(email="known@example.org")
    known = client.post("/accounts/password/reset/", {"email": "known@example.org"})
    unknown = client.post("/accounts/password/reset/", {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert [m.to for m in mail.outbox] == [["known@example.org"], ["nobody@example.org"]]


def test_admin_login_goes_through_allauth(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"


def test_too_many_failed_sign_ins_are_rate_limited(client):
    UserFactory(email="target@example.org")
    errors = []
    for _ in range(6):
        response = client.post("/accounts/login/", {"login": "target@example.org", "password": "wrong"})
        errors.append(response.context["form"].non_field_errors()[0])
    assert errors[:5] == ["The email address and/or password you specified are not correct."] * 5
    assert errors[5] == "Too many failed login attempts. Try again later."
    # Even the right password is refused while the limit holds.
    response = client.post("/accounts/login/", {"login": "target@example.org", "password": PASSWORD})
    assert response.status_code == 200
    assert not response.context["user"].is_authenticated


def test_allauth_pages_use_the_site_layout(client):
    html = client.get("/accounts/login/").content.decode()
    assert '<a class="skip-link" href="#main">' in html


def test_staff_user_factory_is_staff():
    assert StaffFactory().is_staff
