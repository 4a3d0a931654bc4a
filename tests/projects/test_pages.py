import datetime as dt

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from events.models import Event
from projects.models import Project
from tests.factories import (
    EventFactory,
    EventSpeakerFactory,
    InstitutionFactory,
    ProjectFactory,
    ProjectMemberFactory,
    ProjectOutputFactory,
    ProjectPartnerFactory,
    ResearcherFactory,
    ThemeFactory,
    UserFactory,
    VisitFactory,
)

pytestmark = pytest.mark.django_db


def names_in(html, names):
    return [name for name in names if name in html]


# --- /projects/ ---------------------------------------------------------------------------


def test_project_list_shows_active_public_projects_with_lead_theme_and_partners(client):
    theme = ThemeFactory(name="Scaling laws")
    project = ProjectFactory(title="Compute-optimal Korean", lead__name="Ji-won Park")
    project.themes.add(theme)
    ProjectPartnerFactory(project=project, institution__name="Inria", institution__short_name="Inria")
    ProjectFactory(title="Hidden collaboration", is_public=False)
    ProjectFactory(title="Finished work", status=Project.Status.COMPLETED)
    html = client.get("/projects/").content.decode()
    assert names_in(html, ["Compute-optimal Korean", "Hidden collaboration", "Finished work"]) == [
        "Compute-optimal Korean"
    ]
    assert "Ji-won Park" in html
    assert "Scaling laws" in html
    assert '<span class="partner-name">Inria</span>' in html


def test_project_list_filters_by_theme_partner_and_status(client):
    theme, partner = ThemeFactory(slug="robots"), InstitutionFactory(slug="mila")
    on_theme = ProjectFactory(title="On theme")
    on_theme.themes.add(theme)
    with_partner = ProjectFactory(title="With partner")
    ProjectPartnerFactory(project=with_partner, institution=partner)
    done = ProjectFactory(title="Done", status=Project.Status.COMPLETED)
    done.themes.add(theme)
    titles = ["On theme", "With partner", "Done"]
    assert names_in(client.get("/projects/?theme=robots").content.decode(), titles) == ["On theme"]
    assert names_in(client.get("/projects/?partner=mila").content.decode(), titles) == ["With partner"]
    assert names_in(client.get("/projects/?status=completed").content.decode(), titles) == ["Done"]
    assert names_in(client.get("/projects/?theme=robots&status=all").content.decode(), titles) == [
        "On theme",
        "Done",
    ]


def test_project_list_with_an_unknown_filter_value_shows_active_projects(client):
    ProjectFactory(title="Still here")
    response = client.get("/projects/?theme=nope")
    assert response.status_code == 200
    assert "Still here" in response.content.decode()


def test_project_list_never_offers_a_private_projects_partner(client):
    hidden = ProjectFactory(is_public=False)
    ProjectPartnerFactory(project=hidden, institution__name="Secret Partner Inc")
    assert "Secret Partner Inc" not in client.get("/projects/").content.decode()


def _many_projects(count):
    themes = [ThemeFactory(), ThemeFactory()]
    for _ in range(count):
        project = ProjectFactory()
        project.themes.set(themes)
        ProjectPartnerFactory(project=project)
        ProjectPartnerFactory(project=project)


@pytest.mark.parametrize("count", [1, 12])
def test_project_list_query_count_is_constant(client, django_assert_num_queries, count):
    _many_projects(count)
    # theme choices, partner choices, count, page, themes, partners
    with django_assert_num_queries(6):
        assert client.get("/projects/").status_code == 200


# --- /projects/<slug>/ ----------------------------------------------------------------------


def test_project_page_names_opt_in_members_and_counts_the_others(client):
    project = ProjectFactory(lead__name="Lead Person")
    ProjectMemberFactory(project=project, researcher__name="Listed Member", role="visiting")
    ProjectMemberFactory(project=project, researcher__name="Quiet Member", researcher__listed_publicly=False)
    ProjectMemberFactory(
        project=project, researcher__name="Gone Member", researcher__anonymised_at=timezone.now()
    )
    html = client.get(f"/projects/{project.slug}/").content.decode()
    assert names_in(html, ["Listed Member", "Quiet Member", "Gone Member"]) == ["Listed Member"]
    assert "and 2 more people who are not listed publicly." in html
    assert "Visiting member" in html


def test_private_project_page_is_not_found_for_the_public_and_other_people(client):
    project = ProjectFactory(is_public=False)
    assert client.get(f"/projects/{project.slug}/").status_code == 404
    client.force_login(UserFactory())
    assert client.get(f"/projects/{project.slug}/").status_code == 404


def test_private_project_page_is_shown_to_its_members_with_a_notice(client):
    project = ProjectFactory(is_public=False)
    user = UserFactory()
    ProjectMemberFactory(project=project, researcher__user=user)
    client.force_login(user)
    response = client.get(f"/projects/{project.slug}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "This project is not public: only its members and hub staff can see this page." in html


def test_project_page_shows_upcoming_and_past_seminars_of_the_project(client):
    project = ProjectFactory()
    EventFactory(project=project, title="Next talk")
    past_start = timezone.now() - dt.timedelta(days=30)
    EventFactory(project=project, title="Old talk", start=past_start, end=past_start + dt.timedelta(hours=1))
    EventFactory(project=project, title="Draft talk", status=Event.Status.DRAFT)
    EventFactory(title="Other project talk")
    response = client.get(f"/projects/{project.slug}/")
    assert [e.title for e in response.context["upcoming"]] == ["Next talk"]
    assert [e.title for e in response.context["past"]] == ["Old talk"]
    assert "Draft talk" not in response.content.decode()


def test_project_page_lists_outputs_newest_first_with_doi_and_arxiv_links(client):
    project = ProjectFactory()
    ProjectOutputFactory(project=project, title="Older", year=2023, doi="10.1000/old")
    ProjectOutputFactory(project=project, title="Newer", year=2025, arxiv_id="2501.00001")
    response = client.get(f"/projects/{project.slug}/")
    html = response.content.decode()
    assert [o.title for o in response.context["outputs"]] == ["Newer", "Older"]
    assert '<a href="https://doi.org/10.1000/old" rel="noopener">doi:10.1000/old</a>' in html
    assert '<a href="https://arxiv.org/abs/2501.00001" rel="noopener">arXiv:2501.00001</a>' in html


def test_project_page_hides_partners_that_are_not_public(client):
    project = ProjectFactory()
    ProjectPartnerFactory(project=project, institution__name="Open University")
    ProjectPartnerFactory(project=project, institution__name="Unlisted Lab", institution__is_public=False)
    html = client.get(f"/projects/{project.slug}/").content.decode()
    assert names_in(html, ["Open University", "Unlisted Lab"]) == ["Open University"]


def test_project_page_summary_markdown_is_sanitised(client):
    project = ProjectFactory(summary="**bold** <script>alert(1)</script>")
    html = client.get(f"/projects/{project.slug}/").content.decode()
    assert "<strong>bold</strong>" in html
    assert "<script>alert(1)</script>" not in html


def test_project_page_offers_the_edit_link_to_its_lead_only(client):
    user = UserFactory()
    project = ProjectFactory(lead__user=user)
    url = f"/projects/{project.slug}/"
    assert "Edit this project" not in client.get(url).content.decode()
    client.force_login(user)
    assert "Edit this project" in client.get(url).content.decode()


def _populated_project(count):
    project = ProjectFactory()
    project.themes.add(ThemeFactory())
    for index in range(count):
        ProjectMemberFactory(project=project, researcher__listed_publicly=index % 2 == 0)
        ProjectPartnerFactory(project=project)
        ProjectOutputFactory(project=project)
        EventSpeakerFactory(event=EventFactory(project=project))
        past = timezone.now() - dt.timedelta(days=10 + index)
        EventSpeakerFactory(event=EventFactory(project=project, start=past, end=past + dt.timedelta(hours=1)))
        today = timezone.localdate()
        VisitFactory(project=project, status="approved", first_day=today, last_day=today)
        VisitFactory(
            project=project,
            status="completed",
            first_day=today - dt.timedelta(days=9 + index),
            last_day=today - dt.timedelta(days=2),
        )
    return project


@pytest.mark.parametrize("count", [1, 8])
def test_project_page_query_count_is_constant(client, django_assert_num_queries, count):
    project = _populated_project(count)
    # project, memberships, themes, partners, outputs, 2 x (seminars, speakers, speaker researchers),
    # visitors now and before
    with django_assert_num_queries(13):
        assert client.get(f"/projects/{project.slug}/").status_code == 200


# --- /themes/ and /themes/<slug>/ ---------------------------------------------------------------


def test_theme_page_lists_projects_seminars_public_researchers_and_partners(client):
    theme = ThemeFactory(slug="scaling", name="Scaling laws")
    project = ProjectFactory(title="Theme project")
    project.themes.add(theme)
    ProjectPartnerFactory(project=project, institution__name="Partner From Project")
    hidden = ProjectFactory(title="Private theme project", is_public=False)
    hidden.themes.add(theme)
    ProjectPartnerFactory(project=hidden, institution__name="Partner Of Private")
    ProjectFactory(title="Other theme project")
    EventFactory(title="Theme seminar").themes.add(theme)
    EventFactory(title="Other seminar")
    listed = ResearcherFactory(name="Listed Researcher", institution__name="Home Of Listed")
    quiet = ResearcherFactory(
        name="Quiet Researcher", listed_publicly=False, institution__name="Home Of Quiet"
    )
    theme.researchers.add(listed, quiet)
    html = client.get("/themes/scaling/").content.decode()
    shown = names_in(
        html,
        [
            "Theme project", "Private theme project", "Other theme project", "Theme seminar", "Other seminar",
            "Listed Researcher", "Quiet Researcher", "Partner From Project", "Partner Of Private",
            "Home Of Listed", "Home Of Quiet",
        ],
    )  # fmt: skip
    assert shown == [
        "Theme project",
        "Theme seminar",
        "Listed Researcher",
        "Partner From Project",
        "Home Of Listed",
    ]


def test_theme_page_links_its_own_calendar_feed(client):
    ThemeFactory(slug="robotics-foundation-models")
    html = client.get("/themes/robotics-foundation-models/").content.decode()
    assert 'href="/events/calendar.ics?theme=robotics-foundation-models"' in html
    assert '<link rel="alternate" type="text/calendar"' in html


def test_unknown_theme_is_not_found(client):
    assert client.get("/themes/nope/").status_code == 404


def _populated_theme(count):
    theme = ThemeFactory()
    for _ in range(count):
        project = ProjectFactory()
        project.themes.add(theme)
        ProjectPartnerFactory(project=project)
        EventSpeakerFactory(event=EventFactory()).event.themes.add(theme)
        theme.researchers.add(ResearcherFactory())
    return theme


@pytest.mark.parametrize("count", [1, 8])
def test_theme_page_query_count_is_constant(client, django_assert_num_queries, count):
    theme = _populated_theme(count)
    # theme, projects, their themes, their partners, seminars, speakers, speaker researchers,
    # researchers, partners
    with django_assert_num_queries(9):
        assert client.get(f"/themes/{theme.slug}/").status_code == 200


def test_theme_list_counts_public_projects(client):
    theme = ThemeFactory(name="Robots")
    ProjectFactory().themes.add(theme)
    ProjectFactory(is_public=False).themes.add(theme)
    response = client.get("/themes/")
    assert [(t.name, t.project_count) for t in response.context["themes"]] == [("Robots", 1)]
    assert "1 project" in response.content.decode()


@pytest.mark.parametrize("count", [1, 8])
def test_theme_list_query_count_is_constant(client, django_assert_num_queries, count):
    for _ in range(count):
        ProjectFactory().themes.add(ThemeFactory())
    with django_assert_num_queries(1):
        assert client.get("/themes/").status_code == 200


# --- helpers for partner and researcher pages ----------------------------------------------------


def test_queryset_helpers_for_institution_researcher_and_member():
    partner = InstitutionFactory()
    researcher = ResearcherFactory()
    mine = ProjectFactory()
    ProjectPartnerFactory(project=mine, institution=partner)
    ProjectMemberFactory(project=mine, researcher=researcher)
    led = ProjectFactory(lead=ResearcherFactory(is_hub_member=True), lead_membership=False)
    hidden = ProjectFactory(is_public=False)
    ProjectPartnerFactory(project=hidden, institution=partner)
    ProjectMemberFactory(project=hidden, researcher=researcher)
    ProjectFactory()
    assert list(Project.objects.public().for_institution(partner)) == [mine]
    assert list(Project.objects.public().for_researcher(researcher)) == [mine]
    assert sorted(p.pk for p in Project.objects.for_member(researcher)) == sorted([mine.pk, hidden.pk])
    assert list(Project.objects.for_member(led.lead)) == [led]


def test_project_list_include_renders_cards_for_a_partner_page(django_assert_num_queries):
    partner = InstitutionFactory()
    for title in ("Alpha", "Beta"):
        ProjectPartnerFactory(project=ProjectFactory(title=title), institution=partner)
    projects = Project.objects.public().for_institution(partner).ordered_for_listing().with_listing_data()
    with django_assert_num_queries(3):
        html = render_to_string("projects/includes/project_list.html", {"projects": projects})
    assert names_in(html, ["Alpha", "Beta"]) == ["Alpha", "Beta"]
    assert html.count('<li class="card project-card">') == 2


def test_a_lead_who_is_not_listed_publicly_is_not_named_on_public_pages(client):
    theme = ThemeFactory(slug="quiet")
    project = ProjectFactory(title="Quiet project", lead__name="Quiet Lead", lead__listed_publicly=False)
    project.themes.add(theme)
    for url in ("/projects/", f"/projects/{project.slug}/", "/themes/quiet/"):
        html = client.get(url).content.decode()
        assert "Quiet project" in html, url
        assert "Quiet Lead" not in html, url
    assert "1 person, not listed publicly." in client.get(f"/projects/{project.slug}/").content.decode()


def test_a_member_of_a_private_project_is_not_shown_through_any_public_page(client):
    theme = ThemeFactory(slug="secret-theme")
    hidden = ProjectFactory(title="Private work", is_public=False, lead__name="Private Lead")
    hidden.themes.add(theme)
    ProjectMemberFactory(project=hidden, researcher__name="Private Member")
    for url in ("/projects/", "/projects/?status=all", "/themes/secret-theme/", f"/projects/{hidden.slug}/"):
        html = client.get(url).content.decode()
        assert names_in(html, ["Private work", "Private Lead", "Private Member"]) == [], url


def test_project_list_status_select_shows_active_when_no_status_is_chosen(client):
    html = client.get("/projects/").content.decode()
    options = html[html.index('<select name="status"') :]
    assert (
        options.index('value="active"')
        < options.index('value="completed"')
        < options.index('value="proposed"')
    )


def test_project_page_in_korean_shows_the_korean_title_and_headings(client):
    project = ProjectFactory(title="Scaling Korean", title_ko="한국어 스케일링")
    html = client.get(f"/projects/{project.slug}/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "<h1>한국어 스케일링</h1>" in html
    assert '<h2 id="members-heading">구성원</h2>' in html
    assert '<span class="project-status project-status-active">진행 중</span>' in html


def test_project_list_paginates_and_keeps_the_filters_in_page_links(client):
    theme = ThemeFactory(slug="big")
    for index in range(25):
        ProjectFactory(title=f"Project number {index:02d}").themes.add(theme)
    response = client.get("/projects/?theme=big")
    html = response.content.decode()
    assert len(response.context["projects"].object_list) == 24
    assert '<a href="?theme=big&amp;page=2" rel="next">Next</a>' in html
    second = client.get("/projects/?theme=big&page=2")
    assert [p.title for p in second.context["projects"].object_list] == ["Project number 24"]
