"""Every cache key the site builds comes from cleaned, canonical values, so what one reader can make
the cache hold is bounded: spellings of one query share one entry, and queries with no small set
of values (free text, dates, invalid input, several filters at once) are answered but not stored.

The walks cover every page marked `@public_page` (found through the URL resolver) and the calendar
feeds; the counts are read from the cache itself (local memory here, Redis on CI).
"""

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from events.models import Event
from hubsite.pagecache import MAX_PAGES
from tests.factories import (
    EventFactory,
    InstitutionFactory,
    ProjectFactory,
    ResearcherFactory,
    SeriesFactory,
    ThemeFactory,
)

from .cache_entries import cache_entries

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _page_cache_for_the_whole_test(page_cache, settings):
    """The page cache on, with entries that outlive a slow run, so counts never drop by expiry."""
    settings.PAGE_CACHE_SECONDS = 3600


PAGES = "pagecache:page:"
FEED_BYTES = "ical:feed:"
FEED_STATE = "feedstate:"
VEVENTS = "ical:vevent:"


def _public_pages():
    """(route, names of the query parameters it reads) of every view marked @public_page."""

    def walk(patterns, prefix=""):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and hasattr(pattern.callback, "public_page_query"):
                yield route, pattern.callback.public_page_query

    return sorted(walk(get_resolver().url_patterns))


# One path (a public row) for every public page; a new @public_page needs a line here.
PATHS = {
    "": lambda: "/",
    "events/": lambda: "/events/",
    "events/<slug:slug>/": lambda: EventFactory().get_absolute_url(),
    "series/": lambda: "/series/",
    "series/<slug:slug>/": lambda: f"/series/{SeriesFactory().slug}/",
    "partners/": lambda: "/partners/",
    "partners/<slug:slug>/": lambda: f"/partners/{InstitutionFactory().slug}/",
    "researchers/": lambda: "/researchers/",
    "researchers/<slug:slug>/": lambda: f"/researchers/{ResearcherFactory().slug}/",
    "projects/": lambda: "/projects/",
    "projects/<slug:slug>/": lambda: f"/projects/{ProjectFactory().slug}/",
    "themes/": lambda: "/themes/",
    "themes/<slug:slug>/": lambda: f"/themes/{ThemeFactory().slug}/",
}


def _page_text(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def test_every_public_page_has_a_path_here():
    assert sorted(route for route, _names in _public_pages()) == sorted(PATHS)


def test_pagecache_every_spelling_of_a_public_page_is_one_entry():
    """Unknown parameters, empty and blank values of the page's own, repeated and padded
    parameters: each public page is stored once, and every spelling is served that one page."""
    pages = _public_pages()
    checked = 0
    for route, names in pages:
        path = PATHS[route]()
        spellings = ["", "?", "?utm_source=mail&x=1", "?x=" + "y" * 2000, "?a=1&b=2&c=3"]
        for name in names:
            spellings += [f"?{name}=", f"?{name}=+", f"?{name}=++&{name}=", f"?{name}=%20%09"]
        client = Client()
        first = client.get(path)
        assert (route, first.status_code, first["X-Page-Cache"]) == (route, 200, "miss")
        for spelling in spellings:
            response = client.get(path + spelling)
            assert (route, spelling, response["X-Page-Cache"]) == (route, spelling, "hit")
            assert _page_text(response) == _page_text(first)
            checked += 1
    assert checked > 100
    assert len(cache_entries(PAGES)) == len(pages)


def test_pagecache_the_events_page_stores_only_a_bounded_set_of_queries():
    """Free text, dates, invalid values, two filters at once, pages past MAX_PAGES, page numbers
    spelled with zeros: answered, never stored. Stored: each value of one filter, upcoming or past."""
    themes = [ThemeFactory(slug=f"theme-{n}") for n in range(3)]
    series = [SeriesFactory(slug=f"series-{n}") for n in range(2)]
    EventFactory(series=series[0]).themes.add(themes[0])
    client = Client()
    stored = [""]
    stored += [f"theme={theme.slug}" for theme in themes] + [f"series={one.slug}" for one in series]
    stored += [f"kind={kind}" for kind in Event.Kind.values] + [f"format={f}" for f in Event.Format.values]
    stored += [f"language={language}" for language in Event.Language.values]
    stored += [f"{query}&when=past" if query else "when=past" for query in stored]
    for query in stored:
        assert client.get(f"/events/?{query}").status_code == 200
    bounded = len(cache_entries(PAGES))
    assert bounded == len(stored)

    not_stored = [f"q=word{n}" for n in range(100)]
    not_stored += [f"date_from=19{n:02d}-01-01" for n in range(100)]
    not_stored += [f"theme=no-such-theme-{n}" for n in range(50)] + [f"kind=kind{n}" for n in range(50)]
    not_stored += [f"theme={t.slug}&kind={k}" for t in themes for k in Event.Kind.values]
    not_stored += [f"page={n}" for n in range(2, MAX_PAGES + 30)] + ["page=01", "page=1", "page=-1"]
    not_stored += ["when=future", "q=%00", "date_to=9999-12-31"]
    for query in not_stored:
        assert client.get(f"/events/?{query}").status_code in (
            200,
            400,
            404,
        )  # a NUL byte: 400 (hubsite.middleware)
    assert len(cache_entries(PAGES)) == bounded


@pytest.mark.parametrize(
    ("path", "stored", "not_stored"),
    [
        (
            "/projects/",
            ["status=completed", "status=all", "theme=theme-0"],
            ["status=completed&theme=theme-0", "theme=nothing", "page=2", "page=999", "page=x"],
        ),
        (
            "/researchers/",
            ["theme=theme-0", "country=KR"],
            ["q=kim", "q=lee", "theme=theme-0&country=KR", "institution=nowhere", "page=5"],
        ),
        ("/partners/", ["kind=university", "country=KR"], ["kind=university&country=KR", "kind=x"]),
    ],
)
def test_pagecache_list_pages_store_only_a_bounded_set_of_queries(path, stored, not_stored):
    theme = ThemeFactory(slug="theme-0")
    institution = InstitutionFactory(country="KR", kind="university")
    ResearcherFactory(country="KR", institution=institution).themes.add(theme)
    ProjectFactory(status="completed").themes.add(theme)
    client = Client()
    for query in ["", *stored]:
        assert client.get(f"{path}?{query}").status_code == 200
        assert client.get(f"{path}?{query}&utm=1&{query}")["X-Page-Cache"] == "hit"
    assert len(cache_entries(PAGES)) == 1 + len(stored)
    for query in not_stored:
        assert client.get(f"{path}?{query}").status_code == 200
    assert len(cache_entries(PAGES)) == 1 + len(stored)


# --- Calendar feeds -------------------------------------------------------------------------

FEED = "/events/calendar.ics"


def test_feed_every_spelling_of_the_events_feed_is_one_entry_with_one_etag():
    for _ in range(3):
        EventFactory()
    client = Client()
    first = client.get(FEED)
    spellings = ["?q=+", "?q=++", "?q=%20%09", "?kind=", "?kind=&format=&language=", "?when=past"]
    spellings += ["?series=no-such-series", "?theme=", "?x=1", "?page=3", "?date_to=", "?kind=nonsense"]
    for spelling in spellings:
        response = client.get(FEED + spelling)
        assert (spelling, response.status_code, response["ETag"]) == (spelling, 200, first["ETag"])
        assert response.content == first.content
    assert len(cache_entries(FEED_BYTES)) == 1
    assert len(cache_entries(FEED_STATE)) == 1
    assert len(cache_entries(VEVENTS)) == 3


def test_feed_queries_without_a_small_set_of_values_are_answered_but_not_stored():
    theme = ThemeFactory(slug="robotics")
    EventFactory(title="Robot hands").themes.add(theme)
    EventFactory(title="Scaling laws")
    client = Client()
    client.get(FEED)
    client.get(FEED + "?theme=robotics")
    client.get(FEED + "?kind=seminar")
    queries = [f"?q=word{n}" for n in range(100)] + [f"?date_from=19{n:02d}-01-01" for n in range(100)]
    queries += [f"?theme=robotics&kind={kind}" for kind in Event.Kind.values]
    for query in queries:
        assert client.get(FEED + query).status_code == 200
    assert len(cache_entries(FEED_BYTES)) == 3
    assert len(cache_entries(FEED_STATE)) == 3
    assert len(cache_entries(VEVENTS)) == 2
    # Different meanings are different feeds all the same (their own ETag), just not kept.
    assert client.get(FEED + "?q=robot")["ETag"] != client.get(FEED + "?q=scaling")["ETag"]


def test_feed_changes_replace_their_entries_instead_of_adding_copies():
    """A feed's bytes, its state and each VEVENT are one entry each, whatever changed how often:
    an event's own changes and changes to the rows it shows (a speaker's profile) replace them."""
    events = [EventFactory() for _ in range(4)]
    speaker = ResearcherFactory()
    client = Client()
    series = SeriesFactory()
    Event.objects.filter(pk=events[0].pk).update(series=series)
    for round_ in range(5):
        assert client.get(FEED).status_code == 200
        assert client.get(f"/series/{series.slug}/calendar.ics").status_code == 200
        assert client.get(events[1].get_absolute_url() + "event.ics").status_code == 200
        events[2].title = f"Changed {round_}"
        events[2].save()
        speaker.name = f"Renamed {round_}"
        speaker.save()  # moves the related version: every VEVENT is stale
    sizes = {prefix: len(cache_entries(prefix)) for prefix in (FEED_BYTES, FEED_STATE, VEVENTS)}
    assert sizes == {FEED_BYTES: 3, FEED_STATE: 3, VEVENTS: 4}


def test_feed_bytes_are_kept_an_hour_not_a_day():
    from events.feeds import FEED_CACHE_SECONDS

    assert FEED_CACHE_SECONDS == 60 * 60


def test_feed_bytes_and_state_of_private_feeds_are_never_kept(client):
    from tests.factories import RegistrationFactory, UserFactory

    user = UserFactory()
    RegistrationFactory(
        user=user, email=user.email, event=EventFactory(start=dt.datetime(2031, 1, 1, tzinfo=dt.UTC))
    )
    from events import services

    token = services.personal_calendar_get(user=user).token
    assert client.get(f"/calendar/{token}.ics").status_code == 200
    assert cache_entries(FEED_BYTES) == {}
    assert cache_entries(FEED_STATE) == {}


# --- Time to live ---------------------------------------------------------------------------

# The only entries written without an expiry: two small counters, which production's
# `volatile-lru` never evicts (and whose loss is harmless: both restart from the clock).
WITHOUT_EXPIRY = {"pagecache:version", "ical:related-version"}


@pytest.mark.redis
def test_every_cache_entry_the_site_writes_expires_but_the_two_version_counters(client):
    """README: Redis for the cache runs with `volatile-lru`, which evicts only entries with a TTL;
    so every entry must have one, or it could fill the memory for good."""
    from django.core.cache import cache

    from tests.factories import UserFactory

    event = EventFactory()
    series = SeriesFactory()
    for path in [*(PATHS[route]() for route, _names in _public_pages()), "/events/?theme=x"]:
        client.get(path)
    for path in [FEED, FEED + "?kind=seminar", f"/series/{series.slug}/calendar.ics", "/healthz/ready"]:
        client.get(path)
    client.get(event.get_absolute_url() + "event.ics")
    client.post(f"/subscriptions/series/{series.slug}/", {"email": "reader@example.org"})
    client.post("/accounts/login/", {"login": "nobody@example.org", "password": "wrong"})
    client.force_login(UserFactory())
    client.get("/profile/")

    redis = cache._cache.get_client(write=False)
    prefix = cache.make_key("")
    ttls = {key.decode()[len(prefix) :]: redis.ttl(key) for key in redis.scan_iter(match=prefix + "*")}
    # Everything was written: pages, feeds, calendar entries, both kinds of rate limit, sessions.
    kinds = ["pagecache:page:", "feedstate:", "ical:feed:", "ical:vevent:", "ratelimit:", "allauth:rl:"]
    kinds += ["django.contrib.sessions.cached_db"]
    assert [kind for kind in kinds if not any(key.startswith(kind) for key in ttls)] == []
    assert {key for key, ttl in ttls.items() if ttl < 0} == WITHOUT_EXPIRY
