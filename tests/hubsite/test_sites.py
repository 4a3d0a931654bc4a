"""The site's name and domain come from SITE_URL and HUB_NAME / HUB_NAME_KO everywhere: the sites
framework's row (allauth's mails), the Atom feed, and the pages that link the feed."""

import xml.etree.ElementTree as ET

import pytest
from django.contrib.sites.models import Site
from django.contrib.sites.shortcuts import get_current_site
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from hubsite.models import OutboxMessage
from hubsite.sites import site_sync
from tests.factories import EventFactory

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(autouse=True)
def _english_afterwards():
    """A Korean request leaves Korean active in this thread (LocaleMiddleware): not for the next test."""
    yield
    translation.activate("en")


def test_a_new_database_has_the_site_of_the_settings():
    # The test database is made by `migrate`, as a fresh production database is.
    assert list(Site.objects.values_list("pk", "domain", "name")) == [
        (1, "127.0.0.1:8000", "Seoul AI Research Hub")
    ]


def test_migrate_brings_the_site_in_step_with_changed_settings(settings):
    Site.objects.filter(pk=1).update(domain="example.com", name="example.com")
    settings.SITE_URL = "https://hub.example.org"
    settings.HUB_NAME = "Hub of Seoul"
    call_command("migrate", verbosity=0)
    assert list(Site.objects.values_list("pk", "domain", "name")) == [(1, "hub.example.org", "Hub of Seoul")]
    assert get_current_site(None).domain == "hub.example.org"  # the cached row is dropped too


@pytest.mark.parametrize(
    ("language", "greeting", "subject"),
    [
        (
            "en",
            "Hello from Seoul AI Research Hub!",
            "[Seoul AI Research Hub] Please Confirm Your Email Address",
        ),
        ("ko", "서울 AI 연구 허브", "[서울 AI 연구 허브] "),
    ],
)
def test_sign_up_mail_names_the_hub_and_its_domain_never_example_com(client, language, greeting, subject):
    client.post(
        reverse("account_signup"),
        {"email": "new@example.org", "password1": "a-long-passphrase-1", "password2": "a-long-passphrase-1"},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    message = OutboxMessage.objects.get(kind="account.email_confirmation_signup")
    assert "example.com" not in message.body_text + message.body_html + message.subject
    assert greeting in message.body_text
    assert "127.0.0.1:8000" in message.body_text
    assert message.subject.startswith(subject)


def test_atom_feed_links_author_and_id_come_from_site_url_and_the_hubs_name(client, settings):
    settings.SITE_URL = "https://hub.example.org"
    settings.ALLOWED_HOSTS = ["testserver"]
    site_sync()
    event = EventFactory(title="Scaling laws")
    response = client.get(reverse("events:feed_atom"))
    feed = ET.fromstring(response.content)  # noqa: S314 - the site's own feed
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
    assert links == {
        "alternate": "https://hub.example.org/events/",
        "self": "https://hub.example.org/events/feed.atom",
    }
    assert feed.findtext(f"{ATOM}id") == "https://hub.example.org/events/"
    assert feed.findtext(f"{ATOM}author/{ATOM}name") == "Seoul AI Research Hub"
    (entry,) = feed.findall(f"{ATOM}entry")
    assert entry.find(f"{ATOM}link").get("href") == f"https://hub.example.org/events/{event.slug}/"
    assert b"example.com" not in response.content
    korean_feed = client.get(reverse("events:feed_atom"), HTTP_ACCEPT_LANGUAGE="ko").content
    korean = ET.fromstring(korean_feed)  # noqa: S314 - the site's own feed
    assert korean.findtext(f"{ATOM}author/{ATOM}name") == "서울 AI 연구 허브"


@pytest.mark.parametrize("url", ["/", "/events/"])
def test_pages_the_feed_is_about_link_it(client, url):
    html = client.get(url).content.decode()
    assert (
        '<link rel="alternate" type="application/atom+xml" title="New seminars and events" '
        'href="/events/feed.atom">'
    ) in html
