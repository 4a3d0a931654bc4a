"""CSRF is enforced on every endpoint: a POST without the token is refused before any view runs."""

import pytest
from django.test import Client

from tests.factories import PASSWORD, UserFactory

from .roles import ANONYMOUS, STAFF, client_for_role, clone_client
from .url_expectations import expectation_for, path_for
from .urls import all_routes

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", [ANONYMOUS, STAFF])
def test_every_post_without_a_csrf_token_is_refused(role):
    signed_in_client, _user = client_for_role(role)
    accepted = []
    for route in all_routes():
        expect = expectation_for(route)
        if expect is None or expect.csrf_exempt:
            continue
        path = path_for(route, expect)
        client = clone_client(signed_in_client, enforce_csrf_checks=True)
        response = client.post(path, {"email": "someone@example.org", "login": "x", "language": "ko"})
        if response.status_code != 403:
            accepted.append(f"{route!r} POST {path} as {role}: {response.status_code}")
    assert accepted == [], "POST without a CSRF token was not refused:\n" + "\n".join(accepted)


def test_a_post_with_the_csrf_token_is_accepted():
    """The control: the same kind of POST succeeds with the token, so the 403s above mean CSRF."""
    client = Client(enforce_csrf_checks=True)
    client.get("/")
    token = client.cookies["csrftoken"].value
    response = client.post("/i18n/setlang/", {"language": "ko", "next": "/", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_sign_in_without_the_csrf_token_does_not_sign_in():
    user = UserFactory()
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session
