"""Project leads edit their own project from the site, without admin rights."""

import pytest
from django.utils import timezone

from projects.models import ProjectMember, ProjectOutput
from tests.factories import (
    ProjectFactory,
    ProjectMemberFactory,
    ProjectOutputFactory,
    ResearcherFactory,
    StaffFactory,
    ThemeFactory,
    UserFactory,
)
from tests.signin import force_login_with_mfa

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead_user():
    return UserFactory()


@pytest.fixture
def project(lead_user):
    return ProjectFactory(title="Scaling Korean", lead__user=lead_user, lead__name="Ji-won Park")


def edit_urls(project, membership_pk, output_pk):
    base = f"/projects/{project.slug}/edit/"
    return [
        ("get", base),
        ("get", base + "members/"),
        ("post", base + "members/"),
        ("post", f"{base}members/{membership_pk}/"),
        ("post", f"{base}members/{membership_pk}/remove/"),
        ("get", base + "outputs/"),
        ("get", f"{base}outputs/{output_pk}/"),
        ("get", f"{base}outputs/{output_pk}/delete/"),
        ("post", f"{base}outputs/{output_pk}/delete/"),
    ]


def test_lead_adds_a_member_and_a_paper_with_a_doi_and_sees_both_on_the_public_page(
    client, project, lead_user
):
    newcomer = ResearcherFactory(name="Sarah Chen")
    client.force_login(lead_user)
    response = client.post(
        f"/projects/{project.slug}/edit/members/", {"add-researcher": newcomer.pk, "add-role": "visiting"}
    )
    assert response.status_code == 302
    response = client.post(
        f"/projects/{project.slug}/edit/outputs/",
        {
            "kind": "paper",
            "title": "Data-constrained scaling",
            "authors": "Park, J.; Chen, S.",
            "venue": "Demo Conference",
            "year": "2025",
            "doi": "https://doi.org/10.5555/Demo.42",
            "arxiv_id": "",
            "url": "",
        },
    )
    assert response.status_code == 302
    client.logout()
    html = client.get(f"/projects/{project.slug}/").content.decode()
    assert "Sarah Chen" in html
    assert "Data-constrained scaling" in html
    assert "doi:10.5555/demo.42" in html


def test_a_researcher_who_is_not_a_lead_cannot_edit_any_part_of_the_project(client, project):
    member_user = UserFactory()
    membership = ProjectMemberFactory(project=project, researcher__user=member_user)
    output = ProjectOutputFactory(project=project)
    for user in (UserFactory(), ResearcherFactory(user=UserFactory()).user):  # not members
        client.force_login(user)
        for method, url in edit_urls(project, membership.pk, output.pk):
            assert getattr(client, method)(url).status_code == 404, (method, url)
    # A member knows the project exists: they are sent to its page and told why.
    client.force_login(member_user)
    for method, url in edit_urls(project, membership.pk, output.pk):
        response = getattr(client, method)(url, follow=True)
        assert response.redirect_chain == [(f"/projects/{project.slug}/", 302)], (method, url)
        assert [str(m) for m in response.context["messages"]] == [
            "You are not a lead of this project (any more), so you cannot change it."
        ]
    assert ProjectOutput.objects.filter(pk=output.pk).exists()
    assert ProjectMember.objects.filter(pk=membership.pk).exists()


def test_a_signed_out_visitor_is_sent_to_sign_in(client, project):
    response = client.get(f"/projects/{project.slug}/edit/")
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=/projects/{project.slug}/edit/"


def test_a_lead_of_another_project_cannot_edit_this_one(client, project):
    other_lead = UserFactory()
    ProjectFactory(lead__user=other_lead)
    client.force_login(other_lead)
    assert client.get(f"/projects/{project.slug}/edit/").status_code == 404


def test_a_co_lead_and_staff_can_edit(client, project):
    co_lead = UserFactory()
    ProjectMemberFactory(
        project=project, researcher__user=co_lead, researcher__is_hub_member=True, role="lead"
    )
    client.force_login(co_lead)
    assert client.get(f"/projects/{project.slug}/edit/").status_code == 200
    force_login_with_mfa(client, StaffFactory())
    assert client.get(f"/projects/{project.slug}/edit/").status_code == 200


def test_lead_edits_the_summary_themes_and_dates(client, project, lead_user):
    theme = ThemeFactory()
    client.force_login(lead_user)
    response = client.post(
        f"/projects/{project.slug}/edit/",
        {
            "title": "Scaling Korean",
            "title_ko": "한국어 스케일링",
            "summary": "New summary",
            "status": "active",
            "start_date": "2025-01-01",
            "end_date": "2026-12-31",
            "website": "https://example.org/",
            "repository_url": "",
            "themes": [theme.pk],
        },
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.summary, project.title_ko, str(project.end_date)) == (
        "New summary",
        "한국어 스케일링",
        "2026-12-31",
    )
    assert list(project.themes.all()) == [theme]


def test_edit_refuses_an_end_before_the_start(client, project, lead_user):
    client.force_login(lead_user)
    response = client.post(
        f"/projects/{project.slug}/edit/",
        {"title": "Scaling Korean", "status": "active", "start_date": "2026-05-01", "end_date": "2026-04-01"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"end_date": ["A project cannot end before it starts."]}


def test_edit_refuses_a_link_that_is_not_http(client, project, lead_user):
    client.force_login(lead_user)
    response = client.post(
        f"/projects/{project.slug}/edit/",
        {"title": "Scaling Korean", "status": "active", "website": "ftp://example.org/"},
    )
    assert response.context["form"].errors == {
        "website": ["Enter a web address that starts with http:// or https://."]
    }


def output_data(**overrides):
    return {
        "kind": "paper", "title": "A paper", "authors": "", "venue": "", "year": "2025",
        "doi": "", "arxiv_id": "", "url": "", **overrides,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        (
            {"doi": "doi.org/10.1000/abc"},
            {
                "doi": [
                    "A DOI looks like 10.1234/abc.5678: “10.”, the registrant number, a slash and a suffix."
                ]
            },
        ),
        (
            {"arxiv_id": "2101.1"},
            {
                "arxiv_id": [
                    "An arXiv id looks like 2101.00001 (optionally with a version, 2101.00001v2)"
                    " or hep-th/9901001."
                ]
            },
        ),
        ({"year": "1900"}, {"year": [f"Enter a year between 1950 and {timezone.localdate().year + 1}."]}),
        ({"year": "2999"}, {"year": [f"Enter a year between 1950 and {timezone.localdate().year + 1}."]}),
        (
            {"url": "javascript:alert(1)"},
            {"url": ["Enter a web address that starts with http:// or https://."]},
        ),
        (
            {"url": "ftp://example.org/x"},
            {"url": ["Enter a web address that starts with http:// or https://."]},
        ),
    ],
)
def test_output_form_refuses_bad_input_with_a_clear_message(client, project, lead_user, overrides, errors):
    client.force_login(lead_user)
    response = client.post(f"/projects/{project.slug}/edit/outputs/", output_data(**overrides))
    assert response.status_code == 200
    assert response.context["form"].errors == errors
    assert ProjectOutput.objects.count() == 0


def test_output_form_refuses_a_doi_already_recorded_naming_that_project(client, project, lead_user):
    ProjectOutputFactory(doi="10.1000/abc", project__title="Robot policies")
    client.force_login(lead_user)
    response = client.post(f"/projects/{project.slug}/edit/outputs/", output_data(doi="DOI:10.1000/ABC"))
    assert response.context["form"].errors == {
        "doi": ["This DOI is already recorded for the project “Robot policies”."]
    }


def test_lead_edits_and_deletes_an_output(client, project, lead_user):
    output = ProjectOutputFactory(project=project, doi="10.1000/abc", title="Old title")
    client.force_login(lead_user)
    url = f"/projects/{project.slug}/edit/outputs/{output.pk}/"
    assert client.post(url, output_data(title="New title", doi="10.1000/abc")).status_code == 302
    output.refresh_from_db()
    assert output.title == "New title"
    assert client.get(url + "delete/").status_code == 200
    assert client.post(url + "delete/").status_code == 302
    assert ProjectOutput.objects.filter(pk=output.pk).exists() is False


def test_an_output_of_another_project_is_not_found_from_this_one(client, project, lead_user):
    other = ProjectOutputFactory()
    client.force_login(lead_user)
    assert client.get(f"/projects/{project.slug}/edit/outputs/{other.pk}/").status_code == 404


def test_member_form_refuses_a_researcher_already_on_the_project(client, project, lead_user):
    member = ProjectMemberFactory(project=project, researcher__name="Bo Kim")
    client.force_login(lead_user)
    response = client.post(
        f"/projects/{project.slug}/edit/members/",
        {"add-researcher": member.researcher.pk, "add-role": "member"},
    )
    assert response.context["add_form"].errors == {
        "researcher": ["Bo Kim is already a member of this project."]
    }


def test_member_form_refuses_a_co_lead_who_is_not_a_hub_member(client, project, lead_user):
    outsider = ResearcherFactory(name="Ann Other", is_hub_member=False)
    client.force_login(lead_user)
    response = client.post(
        f"/projects/{project.slug}/edit/members/", {"add-researcher": outsider.pk, "add-role": "lead"}
    )
    assert response.context["add_form"].errors == {
        "role": ["Only hub members can be a lead of a project; choose another role for Ann Other."]
    }


def test_lead_changes_a_role_and_removes_a_member(client, project, lead_user):
    member = ProjectMemberFactory(project=project)
    client.force_login(lead_user)
    base = f"/projects/{project.slug}/edit/members/{member.pk}/"
    assert client.post(base, {f"member-{member.pk}-role": "industry"}).status_code == 302
    member.refresh_from_db()
    assert member.role == "industry"
    assert client.post(base + "remove/").status_code == 302
    assert ProjectMember.objects.filter(pk=member.pk).exists() is False


def test_the_lead_cannot_be_demoted_or_removed_from_the_site(client, project, lead_user):
    own = project.memberships.get(researcher=project.lead)
    client.force_login(lead_user)
    base = f"/projects/{project.slug}/edit/members/{own.pk}/"
    assert (
        f'name="member-{own.pk}-role"'
        not in client.get(f"/projects/{project.slug}/edit/members/").content.decode()
    )
    response = client.post(base, {f"member-{own.pk}-role": "member"})  # a crafted request
    assert response.status_code == 200
    assert response.context["rows"][0][1].errors == {
        "role": ["The project lead keeps the role “Lead”; staff can name another lead."]
    }
    response = client.post(base + "remove/", follow=True)
    assert (
        "The project lead cannot be removed; staff can name another lead first." in response.content.decode()
    )
    own.refresh_from_db()
    assert own.role == "lead"


def test_removing_a_member_needs_post(client, project, lead_user):
    member = ProjectMemberFactory(project=project)
    client.force_login(lead_user)
    assert client.get(f"/projects/{project.slug}/edit/members/{member.pk}/remove/").status_code == 405


@pytest.mark.parametrize("count", [1, 8])
def test_edit_pages_query_counts_are_constant(client, django_assert_num_queries, lead_user, project, count):
    for _ in range(count):
        ProjectMemberFactory(project=project)
        ProjectOutputFactory(project=project)
    client.force_login(lead_user)
    base = f"/projects/{project.slug}/edit/"
    # session, user, user.researcher, the editable project, then the page's rows or choices
    for url, queries in [(base, 5), (base + "members/", 5), (base + "outputs/", 4)]:
        with django_assert_num_queries(queries):
            assert client.get(url).status_code == 200
