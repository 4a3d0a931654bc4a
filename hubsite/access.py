"""Staff rights: one rule, asked by every page, action, query, template, feed and token.

**Staff rights mean staff with two-factor authentication.** A person has staff rights when their
account is an active staff account with an authenticator app (TOTP) *and* the session they use
passed the second step with one of the account's authenticators: allauth's authentication records
for the session hold an "mfa" record (the TOTP or a recovery code at sign-in, or an MFA
re-authentication), or the session set the authenticator up with a valid code (`hubsite.mfa`), and
that authenticator still exists (a reset authenticator ends the rights of the sessions that used
the old one). The account alone is not enough: a session
signed in with the password before the account had an authenticator (a stolen password, a
forgotten browser) would otherwise gain staff rights the moment someone else sets one up, and a
session whose owner never typed a code has shown one factor only. Every allauth sign-in path
(password, e-mail confirmation, ORCID) asks an account with TOTP for its code, so a real staff
sign-in always passes; only old sessions and sessions made without allauth (tests'
`force_login`) are left as ordinary people. Removing the authenticator ends staff rights at once.

A staff member without those is an ordinary signed-in person on every page; the admin sends them
to set up an authenticator (or, with one already, to type a code) — `StaffRightsMiddleware`.

Tokens (the arrivals feed) have no session: they work while their owner's account still holds
the account half of the rule (`staff_account_with_mfa`).
"""

from __future__ import annotations

import functools
from urllib.parse import urlencode

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.contrib.auth.middleware import get_user
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

# Set on the request's user by StaffRightsMiddleware: the authenticators this session passed with.
_SESSION_AUTHENTICATORS = "_hub_session_authenticators"
# Set by acting_from_the_shell on a staff account a management command acts as.
_SHELL = "_hub_acting_from_the_shell"
# Cached on the user object: one query per request for the account's authenticators {id: type}.
_AUTHENTICATORS = "_hub_authenticators"


def is_staff_account(user) -> bool:
    """An active account staff marked as staff, with or without staff rights now (where a staff
    member lands after signing in, whom the admin sends to set-up). Grants nothing by itself."""
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_staff)


def _authenticators(user) -> dict[int, str]:
    """{id: type} of the account's authenticators (cached on the user object for the request)."""
    if not getattr(user, "pk", None):
        return {}
    cached = getattr(user, _AUTHENTICATORS, None)
    if cached is None:
        cached = dict(Authenticator.objects.filter(user_id=user.pk).values_list("pk", "type"))
        setattr(user, _AUTHENTICATORS, cached)
    return cached


def has_totp(user) -> bool:
    """The account has an authenticator app."""
    return Authenticator.Type.TOTP in _authenticators(user).values()


def staff_account_with_mfa(user) -> bool:
    """The account half of the rule: an active staff account with an authenticator app. For
    things that have no session: a token a staff member minted works while this holds."""
    return is_staff_account(user) and has_totp(user)


def has_staff_rights(user) -> bool:
    """THE rule: may this person use staff rights (see the module's docstring)?

    `user` is the request's user (`request.user`, which knows whether its session passed the
    second step), or a staff account a management command acts as (`acting_from_the_shell`); any
    other user object (a task's, a token owner's) has no session and so no staff rights here.
    """
    if getattr(user, _SHELL, False):
        return is_staff_account(user)
    used = getattr(user, _SESSION_AUTHENTICATORS, ())
    return bool(used) and staff_account_with_mfa(user) and any(pk in _authenticators(user) for pk in used)


def acting_from_the_shell(user):
    """A staff account acting through a management command run on the server (`seed_demo`): whoever
    can run commands there holds more than any web session could be granted, so the shell stands in
    for the second step. The account must still be an active staff account. Never for a request."""
    setattr(user, _SHELL, True)
    return user


def authenticators_used(request, user) -> frozenset[int]:
    """The authenticators of the "mfa" records allauth wrote for this user in this session
    (sign-in, re-authentication, or the set-up in hubsite.mfa)."""
    records = get_authentication_records(request, user)
    return frozenset(record.get("id") for record in records if record.get("method") == "mfa")


def note_session(user, *, authenticators_used):
    """Attach what the session proved (the authenticators it passed with) to the user object
    that has_staff_rights() reads."""
    if user is not None and user.is_authenticated:
        setattr(user, _SESSION_AUTHENTICATORS, frozenset(authenticators_used))
    return user


def mfa_setup_url(next_url: str = "") -> str:
    url = reverse("mfa_activate_totp")
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def safe_next(request, url: str | None) -> str:
    """`url` if it stays on this site, else ""."""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return ""


def staff_rights_required(view):
    """Pages and actions for staff: anonymous visitors are sent to sign in; every other signed-in
    person, staff without two-factor authentication included, gets 403."""

    @functools.wraps(view)
    def guarded(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not has_staff_rights(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return guarded


def admin_site_has_permission(request) -> bool:
    """Django admin's own gate (AdminSite.has_permission), on the same rule."""
    return has_staff_rights(request.user)


class StaffRightsMiddleware:
    """Tells the request's user what its session proved, and keeps the admin for staff rights.

    After authentication (and allauth's middleware). A staff account without staff rights that
    opens an admin page is sent to set up an authenticator app, or, when it has one, to type a
    code from it; either way it comes back to the page it asked for. Signing out stays possible.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.user = SimpleLazyObject(
            lambda: note_session(
                get_user(request), authenticators_used=authenticators_used(request, get_user(request))
            )
        )
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # In process_view, after CsrfViewMiddleware's: a POST without its token is refused first.
        if not request.path.startswith(reverse("admin:index")) or request.path == reverse("admin:logout"):
            return None
        user = request.user
        if not is_staff_account(user) or has_staff_rights(user):
            return None
        if not has_totp(user):
            messages.warning(
                request,
                _("Staff must use two-factor authentication. Set up an authenticator app to open the admin."),
            )
            return redirect(mfa_setup_url(request.get_full_path()))
        messages.info(request, _("Enter a code from your authenticator app to open the admin."))
        return redirect(f"{reverse('mfa_reauthenticate')}?{urlencode({'next': request.get_full_path()})}")
