import pytest

from projects.models import Project, ProjectMember, ProjectOutput
from tests.factories import (
    ProjectFactory,
    ProjectMemberFactory,
    ProjectOutputFactory,
    ProjectPartnerFactory,
    ResearcherFactory,
    StaffFactory,
    ThemeFactory,
)
from tests.signin import force_login_with_mfa

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    force_login_with_mfa(client, StaffFactory())
    return client


def inline_management(prefix, total=0):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def project_post(lead, **overrides):
    data = {
        "title": "Robot policies",
        "title_ko": "",
        "slug": "robot-policies",
        "lead": str(lead.pk),
        "status": "active",
        "is_public": "on",
        "summary": "",
        "start_date": "",
        "end_date": "",
        "website": "",
        "repository_url": "",
        **inline_management("memberships"),
        **inline_management("partner_links"),
        **inline_management("outputs"),
    }
    data.update(overrides)
    return data


def test_admin_creates_a_project_and_makes_its_lead_a_lead_member(staff_client):
    lead = ResearcherFactory(is_hub_member=True)
    response = staff_client.post("/admin/projects/project/add/", project_post(lead))
    assert response.status_code == 302
    project = Project.objects.get(slug="robot-policies")
    assert list(project.memberships.values_list("researcher", "role")) == [(lead.pk, "lead")]


def test_admin_refuses_a_lead_who_is_not_a_hub_member(staff_client):
    lead = ResearcherFactory(is_hub_member=False, name="Ann Other")
    response = staff_client.post("/admin/projects/project/add/", project_post(lead))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "lead": ["Ann Other is not a hub member; only hub members can lead a project."]
    }


def test_admin_refuses_an_end_before_the_start(staff_client):
    lead = ResearcherFactory(is_hub_member=True)
    response = staff_client.post(
        "/admin/projects/project/add/", project_post(lead, start_date="2026-05-01", end_date="2026-01-01")
    )
    assert response.context["adminform"].form.errors == {
        "end_date": ["A project cannot end before it starts."]
    }


def test_admin_output_inline_normalises_the_doi_and_refuses_a_duplicate(staff_client):
    ProjectOutputFactory(doi="10.1000/taken", project__title="First project")
    lead = ResearcherFactory(is_hub_member=True)
    outputs = {
        **inline_management("outputs", total=1),
        "outputs-0-kind": "paper",
        "outputs-0-title": "Paper",
        "outputs-0-year": "2025",
        "outputs-0-doi": "https://doi.org/10.1000/TAKEN",
    }
    response = staff_client.post("/admin/projects/project/add/", project_post(lead, **outputs))
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][2].formset
    assert formset.errors == [{"doi": ["This DOI is already recorded for the project “First project”."]}]
    outputs["outputs-0-doi"] = "https://doi.org/10.1000/NEW"
    response = staff_client.post("/admin/projects/project/add/", project_post(lead, **outputs))
    assert response.status_code == 302
    assert ProjectOutput.objects.get(title="Paper").doi == "10.1000/new"


def test_admin_member_inline_refuses_a_co_lead_who_is_not_a_hub_member(staff_client):
    lead = ResearcherFactory(is_hub_member=True)
    outsider = ResearcherFactory(is_hub_member=False, name="Ann Other")
    members = {
        **inline_management("memberships", total=1),
        "memberships-0-researcher": str(outsider.pk),
        "memberships-0-role": "lead",
    }
    response = staff_client.post("/admin/projects/project/add/", project_post(lead, **members))
    assert response.status_code == 200
    assert response.context["inline_admin_formsets"][0].formset.errors == [
        {"role": ["Only hub members can be a lead of a project; choose another role for Ann Other."]}
    ]
    assert Project.objects.count() == 0


def test_admin_output_page_refuses_a_doi_already_recorded(staff_client):
    ProjectOutputFactory(doi="10.1000/taken", project__title="First project")
    other = ProjectFactory()
    response = staff_client.post(
        "/admin/projects/projectoutput/add/",
        {
            "project": str(other.pk),
            "kind": "paper",
            "title": "Again",
            "year": "2025",
            "doi": "doi:10.1000/TAKEN",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "doi": ["This DOI is already recorded for the project “First project”."]
    }


@pytest.mark.parametrize("count", [1, 10])
def test_admin_project_changelist_query_count_is_constant(staff_client, django_assert_num_queries, count):
    theme = ThemeFactory()
    for _ in range(count):
        project = ProjectFactory()
        project.themes.add(theme)
        ProjectMemberFactory(project=project)
        ProjectPartnerFactory(project=project)
        ProjectOutputFactory(project=project)
    # session, user, staff MFA check, count, filtered count, rows, theme filter choices, date hierarchy years
    with django_assert_num_queries(8):
        response = staff_client.get("/admin/projects/project/")
    assert response.status_code == 200
    row = response.context["cl"].result_list[0]
    assert (row._member_count, row._output_count) == (2, 1)


@pytest.mark.parametrize("count", [1, 10])
def test_admin_output_changelist_query_count_is_constant(staff_client, django_assert_num_queries, count):
    ProjectOutputFactory.create_batch(count)
    # session, user, staff MFA check, count, filtered count, rows (with their project)
    with django_assert_num_queries(6):
        assert staff_client.get("/admin/projects/projectoutput/").status_code == 200


def test_admin_project_change_page_renders_with_inlines(staff_client):
    project = ProjectFactory()
    ProjectMemberFactory(project=project, role=ProjectMember.Role.INDUSTRY_LIAISON)
    ProjectPartnerFactory(project=project)
    ProjectOutputFactory(project=project)
    response = staff_client.get(f"/admin/projects/project/{project.pk}/change/")
    assert response.status_code == 200
    assert [f.formset.prefix for f in response.context["inline_admin_formsets"]] == [
        "memberships",
        "partner_links",
        "outputs",
    ]


def test_admin_search_finds_a_project_by_lead_name(staff_client):
    ProjectFactory(title="Found", lead__name="Unique Lead Name")
    ProjectFactory(title="Not found")
    response = staff_client.get("/admin/projects/project/?q=Unique+Lead")
    assert [p.title for p in response.context["cl"].result_list] == ["Found"]
