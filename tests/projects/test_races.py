"""Races on PostgreSQL: two requests at the same moment must not break an invariant.

The first tests race the services; the rest send real concurrent requests (tests/concurrent_requests.py),
each race repeated TRIALS times, since a lost race shows only in some of them.
"""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from projects import services
from projects.models import ProjectMember, ProjectOutput
from tests.concurrent_requests import at_once, signed_in_client
from tests.factories import (
    ProjectFactory,
    ProjectMemberFactory,
    ProjectOutputFactory,
    ResearcherFactory,
    StaffFactory,
    UserFactory,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(calls):
    """Run each call in its own thread and connection, all released at once; return outcomes."""
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
        thread.join(timeout=30)
    return outcomes


def test_two_projects_recording_the_same_doi_at_once_keep_one_and_explain_to_the_other():
    first, second = ProjectFactory(title="First"), ProjectFactory(title="Second")

    staff = StaffFactory()

    def add(project, spelling):
        return lambda: services.project_output_add(
            project=project,
            by=staff,
            kind="paper",
            title=f"Paper of {project.title}",
            year=2025,
            doi=spelling,
        )

    outcomes = race([add(first, "10.1000/race"), add(second, "https://doi.org/10.1000/RACE")])
    errors = [o for o in outcomes if isinstance(o, ValidationError)]
    saved = [o for o in outcomes if isinstance(o, ProjectOutput)]
    assert (len(saved), len(errors)) == (1, 1)
    assert errors[0].message_dict == {
        "doi": [f"This DOI is already recorded for the project “{saved[0].project.title}”."]
    }
    assert ProjectOutput.objects.filter(doi="10.1000/race").count() == 1


def test_adding_the_same_member_twice_at_once_records_one_membership():
    project = ProjectFactory()
    researcher = ResearcherFactory(name="Bo Kim")
    staff = StaffFactory()
    add = lambda: services.project_member_add(project=project, by=staff, researcher=researcher)  # noqa: E731
    outcomes = race([add, add])
    errors = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(errors) == 1
    assert errors[0].message_dict == {"researcher": ["Bo Kim is already a member of this project."]}
    assert ProjectMember.objects.filter(project=project, researcher=researcher).count() == 1


def test_removing_a_member_while_the_lead_is_changed_to_them_never_leaves_a_lead_without_membership():
    project = ProjectFactory()
    colleague = ResearcherFactory(is_hub_member=True)
    membership = ProjectMember.objects.create(project=project, researcher=colleague, role="lead")

    def make_lead():
        type(project).objects.filter(pk=project.pk).update(lead=colleague)
        return services.project_lead_sync(project=project)

    staff = StaffFactory()
    race([make_lead, lambda: services.project_member_remove(membership=membership, by=staff)])
    project.refresh_from_db()
    assert project.memberships.filter(researcher=project.lead, role="lead").count() == 1


# --- Real concurrent requests -------------------------------------------------------------

TRIALS = 20
NOT_A_LEAD = "You are not a lead of this project (any more), so you cannot change it."
MEMBER_GONE = "This person is no longer a member of this project."


def _co_lead(project, name):
    user = UserFactory()
    membership = ProjectMemberFactory(
        project=project,
        researcher__user=user,
        researcher__name=name,
        researcher__is_hub_member=True,
        role="lead",
    )
    return membership, user


def _members_url(project, membership, action=""):
    return f"/projects/{project.slug}/edit/members/{membership.pk}/{action}"


def test_a_lead_changing_a_role_while_removing_the_member_in_another_tab_never_gets_a_500():
    for trial in range(TRIALS):
        lead_user = UserFactory()
        project = ProjectFactory(lead__user=lead_user)
        member = ProjectMemberFactory(project=project, researcher__name=f"Bo Kim {trial}")
        change, remove = at_once(
            (
                signed_in_client(lead_user),
                "post",
                _members_url(project, member),
                {f"member-{member.pk}-role": "industry"},
            ),
            (signed_in_client(lead_user), "post", _members_url(project, member, "remove/"), None),
        )
        assert (change.error, remove.error) == (None, None), trial
        assert (change.status, remove.status) == (302, 302), trial
        assert remove.messages == [f"Bo Kim {trial} was removed from the project."], trial
        # Before the removal the change applies; after it, the person is gone, and the page says so.
        assert change.messages in ([f"The role of Bo Kim {trial} was changed."], [MEMBER_GONE]), trial
        assert ProjectMember.objects.filter(pk=member.pk).exists() is False


@pytest.mark.parametrize(
    ("action", "data"),
    [("", lambda m: {f"member-{m.pk}-role": "member"}), ("remove/", lambda m: None)],
    ids=["demote", "remove"],
)
def test_two_co_leads_demoting_or_removing_each_other_at_once_one_wins_and_the_other_is_told(action, data):
    for trial in range(TRIALS):
        project = ProjectFactory()
        first, first_user = _co_lead(project, f"Ada {trial}")
        second, second_user = _co_lead(project, f"Ben {trial}")
        answers = at_once(
            (signed_in_client(first_user), "post", _members_url(project, second, action), data(second)),
            (signed_in_client(second_user), "post", _members_url(project, first, action), data(first)),
        )
        assert [a.error for a in answers] == [None, None], trial
        assert 500 not in [a.status for a in answers], trial
        leads = set(project.memberships.filter(role="lead").values_list("researcher__name", flat=True))
        # The project keeps its lead, and exactly one of the two co-leads is still a co-lead.
        assert project.lead.name in leads
        assert len(leads & {f"Ada {trial}", f"Ben {trial}"}) == 1, (trial, leads)
        winner_index = 0 if f"Ada {trial}" in leads else 1
        winner, loser = answers[winner_index], answers[1 - winner_index]
        done = "was removed from the project." if action else "was changed."
        assert winner.status == 302, trial
        assert len(winner.messages) == 1 and winner.messages[0].endswith(done), (trial, winner.messages)
        if action and loser.status == 404:
            # Removed before its request reached the door: no longer a member, it is a stranger
            # to the project's edit pages, as everyone else is.
            continue
        assert loser.redirect == f"/projects/{project.slug}/", trial
        assert loser.messages == [NOT_A_LEAD], (trial, loser.messages)


def test_an_output_edited_while_deleted_in_another_tab_never_gets_a_500():
    for trial in range(TRIALS):
        lead_user = UserFactory()
        project = ProjectFactory(lead__user=lead_user)
        output = ProjectOutputFactory(project=project, title=f"Paper {trial}")
        base = f"/projects/{project.slug}/edit/outputs/{output.pk}/"
        values = {
            "kind": "paper",
            "title": f"Paper {trial}, revised",
            "authors": "",
            "venue": "",
            "year": "2025",
        }
        edit, delete = at_once(
            (signed_in_client(lead_user), "post", base, values | {"doi": "", "arxiv_id": "", "url": ""}),
            (signed_in_client(lead_user), "post", base + "delete/", None),
        )
        assert (edit.error, delete.error) == (None, None), trial
        assert (edit.status, delete.status) == (302, 302), trial
        assert delete.messages[0].startswith(f"The output “Paper {trial}"), trial
        assert edit.messages in (["The output was saved."], ["This output no longer exists."]), trial
        assert ProjectOutput.objects.filter(pk=output.pk).exists() is False
