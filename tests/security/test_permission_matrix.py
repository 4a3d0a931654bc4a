"""Every URL pattern × every kind of visitor -> the status declared in url_expectations.py.

The same pass checks the Content-Security-Policy of every HTML page it sees.
"""

from urllib.parse import urlencode

import pytest

from .csp import csp_problems
from .roles import ROLES, STAFF_WITHOUT_MFA, client_for_role, clone_client, current_cast
from .url_expectations import EXPECTATIONS, expectation_for, path_for
from .urls import all_routes

pytestmark = pytest.mark.django_db


def test_every_url_pattern_has_an_expectation():
    missing = [route for route in all_routes() if expectation_for(route) is None]
    lines = [f"    {route!r}: public(),  # or signed_in(), staff_only(), Expect(...)" for route in missing]
    assert missing == [], (
        "URL patterns with no expectation; add a line for each to EXPECTATIONS in "
        "tests/security/url_expectations.py:\n" + "\n".join(lines)
    )


def test_no_expectation_is_left_for_a_pattern_that_is_gone():
    stale = sorted(set(EXPECTATIONS) - set(all_routes()))
    assert stale == [], f"Remove these lines from url_expectations.EXPECTATIONS (no such pattern): {stale}"


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix_every_url_answers_each_role_as_declared(role):
    signed_in_client, _user = client_for_role(role)
    mismatches, csp_failures = [], []
    checked = 0
    for route in all_routes():
        expect = expectation_for(route)
        if expect is None:
            continue  # reported by test_every_url_pattern_has_an_expectation
        path = path_for(route, expect)
        response = clone_client(signed_in_client).get(path)
        checked += 1
        wanted = expect.status_for(role)
        if response.status_code != wanted:
            where = f" -> {response['Location']}" if response.has_header("Location") else ""
            got = f"{response.status_code}{where}"
            mismatches.append(f"{route!r} GET {path} as {role}: expected {wanted}, got {got}")
        csp_failures += [f"{path}: {problem}" for problem in csp_problems(response)]
    assert checked == len(all_routes())
    assert mismatches == [], "Answers that differ from url_expectations.py:\n" + "\n".join(mismatches)
    assert csp_failures == [], "Content-Security-Policy problems:\n" + "\n".join(csp_failures)


def test_staff_without_mfa_are_declared_exactly_as_an_ordinary_signed_in_person_outside_the_admin():
    """The rule in the table: away from the admin (which sends them to set-up) and the pages that
    look at how recently one signed in, staff without MFA get what any signed-in person gets; the
    matrix then checks every one of these answers for real."""
    recent_sign_in = {
        "accounts/2fa/totp/activate/",
        "accounts/2fa/recovery-codes/generate/",
        "profile/delete/",
    }
    differ = [
        route
        for route in all_routes()
        if not route.startswith("admin/")
        and route not in recent_sign_in
        and (expect := expectation_for(route)) is not None
        and expect.staff_without_mfa != expect.user
    ]
    assert differ == []


def test_the_admin_sends_staff_without_mfa_to_the_authenticator_set_up_and_back():
    """Every admin page a staff member without an authenticator opens leads to the set-up, which
    then returns them to that page (their 302 in the matrix is this, not the sign-in)."""
    client, _user = client_for_role(STAFF_WITHOUT_MFA)
    wrong = []
    for route in all_routes():
        expect = expectation_for(route)
        if not route.startswith("admin/") or route == "admin/logout/" or expect is None:
            continue
        path = path_for(route, expect)
        response = clone_client(client).get(path)
        wanted = "/accounts/2fa/totp/activate/?" + urlencode({"next": path})
        if response.status_code != 302 or response["Location"] != wanted:
            wrong.append(f"{path}: {response.status_code} {response.get('Location', '')}")
    assert wrong == []


def test_the_matrix_roles_are_the_people_the_builders_rows_belong_to():
    """The cast owns the rows: the lead leads the projects, the visitor and host are in the stays,
    the registrant holds a seat at the events."""
    from events.models import Registration
    from projects.models import Project
    from visits.models import Visit

    cast = current_cast()
    for route in ["projects/<slug:slug>/edit/", "visits/<int:pk>/", "events/<slug:slug>/event.ics"]:
        path_for(route, expectation_for(route))
    assert list(Project.objects.values_list("lead", flat=True)) == [cast.lead.pk]
    assert list(Visit.objects.values_list("researcher", "host")) == [(cast.visitor.pk, cast.host.pk)]
    assert list(Registration.objects.values_list("user", "status")) == [(cast.registrant.pk, "confirmed")]
