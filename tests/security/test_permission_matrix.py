"""Every URL pattern × every kind of visitor -> the status declared in url_expectations.py.

The same pass checks the Content-Security-Policy of every HTML page it sees.
"""

import pytest

from .csp import csp_problems
from .roles import ROLES, client_for_role, clone_client
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


def test_the_people_a_row_belongs_to_get_what_the_matrix_refuses_to_others(client):
    """The controls for the matrix's 404s: the stay's visitor and host, and the project's lead,
    open the pages that the matrix's fresh users (never these people) are refused."""
    from django.test import Client

    from tests.factories import ProjectOutputFactory, UserFactory, VisitFactory

    visit = VisitFactory()
    for person in (visit.researcher.user, visit.host.user):
        own = Client()
        own.force_login(person)
        assert own.get(f"/visits/{visit.pk}/").status_code == 200
        assert own.get(f"/visits/{visit.pk}/stay.ics").status_code == 200
    output = ProjectOutputFactory()
    project = output.project
    lead = project.lead
    lead.user = UserFactory()
    lead.save()
    client.force_login(lead.user)
    for path in ["edit/", "edit/members/", "edit/outputs/", f"edit/outputs/{output.pk}/"]:
        assert client.get(f"/projects/{project.slug}/{path}").status_code == 200, path
