"""A cache of whole public pages for anonymous readers, invalidated by a content version.

Anonymous readers all see the same page until something it shows changes. `public_page` stores the
rendered bytes of such a page in Django's cache under a key made of the path, the canonical query
and the language, together with the *content version* it was rendered at: a counter
in the cache that `content_changed()` bumps after a commit (the services marked
`@changes_public_pages`, and every POST in the admin). A stored page is served only while its
version is the current one (both are read in one round trip), so after a bump every stored page is
out of date at once and a reader never gets a page older than the last change. PAGE_CACHE_SECONDS
bounds what time alone changes (an event moving from "upcoming" to "past").

Nothing personal is stored:
- only anonymous GET/HEAD requests with no pending messages are served from or stored in the cache;
- only 200 responses with no cookie of the view's own and no "private"/"no-store" are stored;
- the CSRF token of the page's forms (the language switcher) is cut out before storing and a fresh
  one for this reader put back on every hit, so the reader's CSRF cookie is set as usual;
- a page whose rendering used the Content-Security-Policy nonce is never stored (its nonce would
  be stale); the policy header itself is added per response by the middleware.
Headers are not stored: the middleware adds Vary, CSP, cookies and the rest to each response.

What one reader can make the cache hold is bounded (every key is made of cleaned, canonical values):
- the host is not in the key (pages name the site by SITE_URL, never by the request's host), and the
  path is one a URL pattern matched with a 200, so of a row that exists;
- a page reads only the query parameters it declares (`@public_page(query=[...])`); the view gets a
  request holding only those, trimmed, the last of each, empty ones left out, so every spelling of
  a query is the same request and the same key. A page that declares none gets no query at all;
- a page with a query is stored only when its view confirms it with `store_query(request, ...)`:
  the canonical spelling of what its form understood (`page_query`), equal to the query it was
  given, and one of a bounded set: valid input only, no free text or dates, at most one filter,
  at most MAX_PAGES pages. Anything else is rendered for the reader and not stored.
"""

import datetime as dt
import functools
import hashlib
import re
import time
from collections.abc import Iterable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import models, transaction
from django.http import HttpResponse, QueryDict
from django.middleware.csrf import get_token
from django.utils.translation import get_language

VERSION_KEY = "pagecache:version"
# The bounds of what a page with a query may store (see the module's docstring).
MAX_FILTERS = 1
MAX_PAGES = 20
# The value of the hidden field {% csrf_token %} writes: the stored page is the bytes around it.
_CSRF_VALUE = re.compile(rb'(?<=<input type="hidden" name="csrfmiddlewaretoken" value=")[^"]*(?=")')


def _first_version() -> int:
    # A version never used before, should the counter be lost (a flushed or evicting cache) while
    # pages stored under an older count are still there.
    return time.time_ns()


def content_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, _first_version(), timeout=None)
        version = cache.get(VERSION_KEY)
    return version


def _bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # no counter: any new value does
        cache.add(VERSION_KEY, _first_version(), timeout=None)


def content_changed() -> None:
    """Call from a service that changes what a public page shows: after the commit, every stored
    page is out of date. A rolled-back change bumps nothing."""
    transaction.on_commit(_bump)


def changes_public_pages(service):
    """Mark a service that changes what public pages show: when it succeeds and its transaction
    commits, the content version is bumped (inside its transaction, so a rollback bumps nothing)."""

    @functools.wraps(service)
    def wrapper(*args, **kwargs):
        with transaction.atomic():
            result = service(*args, **kwargs)
            content_changed()
        return result

    return wrapper


def bump_after_admin_posts(site) -> None:
    """Every POST to an admin view (add, change, delete, an action, an import) bumps the content
    version once the view is done: changes made in the admin, services or not, reach the public
    pages at once. (The admin's LogEntry rows are no hook: several are written with bulk_create.)"""
    make_admin_view = site.admin_view

    def admin_view(view, cacheable=False):
        guarded = make_admin_view(view, cacheable)

        @functools.wraps(guarded)
        def inner(request, *args, **kwargs):
            try:
                return guarded(request, *args, **kwargs)
            finally:
                if request.method == "POST":
                    content_changed()

        return inner

    site.admin_view = admin_view


def _cacheable_request(request) -> bool:
    return (
        getattr(settings, "PAGE_CACHE_SECONDS", 0) > 0
        and request.method in ("GET", "HEAD")
        and not request.user.is_authenticated
        and len(get_messages(request)) == 0  # counting does not mark them as shown
    )


def _key(request, query: list[tuple[str, str]]) -> str:
    where = f"{request.path}|{urlencode(query)}|{get_language()}"
    return f"pagecache:page:{hashlib.sha256(where.encode()).hexdigest()}"


def canonical_query(data: QueryDict, names: Iterable[str]) -> list[tuple[str, str]]:
    """The parameters `names` of a query, in that order: the last value of each (the one a form
    reads), trimmed, empty ones left out; every other parameter dropped."""
    pairs = []
    for name in names:
        value = (data.get(name) or "").strip()
        if value:
            pairs.append((name, value))
    return pairs


def _canonical_request(request, query: list[tuple[str, str]]) -> None:
    """Make the request hold only its canonical query, so the view renders what its key names."""
    data = QueryDict(mutable=True)
    for name, value in query:
        data[name] = value
    data._mutable = False
    request.GET = data
    request.META["QUERY_STRING"] = urlencode(query)


def _as_text(field, value) -> str:
    if isinstance(value, models.Model):
        return str(getattr(value, getattr(field, "to_field_name", None) or "pk"))
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def cleaned_query(form) -> list[tuple[str, str]]:
    """What a filter form understood, in one spelling: its cleaned values as text (a model choice by
    its `to_field_name`, a date as YYYY-MM-DD) in the form's field order; empty and invalid values
    left out. Cache keys and links are made of this, never of the raw query."""
    if not form.is_bound:
        return []
    form.is_valid()
    return [
        (name, _as_text(field, form.cleaned_data[name]))
        for name, field in form.fields.items()
        if name not in form.errors and form.cleaned_data.get(name) not in (None, "", [], ())
    ]


def page_query(
    form, *, unbounded: Iterable[str] = (), tabs: Iterable[str] = (), page: int = 1
) -> list[tuple[str, str]] | None:
    """A list page's query as the page cache may store it, or None (render it, do not store it):
    invalid input, a value of an `unbounded` field (free text, dates), more than MAX_FILTERS
    filters besides the `tabs` (such as upcoming/past), a page past MAX_PAGES."""
    if form.is_bound and not form.is_valid():
        return None
    query = cleaned_query(form)
    names = [name for name, _value in query]
    if set(names) & set(unbounded) or len(set(names) - set(tabs)) > MAX_FILTERS or page > MAX_PAGES:
        return None
    return query + ([("page", str(page))] if page > 1 else [])


def store_query(request, query: list[tuple[str, str]] | None) -> None:
    """A page that reads its query calls this with `page_query(...)`: the page is stored only when
    that is exactly the query it was given (so only meaningful, canonical spellings are stored)."""
    request._page_cache_query = query


def _storable(request, response) -> bool:
    cache_control = response.get("Cache-Control", "")
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and "private" not in cache_control
        and "no-store" not in cache_control
        and not bool(getattr(request, "_csp_nonce", None))  # the nonce was never used
    )


def public_page(view=None, *, query: Iterable[str] = ()):
    """Serve the view's page to anonymous readers from the cache while the content is unchanged.

    `query` names the query parameters the page reads (none by default); the view sees only those,
    in their canonical spelling, and confirms what it may store with `store_query`."""
    if view is None:
        return functools.partial(public_page, query=query)
    names = tuple(query)

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        given = canonical_query(request.GET, names)
        _canonical_request(request, given)
        if not _cacheable_request(request):
            return view(request, *args, **kwargs)
        key = _key(request, given)
        # One round trip for both: the current version and the page stored with its version.
        found = cache.get_many([VERSION_KEY, key])
        version = found.get(VERSION_KEY) or content_version()
        stored = found.get(key)
        if stored is not None and stored[0] == version:
            _version, content_type, pieces = stored
            # The page's bytes around its CSRF fields, joined with this reader's own token.
            response = HttpResponse(get_token(request).encode().join(pieces), content_type=content_type)
            response["X-Page-Cache"] = "hit"
            return response
        response = view(request, *args, **kwargs)
        confirmed = getattr(request, "_page_cache_query", None)
        meant = not given or (confirmed is not None and dict(confirmed) == dict(given))
        if meant and _storable(request, response):
            pieces = tuple(_CSRF_VALUE.split(response.content))
            # Stored with the version read before rendering: a change committed meanwhile makes it
            # out of date at once, never the other way round.
            cache.set(key, (version, response["Content-Type"], pieces), settings.PAGE_CACHE_SECONDS)
            response["X-Page-Cache"] = "miss"
        return response

    wrapper.public_page_query = names  # what the page reads; tests walk every public page by it
    return wrapper
