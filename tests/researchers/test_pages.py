import datetime as dt

import pytest
from django.utils import timezone

from events.models import Event
from researchers.models import Institution, Researcher
from tests.factories import (
    EventFactory,
    EventSpeakerFactory,
    InstitutionFactory,
    ProjectFactory,
    ProjectMemberFactory,
    ProjectPartnerFactory,
    ResearcherFactory,
    StaffFactory,
    ThemeFactory,
    UserFactory,
    VisitFactory,
)
from tests.signin import force_login_with_mfa

pytestmark = pytest.mark.django_db


def get_with_queries(assert_num_queries, client, url, expected):
    with assert_num_queries(expected):
        response = client.get(url)
    assert response.status_code == 200
    return response


# --- /partners/ -------------------------------------------------------------------------------


def test_partner_list_shows_exactly_the_public_active_partners_grouped_by_country(client):
    InstitutionFactory(name="Kaist", country="KR")
    InstitutionFactory(name="MIT", country="US")
    InstitutionFactory(name="Stanford", country="US")
    InstitutionFactory(name="Hidden", is_public=False)
    InstitutionFactory(name="Maybe", partnership_status=Institution.PartnershipStatus.PROSPECTIVE)
    InstitutionFactory(name="Former", partnership_status=Institution.PartnershipStatus.PAST)
    response = client.get("/partners/")
    groups = [(g["country"].name, [p.name for p in g["partners"]]) for g in response.context["groups"]]
    assert groups == [("South Korea", ["Kaist"]), ("United States of America", ["MIT", "Stanford"])]
    html = response.content.decode()
    assert '<h2 id="country-KR">South Korea</h2>' in html
    assert "Hidden" not in html and "Maybe" not in html and "Former" not in html


def test_partner_list_counts_published_public_seminars_of_its_people(client):
    partner = InstitutionFactory()
    speaker = ResearcherFactory(institution=partner)
    colleague = ResearcherFactory(institution=partner)
    shared = EventFactory()
    EventSpeakerFactory(event=shared, researcher=speaker)
    EventSpeakerFactory(event=shared, researcher=colleague)
    EventSpeakerFactory(researcher=speaker)
    EventSpeakerFactory(researcher=speaker, event=EventFactory(status=Event.Status.DRAFT, published_at=None))
    EventSpeakerFactory(researcher=speaker, event=EventFactory(visibility=Event.Visibility.MEMBERS))
    response = client.get("/partners/")
    (partner_shown,) = response.context["groups"][0]["partners"]
    assert partner_shown.seminar_count == 2
    assert "2 seminars" in response.content.decode()


def test_partner_list_filters_by_kind_and_country(client):
    InstitutionFactory(name="Uni KR", country="KR", kind=Institution.Kind.UNIVERSITY)
    InstitutionFactory(name="Corp KR", country="KR", kind=Institution.Kind.COMPANY)
    InstitutionFactory(name="Corp US", country="US", kind=Institution.Kind.COMPANY)
    response = client.get("/partners/?kind=company&country=KR")
    names = [p.name for g in response.context["groups"] for p in g["partners"]]
    assert names == ["Corp KR"]


def test_partner_list_with_an_unknown_country_says_so(client):
    InstitutionFactory(country="KR")
    response = client.get("/partners/?country=ZZ")
    assert response.context["form"].errors == {
        "country": ["Select a valid choice. ZZ is not one of the available choices."]
    }


def many_partners(n):
    host = ResearcherFactory(institution=None, is_hub_member=True)
    for i in range(n):
        partner = InstitutionFactory(country=["KR", "US", "FR"][i % 3])
        researcher = ResearcherFactory(institution=partner)
        EventSpeakerFactory(researcher=researcher)
        VisitFactory(researcher=researcher, host=host, status="approved")


def test_partner_list_query_count_is_the_same_at_two_and_at_two_hundred_rows(
    client, django_assert_num_queries
):
    many_partners(2)
    get_with_queries(django_assert_num_queries, client, "/partners/", 2)
    many_partners(198)
    assert Institution.objects.active_partners().count() == 200
    get_with_queries(django_assert_num_queries, client, "/partners/", 2)


# --- /partners/<slug>/ -----------------------------------------------------------------------


def test_partner_detail_shows_listed_people_and_seminars_of_all_its_people(client):
    partner = InstitutionFactory(description="We *like* seminars.<script>alert(1)</script>")
    listed = ResearcherFactory(institution=partner, name="Listed Person")
    unlisted = ResearcherFactory(institution=partner, name="Quiet Person", listed_publicly=False)
    EventSpeakerFactory(researcher=listed, event=EventFactory(title="Scaling talk"))
    EventSpeakerFactory(researcher=unlisted, event=EventFactory(title="Robot talk"))
    response = client.get(f"/partners/{partner.slug}/")
    assert [p.name for p in response.context["people"]] == ["Listed Person"]
    assert sorted(t.event.title for t in response.context["talks"]) == ["Robot talk", "Scaling talk"]
    html = response.content.decode()
    assert "<p>We <em>like</em> seminars.</p>" in html
    assert "<script>alert" not in html
    assert f'<a href="/researchers/{listed.slug}/">Listed Person</a>' in html
    assert f'href="/researchers/{unlisted.slug}/"' not in html


def test_partner_detail_of_a_hidden_or_prospective_institution_is_404(client):
    hidden = InstitutionFactory(is_public=False)
    prospective = InstitutionFactory(partnership_status=Institution.PartnershipStatus.PROSPECTIVE)
    assert client.get(f"/partners/{hidden.slug}/").status_code == 404
    assert client.get(f"/partners/{prospective.slug}/").status_code == 404


def populate_partner(partner, n):
    today = timezone.localdate()
    for index in range(n):
        researcher = ResearcherFactory(institution=partner, listed_publicly=index % 2 == 0)
        researcher.themes.add(ThemeFactory())
        EventSpeakerFactory(researcher=researcher)
        VisitFactory(researcher=researcher, status="checked_in", first_day=today, last_day=today)
        VisitFactory(
            researcher=researcher,
            status="completed",
            first_day=today - dt.timedelta(days=30),
            last_day=today - dt.timedelta(days=20),
        )
        project = ProjectFactory()
        project.themes.add(ThemeFactory())
        ProjectPartnerFactory(project=project, institution=partner)


def test_partner_detail_query_count_is_the_same_at_one_and_at_many_rows(client, django_assert_num_queries):
    partner = InstitutionFactory()
    # institution, people, their themes, talks, stays now, stays before, projects (their themes,
    # their partners)
    populate_partner(partner, 1)
    get_with_queries(django_assert_num_queries, client, f"/partners/{partner.slug}/", 9)
    populate_partner(partner, 30)
    get_with_queries(django_assert_num_queries, client, f"/partners/{partner.slug}/", 9)


# --- /researchers/ ---------------------------------------------------------------------------


def test_researcher_list_shows_exactly_the_listed_researchers(client):
    ResearcherFactory(name="Ada Listed")
    ResearcherFactory(name="Bo Hidden", listed_publicly=False)
    ResearcherFactory(name="Cy Gone", anonymised_at=timezone.now())
    response = client.get("/researchers/")
    assert [r.name for r in response.context["page"].object_list] == ["Ada Listed"]
    html = response.content.decode()
    assert "Bo Hidden" not in html
    assert "researcher" in html and "@example.org" not in html  # e-mail never shown


def test_researcher_list_searches_names_in_english_and_korean(client):
    ResearcherFactory(name="Ji-won Park", name_ko="박지원")
    ResearcherFactory(name="Sarah Chen")
    assert [r.name for r in client.get("/researchers/?q=지원").context["page"].object_list] == ["Ji-won Park"]
    assert [r.name for r in client.get("/researchers/?q=CHEN").context["page"].object_list] == ["Sarah Chen"]


def test_researcher_list_filters_by_theme_institution_and_country(client):
    scaling = ThemeFactory(slug="scaling")
    kaist = InstitutionFactory(slug="kaist")
    match = ResearcherFactory(name="Match", institution=kaist, country="KR")
    match.themes.add(scaling)
    ResearcherFactory(name="Other country", institution=kaist, country="US").themes.add(scaling)
    ResearcherFactory(name="Other theme", institution=kaist, country="KR")
    ResearcherFactory(name="Other place", country="KR").themes.add(scaling)
    response = client.get("/researchers/?theme=scaling&institution=kaist&country=KR")
    assert [r.name for r in response.context["page"].object_list] == ["Match"]


def many_researchers(n):
    partner = InstitutionFactory()
    for i in range(n):
        researcher = ResearcherFactory(institution=partner if i % 2 else InstitutionFactory(), country="KR")
        researcher.themes.add(ThemeFactory())


def test_researcher_list_query_count_is_the_same_at_two_and_at_two_hundred_rows(
    client, django_assert_num_queries
):
    many_researchers(2)
    get_with_queries(django_assert_num_queries, client, "/researchers/", 6)
    many_researchers(198)
    assert Researcher.objects.listed().count() == 200
    get_with_queries(django_assert_num_queries, client, "/researchers/", 6)


# --- /researchers/<slug>/ --------------------------------------------------------------------


def test_researcher_detail_shows_profile_links_and_published_seminars(client):
    researcher = ResearcherFactory(
        name="Sarah Chen", orcid="0000-0002-1825-0097", website="https://chen.example.org", bio="**Hi**"
    )
    past = timezone.now() - dt.timedelta(days=30)
    EventSpeakerFactory(researcher=researcher, event=EventFactory(title="Next talk"))
    EventSpeakerFactory(
        researcher=researcher,
        event=EventFactory(title="Old talk", start=past, end=past + dt.timedelta(hours=1)),
    )
    EventSpeakerFactory(
        researcher=researcher,
        event=EventFactory(title="Draft talk", status=Event.Status.DRAFT, published_at=None),
    )
    response = client.get(f"/researchers/{researcher.slug}/")
    assert [t.event.title for t in response.context["upcoming_talks"]] == ["Next talk"]
    assert [t.event.title for t in response.context["past_talks"]] == ["Old talk"]
    html = response.content.decode()
    assert (
        '<a href="https://orcid.org/0000-0002-1825-0097" rel="noopener">ORCID 0000-0002-1825-0097</a>' in html
    )
    assert "<strong>Hi</strong>" in html
    assert "Draft talk" not in html
    assert researcher.email not in html


def test_researcher_detail_not_opted_in_is_404_to_the_public_but_not_to_staff_or_themselves(client):
    user = UserFactory()
    researcher = ResearcherFactory(listed_publicly=False, user=user)
    url = f"/researchers/{researcher.slug}/"
    assert client.get(url).status_code == 404
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    client.force_login(user)
    assert client.get(url).status_code == 200
    force_login_with_mfa(client, StaffFactory())
    assert client.get(url).status_code == 200


def populate_researcher(researcher, n):
    today = timezone.localdate()
    for index in range(n):
        researcher.themes.add(ThemeFactory())
        EventSpeakerFactory(researcher=researcher)
        first_day = today - dt.timedelta(days=20 * (index + 1))
        VisitFactory(
            researcher=researcher,
            status="completed",
            first_day=first_day,
            last_day=first_day + dt.timedelta(days=5),
        )
        project = ProjectFactory()
        project.themes.add(ThemeFactory())
        ProjectMemberFactory(project=project, researcher=researcher)
        ProjectPartnerFactory(project=project)


def test_researcher_detail_query_count_is_the_same_at_one_and_at_many_rows(client, django_assert_num_queries):
    researcher = ResearcherFactory()
    # researcher, themes, talks, stays, projects (their themes, their partners)
    populate_researcher(researcher, 1)
    get_with_queries(django_assert_num_queries, client, f"/researchers/{researcher.slug}/", 7)
    populate_researcher(researcher, 30)
    get_with_queries(django_assert_num_queries, client, f"/researchers/{researcher.slug}/", 7)


def test_researcher_pages_render_in_korean(client):
    researcher = ResearcherFactory(name="Ji-won Park", name_ko="박지원")
    html = client.get(f"/researchers/{researcher.slug}/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "<h1>박지원</h1>" in html
    assert '<p lang="en">Ji-won Park</p>' in html


def populate_profile(researcher, n):
    for _ in range(n):
        researcher.themes.add(ThemeFactory())
        InstitutionFactory()


def test_profile_page_query_count_is_the_same_at_one_and_at_many_rows(client, django_assert_num_queries):
    user = UserFactory()
    researcher = ResearcherFactory(user=user, email=user.email)
    populate_profile(researcher, 1)
    client.force_login(user)
    client.get("/profile/")
    get_with_queries(django_assert_num_queries, client, "/profile/", 5)
    populate_profile(researcher, 30)
    get_with_queries(django_assert_num_queries, client, "/profile/", 5)
