"""Rate limits behind a load balancer: a real reverse proxy on loopback (tests/security/proxy.py) in
front of the live server appends each client's address to X-Forwarded-For.

With TRUSTED_PROXY_COUNT=1 every limit, the site's own (hubsite.ratelimit) and allauth's, counts
two clients behind the proxy apart, and a client that forges X-Forwarded-For gets no fresh budget.
With 0 (the default) the header is ignored: no client can choose its address.
"""

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import RequestFactory

from events.views_registration import GUEST_REGISTRATIONS_PER_HOUR
from events.views_subscriptions import LINK_LIMIT_PER_MINUTE, SUBSCRIBE_LIMIT_PER_MINUTE
from hubsite.ratelimit import client_address
from tests.factories import PASSWORD, EventFactory, SeriesFactory, UserFactory

from .proxy import LoopbackClient, ReverseProxy

TOO_MANY_FAILED = "Too many failed login attempts."
CLIENT_A, CLIENT_B = "127.0.0.2", "127.0.0.3"
APPS = ["hubsite", "researchers", "projects", "events", "visits", "reports"]
# over_limit(request, scope="x", ...) and the subscriptions' _over_limit(request, "x", ...)
SCOPE_IN_CALL = re.compile(r'over_limit\(\s*request,\s*(?:scope=)?"([\w-]+)"')


def _per_minute_ip(action: str) -> int:
    for rate in django_settings.ACCOUNT_RATE_LIMITS[action].split(","):
        amount, period, *per = rate.split("/")
        if period == "m" and per in ([], ["ip"]):
            return int(amount)
    raise AssertionError(f"no per-minute, per-address limit for {action}")


@dataclass
class Limit:
    """One rate limit: `attempt(client, n, **kwargs)` makes the n-th request, True when it was let
    through, False when the limit refused it. `counts` names it: the site's scope or allauth's action."""

    counts: str
    allowed: Callable[[], int]
    attempt: Callable[..., bool]


def _guest_registration(client, n, **kwargs):
    data = {"name": f"Guest {n}", "email": f"guest{n}@example.org", "attendance": "in_person"}
    return client.post(f"/events/{_guest_registration.slug}/register/", data, **kwargs).status_code != 429


def _subscribe(client, n, **kwargs):
    path = f"/subscriptions/series/{_subscribe.slug}/"
    return client.post(path, {"email": f"reader{n}@example.org"}, **kwargs).status_code != 429


def _subscription_link(client, n, **kwargs):
    path = f"/subscriptions/unsubscribe/{secrets.token_urlsafe(16)}/"
    return client.get(path, **kwargs).status_code != 429


def _sign_in(client, n, **kwargs):
    data = {"login": f"nobody{n}@example.org", "password": "wrong"}
    return client.post("/accounts/login/", data, **kwargs).status_code != 429


def _failed_sign_in(client, n, **kwargs):
    data = {"login": f"nobody{n}@example.org", "password": "wrong"}
    return TOO_MANY_FAILED not in client.post("/accounts/login/", data, **kwargs).text


def _sign_up(client, n, **kwargs):
    client.forget_session()
    data = {"email": f"new{n}@example.org", "password1": PASSWORD, "password2": PASSWORD}
    return client.post("/accounts/signup/", data, **kwargs).status_code != 429


def _password_reset(client, n, **kwargs):
    data = {"email": f"someone{n}@example.org"}
    return client.post("/accounts/password/reset/", data, **kwargs).status_code != 429


def _password_reset_from_key(client, n, **kwargs):
    data = {"password1": PASSWORD, "password2": PASSWORD}
    path = f"/accounts/password/reset/key/{n + 1}-not-a-key/"
    return client.post(path, data, **kwargs).status_code != 429


# Every limit counted by address: the site's own (hubsite.ratelimit scopes) and allauth's.
LIMITS = [
    Limit("guest-registration", lambda: GUEST_REGISTRATIONS_PER_HOUR, _guest_registration),
    Limit("subscribe", lambda: SUBSCRIBE_LIMIT_PER_MINUTE, _subscribe),
    Limit("subscription-link", lambda: LINK_LIMIT_PER_MINUTE, _subscription_link),
    Limit("login", lambda: _per_minute_ip("login"), _sign_in),
    Limit("login_failed", lambda: _per_minute_ip("login_failed"), _failed_sign_in),
    Limit("signup", lambda: _per_minute_ip("signup"), _sign_up),
    Limit("reset_password", lambda: _per_minute_ip("reset_password"), _password_reset),
    Limit(
        "reset_password_from_key", lambda: _per_minute_ip("reset_password_from_key"), _password_reset_from_key
    ),
]


def test_every_limit_counted_by_address_is_walked():
    """Every scope the site passes to hubsite.ratelimit.over_limit, and every allauth action with a
    per-address rate, has a line in LIMITS."""
    sources = [
        path.read_text() for app in APPS for path in (Path(django_settings.BASE_DIR) / app).rglob("*.py")
    ]
    scopes = {scope for source in sources for scope in SCOPE_IN_CALL.findall(source)}
    actions = {
        action
        for action, rates in django_settings.ACCOUNT_RATE_LIMITS.items()
        if any(len(rate.split("/")) == 2 or rate.endswith("/ip") for rate in rates.split(","))
    }
    assert scopes == {"guest-registration", "subscribe", "subscription-link"}
    assert sorted(limit.counts for limit in LIMITS) == sorted(scopes | actions)


@pytest.fixture
def proxy(live_server, transactional_db):
    _guest_registration.slug = EventFactory(capacity=500).slug
    _subscribe.slug = SeriesFactory().slug
    with ReverseProxy(live_server.url) as running:
        yield running


def _client(where, address: str) -> LoopbackClient:
    return LoopbackClient(where.host, where.port, address=address)


@pytest.mark.parametrize("limit", LIMITS, ids=[limit.counts for limit in LIMITS])
def test_rate_limits_behind_the_proxy_count_each_client_apart(proxy, settings, limit):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    a, b = _client(proxy, CLIENT_A), _client(proxy, CLIENT_B)
    allowed = limit.allowed()
    assert [limit.attempt(a, n) for n in range(allowed)] == [True] * allowed
    assert limit.attempt(a, allowed) is False
    # Forging the header: the proxy appends the real address, and only the last entry is trusted.
    for forged in ["203.0.113.7", CLIENT_B, "203.0.113.7, 198.51.100.2", "not-an-address"]:
        assert (forged, limit.attempt(a, allowed + 1, forwarded_for=forged)) == (forged, False)
    # The other client, behind the same proxy, has a budget of its own.
    assert limit.attempt(b, allowed + 2) is True


def test_ten_bad_passwords_behind_the_proxy_lock_out_only_their_client(proxy, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    user = UserFactory()
    attacker, member = _client(proxy, CLIENT_A), _client(proxy, CLIENT_B)
    allowed = _per_minute_ip("login_failed")
    assert [_failed_sign_in(attacker, n) for n in range(allowed)] == [True] * allowed
    right = {"login": user.email, "password": PASSWORD}
    assert TOO_MANY_FAILED in attacker.post("/accounts/login/", right).text
    signed_in = member.post("/accounts/login/", right)
    assert signed_in.status_code == 302


def test_with_no_trusted_proxy_the_header_is_ignored(proxy, settings, live_server):
    """The default: limits count the connecting address. Behind the proxy every client then shares
    the proxy's budget (so production sets TRUSTED_PROXY_COUNT=1), and straight to the site a
    forged X-Forwarded-For changes nothing."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    a, b = _client(proxy, CLIENT_A), _client(proxy, CLIENT_B)
    allowed = SUBSCRIBE_LIMIT_PER_MINUTE
    assert [_subscribe(a, n) for n in range(allowed)] == [True] * allowed
    assert _subscribe(b, allowed) is False

    port = int(live_server.url.rsplit(":", 1)[1])
    direct = LoopbackClient("127.0.0.1", port, address=CLIENT_A)
    assert [_subscription_link(direct, n) for n in range(LINK_LIMIT_PER_MINUTE)] == [
        True
    ] * LINK_LIMIT_PER_MINUTE
    for n in range(3):
        assert _subscription_link(direct, n, forwarded_for=f"203.0.113.{n}") is False


@pytest.mark.parametrize(
    ("count", "forwarded_for", "remote", "counted"),
    [
        (0, "", "192.0.2.1", "192.0.2.1"),
        (0, "203.0.113.7", "192.0.2.1", "192.0.2.1"),
        (1, "203.0.113.7", "192.0.2.1", "203.0.113.7"),
        (1, "198.51.100.9, 203.0.113.7", "192.0.2.1", "203.0.113.7"),
        (2, "198.51.100.9, 203.0.113.7", "192.0.2.1", "198.51.100.9"),
        (1, "", "192.0.2.1", "192.0.2.1"),
        (1, "2001:db8:1:2:3:4:5:6", "192.0.2.1", "2001:db8:1:2::"),
        (0, "", "2001:db8:aa:bb:cc::1", "2001:db8:aa:bb::"),
    ],
)
def test_client_address_is_allauths_rule(settings, count, forwarded_for, remote, counted):
    from allauth.core.internal.ratelimit import get_ip

    settings.ALLAUTH_TRUSTED_PROXY_COUNT = count
    headers = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for else {}
    request = RequestFactory().get("/", REMOTE_ADDR=remote, **headers)
    assert client_address(request) == get_ip(request) == counted


def test_the_setting_comes_from_the_environment():
    import os
    import subprocess
    import sys

    inherited = {name: value for name, value in os.environ.items() if name != "TRUSTED_PROXY_COUNT"}

    def count(env: dict) -> str:
        code = "from django.conf import settings; print(settings.ALLAUTH_TRUSTED_PROXY_COUNT)"
        result = subprocess.run(
            [sys.executable, "-c", f"import django; django.setup(); {code}"],
            env={**inherited, "DJANGO_SETTINGS_MODULE": "hubsite.settings", **env},
            capture_output=True,
            text=True,
            check=True,
            cwd=django_settings.BASE_DIR,
        )
        return result.stdout.strip()

    assert (count({}), count({"TRUSTED_PROXY_COUNT": "1"})) == ("0", "1")
