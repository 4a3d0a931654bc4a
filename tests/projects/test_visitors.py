"""A project's visitors, read through `project.visits` under the privacy rule."""

import datetime as dt

import pytest
from django.utils import timezone

from projects.views import project_visitors
from researchers.privacy import PeopleShown
from tests.factories import ProjectFactory, ResearcherFactory, UserFactory, VisitFactory

pytestmark = pytest.mark.django_db


def stay(project, researcher, status, first, last):
    today = timezone.localdate()
    return VisitFactory(
        project=project,
        researcher=researcher,
        host=project.lead,
        status=status,
        first_day=today + dt.timedelta(days=first),
        last_day=today + dt.timedelta(days=last),
    )


@pytest.fixture
def project():
    return ProjectFactory(title="Scaling")


def test_project_visitors_now_and_before_name_listed_people_and_count_the_rest(project):
    ada = ResearcherFactory(name="Ada Listed")
    bo = ResearcherFactory(name="Bo Quiet", listed_publicly=False)
    cy = ResearcherFactory(name="Cy Listed")
    stay(project, ada, "checked_in", -1, 3)
    stay(project, bo, "approved", 0, 0)
    stay(project, ada, "completed", -50, -40)
    stay(project, cy, "completed", -20, -10)
    stay(project, bo, "completed", -30, -25)
    stay(project, ResearcherFactory(name="Di Future"), "approved", 5, 9)  # neither now nor before
    stay(project, ResearcherFactory(name="Ed Declined"), "declined", -9, -5)  # never counted
    VisitFactory(researcher=ResearcherFactory(name="Fay Elsewhere"), status="completed")  # no project
    now, before = project_visitors(project)
    assert now == PeopleShown(named=[ada], unnamed_count=1)
    assert before == PeopleShown(named=[cy, ada], unnamed_count=1)


def test_project_page_shows_its_visitors_under_the_privacy_rule(client, project):
    stay(project, ResearcherFactory(name="Ada Listed"), "checked_in", -1, 3)
    stay(project, ResearcherFactory(name="Bo Quiet", listed_publicly=False), "completed", -9, -5)
    html = " ".join(client.get(f"/projects/{project.slug}/").content.decode().split())
    assert '<h2 id="visitors-heading">Visitors</h2>' in html
    assert '<span class="person-name">Ada Listed</span>' in html
    assert "Bo Quiet" not in html
    assert "1 person, not listed publicly." in html


def test_project_page_without_visitors_says_so(client, project):
    html = client.get(f"/projects/{project.slug}/").content.decode()
    assert "<p>No visitors at the moment.</p>" in html
    assert "<p>No past visitors.</p>" in html


def test_a_private_projects_visitors_are_on_no_public_page(client):
    private = ProjectFactory(is_public=False)
    stay(private, ResearcherFactory(name="Ada Listed"), "checked_in", -1, 3)
    assert client.get(f"/projects/{private.slug}/").status_code == 404
    client.force_login(UserFactory())
    assert client.get(f"/projects/{private.slug}/").status_code == 404
