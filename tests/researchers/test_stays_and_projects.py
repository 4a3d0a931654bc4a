"""The people pages meet the higher rooms through reverse relations: stays (institution.visits,
researcher.visits) and projects (project_links, led_projects, project_memberships)."""

import datetime as dt

import pytest
from django.utils import timezone

from researchers.models import Institution, counted_stay_statuses
from researchers.privacy import PeopleShown
from tests.factories import (
    InstitutionFactory,
    ProjectFactory,
    ProjectMemberFactory,
    ProjectPartnerFactory,
    ResearcherFactory,
    VisitFactory,
)

pytestmark = pytest.mark.django_db


def stay(researcher, status, first, last, **kwargs):
    """A stay of `researcher` from `first` to `last` days from today (negative: in the past)."""
    today = timezone.localdate()
    kwargs.setdefault("host", ResearcherFactory(institution=None, is_hub_member=True))
    return VisitFactory(
        researcher=researcher,
        status=status,
        first_day=today + dt.timedelta(days=first),
        last_day=today + dt.timedelta(days=last),
        **kwargs,
    )


def test_counted_stay_statuses_are_the_stay_models_desk_holding_ones():
    assert counted_stay_statuses() == ["approved", "checked_in", "completed"]


# --- /partners/ ------------------------------------------------------------------------------


def test_partner_list_counts_approved_checked_in_and_completed_stays_only(client):
    partner = InstitutionFactory(name="Mila")
    person = ResearcherFactory(institution=partner)
    for status, first in [
        ("approved", 30),
        ("checked_in", 0),
        ("completed", -60),
        ("submitted", 90),
        ("endorsed", 120),
        ("declined", 150),
        ("withdrawn", 180),
        ("cancelled", 210),
    ]:
        stay(person, status, first, first + 3)
    InstitutionFactory(name="Quiet U")
    response = client.get("/partners/")
    counts = {p.name: p.stay_count for g in response.context["groups"] for p in g["partners"]}
    assert counts == {"Mila": 3, "Quiet U": 0}
    html = " ".join(response.content.decode().split())
    assert "0 seminars · 3 stays" in html
    assert "0 seminars · 0 stays" in html


def test_partner_list_counts_stays_by_the_institution_at_the_time(client):
    before, after = InstitutionFactory(name="Before U"), InstitutionFactory(name="After U")
    person = ResearcherFactory(institution=before)
    stay(person, "completed", -60, -50)  # institution at the time: Before U
    person.institution = after
    person.save()
    response = client.get("/partners/")
    counts = {p.name: p.stay_count for g in response.context["groups"] for p in g["partners"]}
    assert counts == {"After U": 0, "Before U": 1}


def test_partner_list_stay_and_seminar_counts_do_not_multiply_each_other():
    from tests.factories import EventSpeakerFactory

    partner = InstitutionFactory()
    for _ in range(2):
        person = ResearcherFactory(institution=partner)
        EventSpeakerFactory(researcher=person)
        EventSpeakerFactory(researcher=person)
        stay(person, "completed", -40, -35)
        stay(person, "approved", 10, 12)
    counted = Institution.objects.filter(pk=partner.pk).with_public_seminar_count().with_stay_count().get()
    assert (counted.seminar_count, counted.stay_count) == (4, 4)


# --- /partners/<slug>/ -------------------------------------------------------------------------


def test_partner_detail_shows_current_and_past_stays_naming_only_listed_people(client):
    partner = InstitutionFactory()
    ada = ResearcherFactory(institution=partner, name="Ada Listed")
    bo = ResearcherFactory(institution=partner, name="Bo Quiet", listed_publicly=False)
    cy = ResearcherFactory(institution=partner, name="Cy Gone", anonymised_at=timezone.now())
    now_ada = stay(ada, "checked_in", -2, 5)
    now_bo = stay(bo, "approved", 0, 3)
    past_ada = stay(ada, "completed", -90, -80)
    past_cy = stay(cy, "completed", -40, -30)
    # Unlisted, so that their names could only come from the stays section:
    future = ResearcherFactory(institution=partner, name="Di Future", listed_publicly=False)
    stay(future, "approved", 10, 20)  # not started
    waiting = ResearcherFactory(institution=partner, name="Ed Waiting", listed_publicly=False)
    stay(waiting, "submitted", -1, 3)  # not counted
    response = client.get(f"/partners/{partner.slug}/")
    context = response.context
    assert context["stays_now"] == [now_bo, now_ada]  # latest arrival first
    assert context["stays_before"] == [past_cy, past_ada]
    assert context["visitors_now"] == PeopleShown(named=[ada], unnamed_count=1)  # Bo counted
    assert context["visitors_before"] == PeopleShown(named=[ada], unnamed_count=1)
    html = " ".join(response.content.decode().split())
    assert '<h2 id="stays-heading">Stays at the hub</h2>' in html
    assert "<p>2 stays</p>" in html
    assert f'<li><a href="/researchers/{ada.slug}/">Ada Listed</a></li>' in html
    assert html.count("and 1 more person who is not listed publicly.") == 2
    for hidden in ("Bo Quiet", "Cy Gone", "Di Future", "Ed Waiting"):
        assert hidden not in html


def test_partner_detail_without_stays_says_so(client):
    partner = InstitutionFactory()
    html = client.get(f"/partners/{partner.slug}/").content.decode()
    assert "<p>Nobody from this institution is at the hub at the moment.</p>" in html
    assert "<p>No past stays yet.</p>" in html


def test_partner_detail_lists_its_public_projects_only(client):
    partner = InstitutionFactory()
    ProjectPartnerFactory(institution=partner, project__title="Open Scaling")
    ProjectPartnerFactory(institution=partner, project__title="Secret Scaling", project__is_public=False)
    ProjectFactory(title="Someone Else's")
    response = client.get(f"/partners/{partner.slug}/")
    assert [p.title for p in response.context["projects"]] == ["Open Scaling"]
    html = response.content.decode()
    assert '<h2 id="projects-heading">Projects</h2>' in html
    assert "Open Scaling" in html
    assert "Secret Scaling" not in html
    assert "Someone Else" not in html


# --- /researchers/<slug>/ ----------------------------------------------------------------------


def test_researcher_detail_shows_stays_under_way_and_over_with_dates(client):
    person = ResearcherFactory()
    now = stay(person, "checked_in", -3, 4)
    before = stay(person, "completed", -100, -90)
    stay(person, "approved", 30, 40)  # in the future: a public page does not say when
    stay(person, "withdrawn", -60, -50)
    response = client.get(f"/researchers/{person.slug}/")
    assert list(response.context["stays"]) == [now, before]
    html = " ".join(response.content.decode().split())
    assert '<h2 id="stays-heading">Stays at the hub</h2>' in html
    assert f'<time datetime="{now.first_day:%Y-%m-%d}">' in html
    assert f'<time datetime="{before.last_day:%Y-%m-%d}">' in html
    assert html.count('<span class="tag">at the hub now</span>') == 1


def test_researcher_detail_without_stays_has_no_stays_section(client):
    person = ResearcherFactory()
    stay(person, "submitted", 3, 9)
    html = client.get(f"/researchers/{person.slug}/").content.decode()
    assert "Stays at the hub" not in html


def test_researcher_detail_lists_public_projects_they_lead_or_belong_to(client):
    person = ResearcherFactory(is_hub_member=True)
    ProjectFactory(title="Led Project", lead=person)
    ProjectMemberFactory(researcher=person, project__title="Member Project")
    ProjectMemberFactory(researcher=person, project__title="Hidden Project", project__is_public=False)
    ProjectFactory(title="Other Project")
    response = client.get(f"/researchers/{person.slug}/")
    assert sorted(p.title for p in response.context["projects"]) == ["Led Project", "Member Project"]
    html = response.content.decode()
    assert "Hidden Project" not in html
    assert "Other Project" not in html
