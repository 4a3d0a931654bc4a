"""CSRF is enforced on every endpoint: a POST without the token is refused before any view runs."""

import pytest
from django.test import Client

from tests.factories import PASSWORD, UserFactory

from .roles import ANONYMOUS, STAFF, STAFF_WITHOUT_MFA, client_for_role, clone_client
from .url_expectations import expectation_for, path_for
from .urls import all_routes

pytestmark = pytest.mark.django_db

# The only endpoints a POST without a CSRF token may reach, each on purpose. Their lines in
# url_expectations.py carry the same reason; test_csrf_exemptions_are_exactly_the_known_ones keeps
# the two lists equal, so a new exemption cannot slip in unnoticed.
CSRF_EXEMPT_BY_DESIGN = {
    # Health probes are answered by a middleware before CSRF runs, and change nothing.
    "healthz/live",
    "healthz/ready",
    # RFC 8058 one-click unsubscribe: the reader's mail provider POSTs "List-Unsubscribe=One-Click"
    # to the link in the List-Unsubscribe header, with no session and no token. The unguessable
    # token in the path is the authority, and the only thing it can do is stop mail.
    "subscriptions/unsubscribe/<str:token>/",
}


@pytest.mark.parametrize("role", [ANONYMOUS, STAFF_WITHOUT_MFA, STAFF])
def test_every_post_without_a_csrf_token_is_refused(role):
    signed_in_client, _user = client_for_role(role)
    accepted = []
    for route in all_routes():
        expect = expectation_for(route)
        if expect is None or route in CSRF_EXEMPT_BY_DESIGN:
            continue  # no line: reported by the matrix; exempt by design: tested below
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


def test_csrf_exemptions_are_exactly_the_known_ones():
    declared = set()
    for route in all_routes():
        expect = expectation_for(route)
        if expect is not None and expect.csrf_exempt:
            declared.add(route)
    assert declared == CSRF_EXEMPT_BY_DESIGN


def test_one_click_unsubscribe_works_without_a_session_or_csrf_token():
    """The exemption above is needed: a mail provider's one-click POST has neither."""
    from tests.factories import SeriesSubscriptionFactory

    subscription = SeriesSubscriptionFactory()
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        f"/subscriptions/unsubscribe/{subscription.token}/", {"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    subscription.refresh_from_db()
    assert subscription.unsubscribed_at is not None


def test_confirming_a_subscription_still_needs_the_csrf_token():
    """Only unsubscribing is exempt: confirming (which starts mail) is protected like any form."""
    from tests.factories import SeriesSubscriptionFactory

    subscription = SeriesSubscriptionFactory(confirmed_at=None)
    response = Client(enforce_csrf_checks=True).post(f"/subscriptions/confirm/{subscription.token}/")
    assert response.status_code == 403
    subscription.refresh_from_db()
    assert subscription.confirmed_at is None
