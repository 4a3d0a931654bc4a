"""The page cache (hubsite/pagecache.py): cheap public pages that are never stale or personal."""

import re

import pytest
from django.contrib.messages import constants as message_levels
from django.db import transaction
from django.test import Client

from events.services import event_update
from hubsite.pagecache import content_version
from tests.factories import (
    EventFactory,
    InstitutionFactory,
    ProjectFactory,
    SeriesFactory,
    ThemeFactory,
    UserFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("page_cache")]

CACHED_PAGES = [
    "/",
    "/events/",
    "/series/",
    "/partners/",
    "/researchers/",
    "/projects/",
    "/themes/",
]


def _csrf_value(response) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())[1]


def _without_csrf(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


@pytest.mark.parametrize("path", CACHED_PAGES)
def test_pagecache_second_anonymous_request_is_served_without_queries(
    client, django_assert_num_queries, path
):
    first = client.get(path)
    assert (first.status_code, first["X-Page-Cache"]) == (200, "miss")
    with django_assert_num_queries(0):
        second = client.get(path)
    assert (second.status_code, second["X-Page-Cache"]) == (200, "hit")
    # The same page apart from the per-reader CSRF token of the language switcher.
    assert _without_csrf(second) == _without_csrf(first)


def test_pagecache_detail_pages_are_cached(client, django_assert_num_queries):
    event = EventFactory()
    series = SeriesFactory()
    partner = InstitutionFactory()
    project = ProjectFactory()
    paths = [event.get_absolute_url(), f"/series/{series.slug}/", f"/partners/{partner.slug}/"]
    paths += [f"/projects/{project.slug}/", f"/researchers/{project.lead.slug}/"]
    for path in paths:
        assert client.get(path)["X-Page-Cache"] == "miss"
        with django_assert_num_queries(0):
            assert client.get(path)["X-Page-Cache"] == "hit"


def test_pagecache_a_change_through_a_service_makes_the_next_request_fresh(
    client, django_capture_on_commit_callbacks
):
    event = EventFactory(title="Old title")
    assert "Old title" in client.get("/events/").content.decode()
    assert client.get("/events/")["X-Page-Cache"] == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        event_update(event=event, title="New title")
    response = client.get("/events/")
    assert response["X-Page-Cache"] == "miss"
    assert "New title" in response.content.decode()
    assert "Old title" not in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_pagecache_a_rolled_back_change_does_not_bump_the_version():
    event = EventFactory()
    before = content_version()
    with pytest.raises(RuntimeError), transaction.atomic():
        event_update(event=event, title="Never committed")
        raise RuntimeError("roll back")
    assert content_version() == before
    event_update(event=event, title="Committed")
    assert content_version() == before + 1


def test_pagecache_an_admin_change_makes_the_next_request_fresh(
    client, admin_client, django_capture_on_commit_callbacks
):
    """Changes made in the admin, outside the services, reach the public pages at once too."""
    theme = ThemeFactory(name="Old theme")
    assert "Old theme" in client.get("/themes/").content.decode()
    assert client.get("/themes/")["X-Page-Cache"] == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"/admin/researchers/theme/{theme.pk}/change/",
            {"name": "New theme", "slug": theme.slug, "ordering": 1},
        )
    assert response.status_code == 302
    page = client.get("/themes/")
    assert page["X-Page-Cache"] == "miss"
    assert "New theme" in page.content.decode()


def test_pagecache_signed_in_readers_never_get_the_cached_bytes(client):
    EventFactory()
    anonymous = Client()
    anonymous.get("/events/")
    assert anonymous.get("/events/")["X-Page-Cache"] == "hit"
    client.force_login(UserFactory())
    response = client.get("/events/")
    assert response.status_code == 200
    assert not response.has_header("X-Page-Cache")
    assert "Sign out" in response.content.decode()


def test_pagecache_signed_in_pages_are_not_stored_for_anonymous_readers(client):
    client.force_login(UserFactory())
    client.get("/events/")
    response = Client().get("/events/")
    assert response["X-Page-Cache"] == "miss"
    assert "Sign out" not in response.content.decode()


def test_pagecache_language_is_part_of_the_key():
    english = Client(HTTP_ACCEPT_LANGUAGE="en")
    korean = Client(HTTP_ACCEPT_LANGUAGE="ko")
    assert english.get("/events/")["X-Page-Cache"] == "miss"
    response = korean.get("/events/")
    assert response["X-Page-Cache"] == "miss"
    assert '<html lang="ko">' in response.content.decode()
    assert korean.get("/events/")["X-Page-Cache"] == "hit"


def test_pagecache_the_canonical_query_is_part_of_the_key(client):
    theme_event = EventFactory(title="Only on page one")
    ThemeFactory(slug="nothing-here")
    assert client.get("/events/")["X-Page-Cache"] == "miss"
    assert client.get("/events/?theme=nothing-here")["X-Page-Cache"] == "miss"
    hit = client.get("/events/?q=&theme=nothing-here&x=1")
    assert hit["X-Page-Cache"] == "hit"
    assert theme_event.title not in hit.content.decode()
    assert theme_event.title in client.get("/events/?x=1").content.decode()


def test_pagecache_pending_messages_bypass_the_cache(client):
    client.get("/events/")
    request_with_message = client.get("/events/")
    assert request_with_message["X-Page-Cache"] == "hit"
    from django.contrib.messages.storage.cookie import CookieStorage
    from django.http import HttpRequest, HttpResponse

    storage = CookieStorage(HttpRequest())
    storage.add(message_levels.INFO, "A note for this reader only")
    carrier = HttpResponse()
    storage.update(carrier)
    client.cookies["messages"] = carrier.cookies["messages"].value
    response = client.get("/events/")
    assert not response.has_header("X-Page-Cache")
    assert "A note for this reader only" in response.content.decode()


def test_pagecache_not_found_pages_are_not_stored(client):
    assert client.get("/events/no-such-event/").status_code == 404
    assert not client.get("/events/no-such-event/").has_header("X-Page-Cache")


def test_pagecache_hit_carries_a_fresh_csrf_token_that_the_language_switcher_accepts():
    """The stored bytes hold no CSRF token: each reader gets one of their own, and it works."""
    Client().get("/")  # someone else fills the cache
    reader = Client(enforce_csrf_checks=True)
    page = reader.get("/")
    assert page["X-Page-Cache"] == "hit"
    assert "csrftoken" in page.cookies  # the reader's own secret, set on this response
    token = _csrf_value(page)
    response = reader.post("/i18n/setlang/", {"language": "ko", "next": "/", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert page.content.count(token.encode()) == page.content.count(b"csrfmiddlewaretoken")


def test_pagecache_hit_sets_no_cookie_but_the_readers_csrf_cookie(client):
    client.get("/")
    response = Client().get("/")
    assert response["X-Page-Cache"] == "hit"
    assert sorted(response.cookies) == ["csrftoken"]


def test_pagecache_hit_has_the_content_security_policy_without_a_stale_nonce(client):
    first = client.get("/")
    second = client.get("/")
    assert second["X-Page-Cache"] == "hit"
    assert second["Content-Security-Policy"] == first["Content-Security-Policy"]
    assert "nonce-" not in second["Content-Security-Policy"]
    assert "nonce=" not in second.content.decode()


def test_pagecache_is_on_by_default_and_off_when_page_cache_seconds_is_zero(client, settings):
    from hubsite import settings as hub_settings

    assert hub_settings.PAGE_CACHE_SECONDS == 60  # unless the environment says otherwise
    settings.PAGE_CACHE_SECONDS = 0
    client.get("/events/")
    assert not client.get("/events/").has_header("X-Page-Cache")


def test_pagecache_a_bulk_delete_in_the_admin_makes_the_next_request_fresh(
    client, admin_client, django_capture_on_commit_callbacks
):
    """Deleting several rows logs them with bulk_create (no signal): the admin hook still bumps."""
    themes = [ThemeFactory(name="Doomed theme A"), ThemeFactory(name="Doomed theme B")]
    assert "Doomed theme A" in client.get("/themes/").content.decode()
    assert client.get("/themes/")["X-Page-Cache"] == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/researchers/theme/",
            {"action": "delete_selected", "_selected_action": [t.pk for t in themes], "post": "yes"},
        )
    assert response.status_code == 302
    page = client.get("/themes/")
    assert page["X-Page-Cache"] == "miss"
    assert "Doomed theme" not in page.content.decode()


def test_pagecache_a_get_in_the_admin_bumps_nothing(admin_client):
    before = content_version()
    assert admin_client.get("/admin/researchers/theme/").status_code == 200
    assert content_version() == before


def test_pagecache_a_lost_version_counter_never_revives_older_pages(client):
    from django.core.cache import cache

    from hubsite.pagecache import VERSION_KEY

    client.get("/events/")
    assert client.get("/events/")["X-Page-Cache"] == "hit"
    cache.delete(VERSION_KEY)  # evicted, while the page is still stored
    assert client.get("/events/")["X-Page-Cache"] == "miss"


def test_a_registration_refreshes_the_seat_count_on_a_cached_event_page(
    page_cache, client, django_capture_on_commit_callbacks
):
    from events import services
    from tests.factories import EventFactory, UserFactory

    event = EventFactory(capacity=5)
    assert "5 seats left of 5" in client.get(event.get_absolute_url()).content.decode()
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_create(event=event, email=user.email, name="Reader", user=user)
    assert "4 seats left of 5" in client.get(event.get_absolute_url()).content.decode()
