"""XSS: every payload of the corpus, in every text and Markdown field, is shown as text, never markup."""

import markdown
import pytest
from django.template import Context, Template

from tests import factories

from .xss import MARK, XSS_PAYLOADS, assert_no_payload_markup, payload_markup

# Harmless however they are rendered: an attribute break-out outside an attribute, and text that
# only looks like markup once decoded by something other than an HTML parser.
INERT_EVEN_UNESCAPED = [
    f'" onfocus="alert(\'{MARK}\')" autofocus="',
    f"&lt;script&gt;alert('{MARK}')&lt;/script&gt;",
    f"&#60;script&#62;alert('{MARK}')&#60;/script&#62;",
    f"%3Cscript%3Ealert('{MARK}')%3C/script%3E",
]


def test_the_check_catches_every_payload_that_is_not_escaped_or_sanitised():
    """The control: without escaping or sanitising, the check sees the payload's markup."""
    missed = [
        payload
        for payload in XSS_PAYLOADS
        if not payload_markup(f"<div>{payload}</div>") and not payload_markup(markdown.markdown(payload))
    ]
    assert missed == INERT_EVEN_UNESCAPED


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_markdown_filter_renders_no_payload_markup(payload):
    html = Template("{% load hub %}<div>{{ value|markdown }}</div>").render(Context({"value": payload}))
    assert_no_payload_markup(html, where="rendered Markdown")


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_plain_text_in_a_template_renders_no_payload_markup(payload):
    html = Template('<p title="{{ value }}">{{ value }}</p>').render(Context({"value": payload}))
    assert_no_payload_markup(html, where="escaped text")


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "ko"])
def test_home_page_shows_hostile_names_and_titles_as_text(client, language):
    for n, payload in enumerate(XSS_PAYLOADS):
        institution = factories.InstitutionFactory(name=payload, short_name="")
        researcher = factories.ResearcherFactory(name=payload, name_ko=payload, institution=institution)
        event = factories.EventFactory(title=payload, title_ko=payload)
        factories.EventSpeakerFactory(event=event, researcher=researcher)
        factories.ThemeFactory(name=payload, name_ko=payload, slug=f"hostile-{n}")
    html = client.get("/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert MARK in html  # the hostile text is on the page, as text
    assert_no_payload_markup(html, where=f"home page ({language})")
