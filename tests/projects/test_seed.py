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
    seminars = {p.slug: sorted(p.events.values_list("slug", flat=True)) for p in Project.objects.all()}
    assert seminars == {
        "compute-optimal-korean-llms": ["demo-1", "demo-2", "demo-5"],
        "cross-embodiment-policies": ["demo-3", "demo-4"],
        "multilingual-eval": [],
    }
    paper = ProjectOutput.objects.get(title="Repeating tokens: how many epochs are worth it?")
    html = client.get("/projects/compute-optimal-korean-llms/").content.decode()
    assert "Sarah Chen" in html
    assert "Amélie Tremblay" not in html  # a visiting member who is not listed publicly
    assert f"doi:10.5555/demo.{paper.year}.0042" in html
