import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from projects import services
from projects.models import Project, ProjectMember, ProjectOutput
from tests.factories import (
    ProjectFactory,
    ProjectMemberFactory,
    ProjectOutputFactory,
    ResearcherFactory,
    StaffFactory,
    ThemeFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return StaffFactory()


def test_project_create_makes_the_lead_a_member_with_the_role_lead():
    lead = ResearcherFactory(is_hub_member=True)
    theme = ThemeFactory()
    project = services.project_create(title="Scaling", slug="scaling", lead=lead, themes=[theme])
    assert list(project.memberships.values_list("researcher", "role")) == [(lead.pk, "lead")]
    assert list(project.themes.all()) == [theme]


def test_project_create_refuses_a_lead_who_is_not_a_hub_member():
    lead = ResearcherFactory(is_hub_member=False, name="Ann Other")
    with pytest.raises(ValidationError) as error:
        services.project_create(title="Scaling", slug="scaling", lead=lead)
    assert error.value.message_dict == {
        "lead": ["Ann Other is not a hub member; only hub members can lead a project."]
    }
    assert Project.objects.count() == 0


def test_project_create_refuses_an_end_before_the_start():
    lead = ResearcherFactory(is_hub_member=True)
    with pytest.raises(ValidationError) as error:
        services.project_create(
            title="Scaling",
            slug="scaling",
            lead=lead,
            start_date=dt.date(2026, 5, 1),
            end_date=dt.date(2026, 4, 30),
        )
    assert error.value.messages == ["A project cannot end before it starts."]


def test_project_end_before_start_is_refused_by_the_database_too():
    project = ProjectFactory(start_date=dt.date(2026, 5, 1))
    project.end_date = dt.date(2026, 4, 30)
    with pytest.raises(IntegrityError):
        project.save()


def test_project_update_changes_texts_and_themes(staff):
    project = ProjectFactory()
    theme = ThemeFactory()
    updated = services.project_update(
        by=staff, project=project, changes={"summary": "New **summary**"}, themes=[theme]
    )
    project.refresh_from_db()
    assert project.summary == "New **summary**"
    assert list(updated.themes.all()) == [theme]


def test_project_update_refuses_fields_leads_may_not_change(staff):
    project = ProjectFactory()
    with pytest.raises(ValueError, match="is_public"):
        services.project_update(by=staff, project=project, changes={"is_public": False})


def test_project_member_add_refuses_the_same_researcher_twice(staff):
    member = ProjectMemberFactory(researcher__name="Bo Kim")
    with pytest.raises(ValidationError) as error:
        services.project_member_add(by=staff, project=member.project, researcher=member.researcher)
    assert error.value.message_dict == {"researcher": ["Bo Kim is already a member of this project."]}


def test_project_member_add_as_lead_needs_a_hub_member(staff):
    project = ProjectFactory()
    outsider = ResearcherFactory(is_hub_member=False, name="Ann Other")
    with pytest.raises(ValidationError) as error:
        services.project_member_add(
            by=staff, project=project, researcher=outsider, role=ProjectMember.Role.LEAD
        )
    assert error.value.message_dict == {
        "role": ["Ann Other is not a hub member; only hub members can lead a project."]
    }


def test_project_member_remove_refuses_the_lead(staff):
    project = ProjectFactory()
    lead_membership = project.memberships.get(researcher=project.lead)
    with pytest.raises(ValidationError) as error:
        services.project_member_remove(by=staff, membership=lead_membership)
    assert error.value.messages == ["The project lead cannot be removed; staff can name another lead first."]
    assert project.memberships.count() == 1


def test_project_member_change_role_refuses_to_demote_the_lead(staff):
    project = ProjectFactory()
    lead_membership = project.memberships.get(researcher=project.lead)
    with pytest.raises(ValidationError) as error:
        services.project_member_change_role(
            by=staff, membership=lead_membership, role=ProjectMember.Role.MEMBER
        )
    assert error.value.message_dict == {
        "role": ["The project lead keeps the role “Lead”; staff can name another lead."]
    }


def test_project_member_remove_deletes_an_ordinary_member(staff):
    member = ProjectMemberFactory()
    services.project_member_remove(by=staff, membership=member)
    assert list(member.project.memberships.values_list("researcher", flat=True)) == [member.project.lead_id]


def test_project_lead_sync_makes_a_new_lead_a_lead_member():
    project = ProjectFactory()
    new_lead = ResearcherFactory(is_hub_member=True)
    ProjectMemberFactory(project=project, researcher=new_lead, role=ProjectMember.Role.MEMBER)
    project.lead = new_lead
    project.save()
    services.project_lead_sync(project=project)
    assert project.memberships.get(researcher=new_lead).role == "lead"


def test_project_output_add_normalises_the_doi_and_arxiv_id(staff):
    project = ProjectFactory()
    output = services.project_output_add(
        by=staff,
        project=project,
        kind="paper",
        title="A paper",
        year=2025,
        doi="https://doi.org/10.1000/ABC",
        arxiv_id="arXiv:2101.00001v2",
    )
    assert (output.doi, output.arxiv_id) == ("10.1000/abc", "2101.00001v2")


def test_project_output_add_refuses_a_doi_already_recorded_naming_the_project(staff):
    ProjectOutputFactory(doi="10.1000/abc", project__title="Scaling Korean")
    other = ProjectFactory()
    with pytest.raises(ValidationError) as error:
        services.project_output_add(
            by=staff, project=other, kind="paper", title="Again", year=2025, doi="DOI:10.1000/ABC"
        )
    assert error.value.message_dict == {
        "doi": ["This DOI is already recorded for the project “Scaling Korean”."]
    }
    assert ProjectOutput.objects.count() == 1


def test_project_output_update_keeps_its_own_doi(staff):
    output = ProjectOutputFactory(doi="10.1000/abc")
    updated = services.project_output_update(by=staff, output=output, title="Renamed", doi="10.1000/ABC")
    assert (updated.title, updated.doi) == ("Renamed", "10.1000/abc")


def test_project_output_add_refuses_a_malformed_doi_and_arxiv_id(staff):
    project = ProjectFactory()
    with pytest.raises(ValidationError) as error:
        services.project_output_add(
            by=staff, project=project, kind="paper", title="x", year=2025, doi="1000/abc", arxiv_id="21.1"
        )
    assert sorted(error.value.message_dict) == ["arxiv_id", "doi"]


def test_same_doi_in_another_case_is_refused_by_the_database():
    ProjectOutputFactory(doi="10.1000/abc")
    with pytest.raises(IntegrityError):
        ProjectOutputFactory(doi="10.1000/ABC")


def test_output_year_outside_a_sane_range_is_refused_by_the_database():
    with pytest.raises(IntegrityError):
        ProjectOutputFactory(year=1800)
