"""What every URL pattern of the site answers to each kind of visitor: one table, one line a pattern.

The permission matrix (test_permission_matrix.py) walks the URL resolver, so a new URL cannot be
forgotten: a pattern with no line here fails the test with the line to add. Keys are the pattern
exactly as the resolver shows it (prefixes joined), e.g. "events/<slug:slug>/".

A line is an `Expect` with one status per role (anonymous, user, researcher, host, staff), usually
built with one of the helpers below:

    "partners/":                 public(),
    "events/<slug:slug>/":       public(url=lambda route: f"/events/{EventFactory().slug}/"),
    "visits/new/":               signed_in(),                 # anonymous -> 302 to sign in
    "visits/<int:pk>/endorse/":  Expect(302, 403, 403, 200, 200, url=...),

`url` builds a real path for a pattern with parameters (it gets the route and may create rows with
the factories); without it the route itself is the path. Admin URLs are matched by the rules in
ADMIN_RULES (changelist, add, change, ... of every registered model), so registering a model in
the admin needs no new line here, only, if the table has no row yet, an entry in ADMIN_OBJECTS.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django.apps import apps
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.contrib.sites.models import Site

from tests.factories import UserFactory

from .roles import ANONYMOUS, HOST, RESEARCHER, ROLES, STAFF, USER, make_staff_with_totp

UrlBuilder = Callable[[str], str]


@dataclass(frozen=True)
class Expect:
    anonymous: int
    user: int
    researcher: int
    host: int
    staff: int
    url: UrlBuilder | None = None
    # Why a POST without a CSRF token is acceptable here (empty: it must be refused with 403).
    csrf_exempt: str = ""

    def status_for(self, role: str) -> int:
        return getattr(self, role)


def public(status: int = 200, **kwargs) -> Expect:
    """The same answer for everyone."""
    return Expect(status, status, status, status, status, **kwargs)


def signed_in(status: int = 200, *, anonymous: int = 302, **kwargs) -> Expect:
    """Any signed-in person; anonymous visitors are sent to sign in."""
    return Expect(anonymous, status, status, status, status, **kwargs)


def anonymous_only(status: int = 200, *, signed_in: int = 302, **kwargs) -> Expect:
    """Pages for visitors who are not signed in (sign-up, sign-in); others are redirected."""
    return Expect(status, signed_in, signed_in, signed_in, signed_in, **kwargs)


def staff_only(status: int = 200, *, others: int = 302, **kwargs) -> Expect:
    """The admin: staff only; everyone else is sent to (or told to use) the staff sign-in."""
    return Expect(others, others, others, others, status, **kwargs)


# --- URL builders for patterns with parameters ---------------------------------------------


def _email_confirmation_url(route: str) -> str:
    user = UserFactory(verified=False)
    address = EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
    return f"/accounts/confirm-email/{EmailConfirmationHMAC(address).key}/"


def _password_reset_key_url(route: str) -> str:
    user = UserFactory()
    token = default_token_generator.make_token(user)
    return f"/accounts/password/reset/key/{user_pk_to_url_str(user)}-{token}/"


def _view_on_site_url(route: str) -> str:
    site = Site.objects.get_current()
    return f"/admin/r/{ContentType.objects.get_for_model(Site).pk}/{site.pk}/"


EXPECTATIONS: dict[str, Expect] = {
    # Health probes: answered by a middleware before CSRF, sessions and hosts; no state to protect.
    "healthz/live": public(csrf_exempt="probe answered before the CSRF middleware; changes nothing"),
    "healthz/ready": public(csrf_exempt="probe answered before the CSRF middleware; changes nothing"),
    # The language switcher takes POST only; a GET goes back where it came from.
    "i18n/setlang/": public(302),
    # allauth
    "accounts/login/": anonymous_only(),
    "accounts/logout/": signed_in(200),
    "accounts/inactive/": public(),
    "accounts/signup/": anonymous_only(),
    "accounts/reauthenticate/": signed_in(),
    "accounts/email/": signed_in(),
    "accounts/confirm-email/": public(),
    "accounts/password/change/": signed_in(),
    "accounts/password/set/": signed_in(302),
    "accounts/password/reset/": public(),
    "accounts/login/code/confirm/": public(302),
    r"accounts/^confirm-email/(?P<key>[-:\w]+)/$": public(url=_email_confirmation_url),
    "accounts/password/reset/key/done/": public(),
    r"accounts/^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$": public(
        302, url=_password_reset_key_url
    ),
    "accounts/password/reset/done/": public(),
    "accounts/2fa/": signed_in(),
    "accounts/2fa/authenticate/": public(302),
    # The MFA pages: only staff have an authenticator (TOTP, no recovery codes) in the matrix; the
    # pages that change it first ask to re-authenticate (302).
    "accounts/2fa/reauthenticate/": Expect(302, 302, 302, 302, 200),
    "accounts/2fa/totp/activate/": signed_in(302),
    "accounts/2fa/totp/deactivate/": Expect(302, 404, 404, 404, 302),
    "accounts/2fa/recovery-codes/": Expect(302, 404, 404, 404, 404),
    "accounts/2fa/recovery-codes/generate/": signed_in(302),
    "accounts/2fa/recovery-codes/download/": Expect(302, 404, 404, 404, 404),
    "accounts/3rdparty/login/cancelled/": public(),
    "accounts/3rdparty/login/error/": public(401),
    "accounts/3rdparty/signup/": public(302),
    "accounts/3rdparty/": signed_in(),
    # allauth's old addresses, kept as redirects to the new ones.
    "accounts/social/login/cancelled/": public(301),
    "accounts/social/login/error/": public(301),
    "accounts/social/signup/": public(301),
    "accounts/social/connections/": public(301),
    # The site's own pages.
    "": public(),
    # The activity report (reports): staff only; anonymous -> sign in, signed-in non-staff -> 403.
    "report/": Expect(302, 403, 403, 403, 200),
    "report/<slug:table>.csv": Expect(302, 403, 403, 403, 200, url=lambda route: "/report/attendance.csv"),
}


# --- The admin, by rule ---------------------------------------------------------------------


# Rows the admin's object URLs are built from, per model, when the table has none of its own.
# model label -> callable creating one row. Models not listed use their first existing row.
def _social_account():
    account = SocialAccount.objects.filter(provider="orcid").first()
    uid = "0000-0002-1825-0097"
    return account or SocialAccount.objects.create(user=UserFactory(), provider="orcid", uid=uid)


def _social_token():
    app = SocialApp.objects.create(provider="orcid", name="ORCID", client_id="id", secret="secret")
    return SocialToken.objects.create(app=app, account=_social_account(), token="token")


ADMIN_OBJECTS: dict[str, Callable[[], object]] = {
    "auth.group": lambda: Group.objects.create(name="Editors"),
    "mfa.authenticator": lambda: Authenticator.objects.get(user=make_staff_with_totp()[0]),
    "socialaccount.socialapp": lambda: _social_token().app,
    "socialaccount.socialtoken": _social_token,
    "socialaccount.socialaccount": _social_account,
}

_ADMIN_MODEL = re.compile(r"^admin/(?P<app>[a-z0-9_]+)/(?P<model>[a-z0-9_]+)/")


def admin_object_url(route: str) -> str:
    """Fill <path:object_id> or <id> of an admin route with a real row of its model."""
    match = _ADMIN_MODEL.match(route)
    model = apps.get_model(match["app"], match["model"])
    obj = model._default_manager.order_by("pk").first()
    if obj is None:
        factory = ADMIN_OBJECTS.get(model._meta.label_lower)
        assert factory is not None, (
            f"No {model._meta.label} row to build {route!r}: add "
            f"'{model._meta.label_lower}': lambda: <create one> to ADMIN_OBJECTS in {__name__}"
        )
        obj = factory()
    return "/" + re.sub(r"<(path:object_id|id)>", str(obj.pk), route)


# First matching rule wins. Every admin page is staff-only; others are sent to the sign-in.
ADMIN_RULES: list[tuple[str, Expect]] = [
    (r"^admin/$", staff_only()),
    # Staff sign in through allauth (and its MFA): the admin's own form only redirects there, and
    # refuses a signed-in person who is not staff.
    (r"^admin/login/$", Expect(302, 403, 403, 403, 302)),
    (r"^admin/logout/$", staff_only(405)),  # POST only
    (r"^admin/password_change/(done/)?$", staff_only()),
    (r"^admin/autocomplete/$", staff_only(403, others=302)),
    (r"^admin/jsi18n/$", staff_only()),
    # Sites have no public page, so "view on site" answers 404 even to staff.
    (r"^admin/r/", staff_only(404, url=_view_on_site_url)),
    (r"^admin/\^\(\?P<app_label>", staff_only(url=lambda route: "/admin/auth/")),
    (r"^admin/\(\?P<url>", staff_only(404, url=lambda route: "/admin/no/such/page/")),
    (r"^admin/[a-z0-9_]+/[a-z0-9_]+/$", staff_only()),
    (r"^admin/[a-z0-9_]+/[a-z0-9_]+/add/$", staff_only()),
    (
        r"^admin/[a-z0-9_]+/[a-z0-9_]+/<path:object_id>/(change|history|delete)/$",
        staff_only(url=admin_object_url),
    ),
    (r"^admin/[a-z0-9_]+/[a-z0-9_]+/<path:object_id>/$", staff_only(302, url=admin_object_url)),
    (r"^admin/auth/user/<id>/password/$", staff_only(url=admin_object_url)),
]


def expectation_for(route: str) -> Expect | None:
    if route in EXPECTATIONS:
        return EXPECTATIONS[route]
    if route.startswith("admin/"):
        for pattern, expect in ADMIN_RULES:
            if re.match(pattern, route):
                return expect
    return None


def path_for(route: str, expect: Expect) -> str:
    if expect.url is not None:
        return expect.url(route)
    assert "<" not in route and "(?P" not in route, (
        f"{route!r} has parameters: give its line in {__name__} a url=lambda route: '/real/path/'"
    )
    return "/" + route.lstrip("^").rstrip("$")


__all__ = ["ADMIN_OBJECTS", "ADMIN_RULES", "EXPECTATIONS", "ROLES", "Expect", "expectation_for", "path_for"]
assert (ANONYMOUS, USER, RESEARCHER, HOST, STAFF) == ROLES  # the field order of Expect
