"""Every URL pattern, every query parameter a view reads and every field a page posts, filled
with hostile values (tests/security/fuzz.py), as anonymous, signed-in and staff (with MFA), GET
and POST: never a server error, on SQLite and on PostgreSQL (where a NUL byte cannot be stored).

The walk comes from the resolver, the real paths from url_expectations.py (which the permission
matrix requires for every pattern) and the parameters from what the views read, so a URL, filter
or form added later is fuzzed without a line here.
"""

import copy

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import Resolver404, resolve

from .fuzz import (
    EVERY_KEY,
    HOSTILE_VALUES,
    ReadRecorder,
    encoded,
    fill_route,
    form_field_names,
    link_query_keys,
    route_parameters,
    urlencoded,
)
from .roles import ANONYMOUS, RESEARCHER, STAFF, client_for_role
from .url_expectations import expectation_for, path_for
from .urls import all_routes

pytestmark = pytest.mark.django_db

# Parameters many views read: fuzzed on every URL besides those the view was seen to read.
COMMON_QUERY_KEYS = {"page", "next", "token", "q", "date", "date_from", "date_to", "from", "to", "o", "p"}
SIGN_IN_PATHS = ("/accounts/login/", "/admin/login/", "/accounts/2fa/authenticate/")
FUZZ_ROLES = (ANONYMOUS, RESEARCHER, STAFF)


@pytest.fixture
def recording(settings):
    settings.MIDDLEWARE = ["tests.security.fuzz.ReadRecorder", *settings.MIDDLEWARE]
    ReadRecorder.reset()
    return ReadRecorder


def _real_path(route: str) -> str:
    expect = expectation_for(route)
    if expect is not None:
        return path_for(route, expect)
    # A pattern with no line in url_expectations.py (the permission matrix reports it): fill it
    # with plain values so it is still fuzzed.
    return fill_route(route, dict.fromkeys(route_parameters(route), "1"))


def _real_values(route: str, path: str) -> dict[str, str]:
    """The parameter values of a real path, encoded again for a URL."""
    from urllib.parse import quote

    try:
        kwargs = resolve(path.split("?")[0]).kwargs
    except Resolver404:
        kwargs = {}
    return {name: quote(str(kwargs.get(name, "1")), safe="") for name in route_parameters(route)}


class Walker:
    """Sends one request at a time in a savepoint that is rolled back, with an empty cache (rate
    limits would stop the walk) and the client's cookies restored (a POST may sign it out)."""

    def __init__(self, client: Client, role: str):
        self.client = client
        self.role = role
        self.failures: list[str] = []
        self.sent = 0

    def send(self, method: str, path: str, body: str | None = None):
        cache.clear()
        cookies = copy.deepcopy(self.client.cookies)
        with transaction.atomic():
            if method == "GET":
                response = self.client.get(path)
            else:
                response = self.client.post(
                    path, body or "", content_type="application/x-www-form-urlencoded"
                )
            transaction.set_rollback(True)
        self.client.cookies = cookies
        self.sent += 1
        if response.status_code >= 500:
            error = ""
            if getattr(response, "exc_info", None):
                error = f" {type(response.exc_info[1]).__name__}: {str(response.exc_info[1])[:200]}"
            shown = path if len(path) < 300 else path[:300] + "…"
            body_shown = "" if body is None else f" body {body[:120]!r}"
            self.failures.append(f"{self.role} {method} {shown}{body_shown} -> {response.status_code}{error}")
        return response


def _resolves_to_the_same_view(path: str, real_path: str) -> bool:
    """Whether the resolver hands a path to the view (else it is a plain 404, already tried by GET)."""
    from urllib.parse import unquote

    try:
        return resolve(unquote(path, errors="replace")).func == resolve(real_path).func
    except Resolver404:
        return False


def _refused_before_the_view(response) -> bool:
    location = response.get("Location", "") if response.status_code in (301, 302) else ""
    return response.status_code == 403 or location.startswith(SIGN_IN_PATHS)


def _project_admin_prefixes() -> tuple[str, ...]:
    """`admin/<app>/` of the site's own apps (not Django's or allauth's, whose admin is theirs)."""
    from django.apps import apps
    from django.conf import settings

    own = [
        config.label
        for config in apps.get_app_configs()
        if config.path.startswith(str(settings.BASE_DIR)) and ".venv" not in config.path
    ]
    return tuple(f"admin/{label}/" for label in own)


# Kinds tried on the admin pages of other libraries' models (Django's and allauth's own code): the
# NUL byte, numbers beyond bigint and text that is not Latin, rather than every kind.
LIBRARY_ADMIN_KINDS = ("nul", "huge-int", "unicode-markup")
# Kinds tried in a path parameter: dates are no different from any other text there.
PATH_KINDS = tuple(kind for kind in HOSTILE_VALUES if not kind.endswith("-date"))


@pytest.mark.parametrize("role", FUZZ_ROLES)
def test_every_url_query_parameter_and_posted_field_survives_hostile_values(role, recording):
    client, _user = client_for_role(role, raise_request_exception=False)
    walker = Walker(client, role)
    own_admin = _project_admin_prefixes()
    for route in all_routes():
        path = _real_path(route)
        real = _real_values(route, path)
        base = path.split("?")[0]

        recording.reset()
        page = walker.send("GET", base)
        posted = walker.send("POST", base, "_probe=1")
        if _refused_before_the_view(page) and _refused_before_the_view(posted):
            continue  # the view never runs for this role; its own input is never read
        html = page.content.decode("utf-8", "replace") if "html" in page.get("Content-Type", "") else ""
        fields = form_field_names(html)
        # Only what the view reads can reach its code (the middleware sees every key anyway): the
        # keys it looked up, the fields of its page's forms, the query keys of its own links (the
        # admin's filters) and, if it walks all keys, common ones.
        query_keys = recording.reads["GET"] | fields | link_query_keys(html)
        post_keys = recording.reads["POST"] | fields
        if EVERY_KEY in query_keys:
            query_keys |= COMMON_QUERY_KEYS
        query_keys.discard(EVERY_KEY)
        post_keys.discard(EVERY_KEY)
        gets, posts = page.status_code != 405, posted.status_code != 405
        library_admin = route.startswith("admin/") and not route.startswith(own_admin)
        kinds = LIBRARY_ADMIN_KINDS if library_admin else tuple(HOSTILE_VALUES)

        for kind in kinds:
            if query_keys and gets:
                walker.send("GET", f"{base}?{urlencoded(query_keys, kind)}")
            if post_keys and posts:
                walker.send("POST", base, urlencoded(post_keys, kind))
            if kind not in PATH_KINDS:
                continue
            for name in real:
                hostile = fill_route(route, {**real, name: encoded(kind)})
                if not _resolves_to_the_same_view(hostile, base):
                    walker.send("GET", hostile)  # the resolver's 404, once
                    continue
                if gets:
                    walker.send("GET", hostile)
                if posts:
                    walker.send("POST", hostile, urlencoded(post_keys | {"_probe"}, kind))
    assert walker.failures == [], f"{len(walker.failures)} of {walker.sent} requests failed:\n" + "\n".join(
        walker.failures
    )
