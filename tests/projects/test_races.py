"""Races on PostgreSQL: two requests at the same moment must not break an invariant."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from projects import services
from projects.models import ProjectMember, ProjectOutput
from tests.factories import ProjectFactory, ResearcherFactory

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

    def add(project, spelling):
        return lambda: services.project_output_add(
            project=project, kind="paper", title=f"Paper of {project.title}", year=2025, doi=spelling
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
    add = lambda: services.project_member_add(project=project, researcher=researcher)  # noqa: E731
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

    race([make_lead, lambda: services.project_member_remove(membership=membership)])
    project.refresh_from_db()
    assert project.memberships.filter(researcher=project.lead, role="lead").count() == 1
