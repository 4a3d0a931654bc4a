"""/themes/<slug>/ after the wiring: partners, public researchers, and no stay names a person."""

import datetime as dt

import pytest
from django.utils import timezone

from researchers.models import Institution
from tests.factories import (
    InstitutionFactory,
    ProjectFactory,
    ProjectPartnerFactory,
    ResearcherFactory,
    ThemeFactory,
    VisitFactory,
)

pytestmark = pytest.mark.django_db


def test_theme_page_partners_are_public_partners_of_public_projects_and_homes_of_listed_people(client):
    theme = ThemeFactory(slug="scaling")
    project = ProjectFactory()
    project.themes.add(theme)
    private = ProjectFactory(is_public=False)
    private.themes.add(theme)
    ProjectPartnerFactory(project=project, institution__name="Active U")
    ProjectPartnerFactory(project=project, institution__name="Hidden U", institution__is_public=False)
    ProjectPartnerFactory(project=private, institution__name="Secret Partner U")
    home = InstitutionFactory(name="Home U", partnership_status=Institution.PartnershipStatus.PAST)
    theme.researchers.add(ResearcherFactory(name="Listed At Home", institution=home))
    quiet_home = InstitutionFactory(name="Quiet Home U")
    theme.researchers.add(ResearcherFactory(name="Quiet One", institution=quiet_home, listed_publicly=False))
    gone_home = InstitutionFactory(name="Gone Home U")
    theme.researchers.add(
        ResearcherFactory(name="Gone One", institution=gone_home, anonymised_at=timezone.now())
    )
    response = client.get("/themes/scaling/")
    assert [i.name for i in response.context["partners"]] == ["Active U", "Home U"]
    assert [r.name for r in response.context["researchers"]] == ["Listed At Home"]
    html = response.content.decode()
    for hidden in ("Hidden U", "Secret Partner U", "Quiet Home U", "Quiet One", "Gone Home U", "Gone One"):
        assert hidden not in html


def test_theme_page_names_no_visitor_through_their_stays(client):
    theme = ThemeFactory(slug="scaling")
    quiet = ResearcherFactory(name="Quiet Visitor", listed_publicly=False)
    today = timezone.localdate()
    visit = VisitFactory(
        researcher=quiet, status="checked_in", first_day=today - dt.timedelta(days=1), last_day=today
    )
    visit.themes.add(theme)
    html = client.get("/themes/scaling/").content.decode()
    assert "Quiet Visitor" not in html
