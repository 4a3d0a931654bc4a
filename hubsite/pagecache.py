"""A cache of whole public pages for anonymous readers, invalidated by a content version.

Anonymous readers all see the same page until something it shows changes. `public_page` stores the
rendered bytes of such a page in Django's cache under a key made of the host, the path, the full
query string and the language, together with the *content version* it was rendered at: a counter
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
"""

import functools
import hashlib
import re
import time

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils.translation import get_language

VERSION_KEY = "pagecache:version"
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


def _key(request) -> str:
    where = f"{request.get_host()}|{request.get_full_path()}|{get_language()}"
    return f"pagecache:page:{hashlib.sha256(where.encode()).hexdigest()}"


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


def public_page(view):
    """Serve the view's page to anonymous readers from the cache while the content is unchanged."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not _cacheable_request(request):
            return view(request, *args, **kwargs)
        key = _key(request)
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
        if _storable(request, response):
            pieces = tuple(_CSRF_VALUE.split(response.content))
            # Stored with the version read before rendering: a change committed meanwhile makes it
            # out of date at once, never the other way round.
            cache.set(key, (version, response["Content-Type"], pieces), settings.PAGE_CACHE_SECONDS)
            response["X-Page-Cache"] = "miss"
        return response

    return wrapper
