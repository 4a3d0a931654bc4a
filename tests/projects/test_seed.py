import pytest
from django.core.management import call_command

from projects.models import Project, ProjectMember, ProjectOutput, ProjectPartner

pytestmark = pytest.mark.django_db


def counts():
    return [m.objects.count() for m in (Project, ProjectMember, ProjectPartner, ProjectOutput)]


def test_seed_demo_adds_demo_projects_idempotently_and_links_seminars(client):
    call_command("seed_demo")
    first = counts()
    call_command("seed_demo")
    assert counts() == first
    assert first == [3, 8, 6, 5]
    project = Project.objects.get(slug="compute-optimal-korean-llms")
    assert sorted(project.events.values_list("slug", flat=True)) == ["demo-1", "demo-5"]
    html = client.get("/projects/compute-optimal-korean-llms/").content.decode()
    assert "Sarah Chen" in html
    assert "Amélie Tremblay" not in html  # a visiting member who is not listed publicly
    assert "doi:10.5555/demo.2025.0042" in html
