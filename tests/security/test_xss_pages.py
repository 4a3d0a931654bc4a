"""XSS through the pages: every payload in every text and Markdown field that reaches a page now.

Rows are made with the factories, which skip the forms' validators (validate_safe_markdown), so the
rendering itself is what is tested: a row imported or edited another way is still shown as text.
"""

import pytest

from tests import factories

from .xss import MARK, XSS_PAYLOADS, assert_no_payload_markup

pytestmark = pytest.mark.django_db


def _page(client, path: str, *, where: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, f"{path}: {response.status_code}"
    html = response.content.decode()
    assert_no_payload_markup(html, where=where)
    return html


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_partner_page_shows_a_hostile_name_and_description_as_text(client, payload):
    institution = factories.InstitutionFactory(name=payload, short_name="", description=payload)
    factories.ResearcherFactory(name=payload, bio=payload, institution=institution)
    html = _page(client, f"/partners/{institution.slug}/", where="partner page")
    assert MARK in html


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_researcher_page_shows_a_hostile_name_and_bio_as_text(client, payload):
    researcher = factories.ResearcherFactory(name=payload, name_ko=payload, bio=payload)
    html = _page(client, f"/researchers/{researcher.slug}/", where="researcher page")
    assert MARK in html


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_project_page_shows_a_hostile_summary_and_output_title_as_text(client, payload):
    project = factories.ProjectFactory(title=payload, summary=payload)
    factories.ProjectOutputFactory(project=project, title=payload)
    html = _page(client, f"/projects/{project.slug}/", where="project page")
    assert MARK in html


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_event_page_shows_a_hostile_title_and_abstract_as_text(client, payload):
    event = factories.EventFactory(title=payload, abstract=payload)
    html = _page(client, event.get_absolute_url(), where="event page")
    assert MARK in html


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_series_page_shows_a_hostile_title_and_description_as_text(client, payload):
    series = factories.SeriesFactory(title=payload, description=payload)
    factories.EventFactory(series=series, title=payload)
    html = _page(client, f"/series/{series.slug}/", where="series page")
    assert MARK in html


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_stay_page_shows_a_hostile_purpose_to_the_visitor_as_text(client, payload):
    visit = factories.VisitFactory(purpose=payload, project_summary=payload)
    client.force_login(visit.researcher.user)
    html = _page(client, f"/visits/{visit.pk}/", where="stay page")
    assert MARK in html


def test_list_pages_show_hostile_names_titles_and_summaries_as_text(client):
    for n, payload in enumerate(XSS_PAYLOADS):
        institution = factories.InstitutionFactory(name=payload, short_name="", description=payload)
        factories.ResearcherFactory(name=payload, bio=payload, institution=institution)
        factories.ProjectFactory(title=payload, summary=payload)
        series = factories.SeriesFactory(title=payload, description=payload, slug=f"hostile-series-{n}")
        factories.EventFactory(title=payload, abstract=payload, series=series)
    for path in ["/events/", "/series/", "/partners/", "/researchers/", "/projects/"]:
        html = _page(client, path, where=path)
        assert MARK in html, path


def test_the_check_still_catches_a_payload_breaking_out_of_json_ld_or_a_meta_tag():
    """The controls for the two things the check lets pass: escaped JSON-LD and meta descriptions."""
    from .xss import payload_markup

    breakout = f'<script type="application/ld+json">{{"name": "</script><script>alert(\'{MARK}\')</script>"}}'
    assert payload_markup(breakout) == [f"payload inside <script>: \"alert('{MARK}')\""]
    refresh = f'<meta http-equiv="refresh" content="0;url=javascript:alert(\'{MARK}\')">'
    assert payload_markup(refresh) != []
    assert payload_markup(f'<meta name="description" content="&lt;script&gt;{MARK}">') == []
