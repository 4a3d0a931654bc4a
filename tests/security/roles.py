"""The five kinds of visitor of the permission matrix, and how each one is signed in.

Staff sign in the way a real staff member does: password, then a TOTP code from an authenticator
set up with allauth.mfa's own helpers. So the matrix keeps working once the admin demands MFA.
"""

import time

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.test import Client

from tests.factories import PASSWORD, ResearcherFactory, StaffFactory, UserFactory

ANONYMOUS = "anonymous"
USER = "user"
RESEARCHER = "researcher"
HOST = "host"
STAFF = "staff"
ROLES = (ANONYMOUS, USER, RESEARCHER, HOST, STAFF)


def totp_code(secret: str, *, offset: int = 0) -> str:
    """The code an authenticator app shows now (offset in periods: -1 is the previous code)."""
    counter = int(time.time()) // mfa_settings.TOTP_PERIOD + offset
    return format_hotp_value(hotp_value(secret, counter))


def make_staff_with_totp(**kwargs):
    """A staff user with a TOTP authenticator whose secret we know; returns (user, secret).

    StaffFactory sets one up itself with a secret it keeps; `totp=False` skips that, so the one
    authenticator a user may have is this one.
    """
    staff = StaffFactory(totp=False, **kwargs)
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)
    return staff, secret


def sign_in_with_totp(client: Client, *, email: str, secret: str) -> None:
    """Sign in through allauth's real two steps; fails loudly if either step is refused."""
    first = client.post("/accounts/login/", {"login": email, "password": PASSWORD})
    assert first.status_code == 302, f"password step refused ({first.status_code})"
    if first["Location"].startswith("/accounts/2fa/authenticate/"):
        second = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
        assert second.status_code == 302, f"TOTP step refused ({second.status_code})"


def make_user_for_role(role: str):
    """The user behind a role (None for anonymous), plus the TOTP secret for staff."""
    if role == ANONYMOUS:
        return None, None
    if role == USER:
        return UserFactory(), None
    if role == RESEARCHER:
        return ResearcherFactory(user=UserFactory()).user, None
    if role == HOST:
        return ResearcherFactory(user=UserFactory(), is_hub_member=True).user, None
    if role == STAFF:
        return make_staff_with_totp()
    raise ValueError(f"unknown role {role!r}")


def client_for_role(role: str, **client_kwargs) -> tuple[Client, object]:
    """A test client signed in as a fresh user of that role; returns (client, user)."""
    client = Client(**client_kwargs)
    user, secret = make_user_for_role(role)
    if role == STAFF:
        sign_in_with_totp(client, email=user.email, secret=secret)
    elif user is not None:
        client.force_login(user, backend="allauth.account.auth_backends.AuthenticationBackend")
    return client, user


def clone_client(client: Client, **client_kwargs) -> Client:
    """A new client with a copy of `client`'s session, so one visit cannot sign out the next
    (a password-reset link, for example, signs the visitor out)."""
    from importlib import import_module

    from django.conf import settings

    fresh = Client(**client_kwargs)
    if settings.SESSION_COOKIE_NAME not in client.cookies:
        return fresh
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store.update(dict(client.session.items()))
    store.create()
    fresh.cookies[settings.SESSION_COOKIE_NAME] = store.session_key
    return fresh
