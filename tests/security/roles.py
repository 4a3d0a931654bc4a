"""The kinds of visitor of the permission matrix, and how each one is signed in.

anonymous, a signed-in person with no profile (user), a researcher with a profile, and the people
the rows belong to: the registrant of the events the URL builders make, the visitor and the host of
their stays, the lead of their projects ("the cast", made once per matrix run, so the builders
hand the rows to them); then staff without two-factor authentication and staff with it.

Staff sign in the way a real staff member does: password, then a TOTP code from an authenticator
set up with allauth.mfa's own helpers. Staff without an authenticator sign in with the password
only: staff rights need both (hubsite/access.py), so they are ordinary signed-in people.
"""

import time
from dataclasses import dataclass

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.test import Client

from tests.factories import PASSWORD, ResearcherFactory, StaffFactory, UserFactory

ANONYMOUS = "anonymous"
USER = "user"
RESEARCHER = "researcher"
REGISTRANT = "registrant"
VISITOR = "visitor"
HOST = "host"
LEAD = "lead"
STAFF_WITHOUT_MFA = "staff_without_mfa"
STAFF = "staff"  # staff with two-factor authentication: staff rights
ROLES = (ANONYMOUS, USER, RESEARCHER, REGISTRANT, VISITOR, HOST, LEAD, STAFF_WITHOUT_MFA, STAFF)
SIGNED_IN_ROLES = ROLES[1:]


@dataclass(frozen=True)
class Cast:
    """The people the URL builders' rows belong to, one of each, for one matrix run."""

    registrant: object  # a user with a confirmed registration for each event the builders make
    visitor: object  # the Researcher (with an account) visiting in each stay the builders make
    host: object  # the Researcher (a hub member with an account) hosting those stays
    lead: object  # the Researcher (with an account) leading each project the builders make


_cast: Cast | None = None


def current_cast() -> Cast:
    """The cast of this test (made on first use; tests/security/conftest.py forgets it after)."""
    global _cast
    if _cast is None:
        _cast = Cast(
            registrant=UserFactory(),
            visitor=ResearcherFactory(user=UserFactory()),
            host=ResearcherFactory(user=UserFactory(), is_hub_member=True),
            lead=ResearcherFactory(user=UserFactory(), is_hub_member=True),
        )
    return _cast


def forget_cast() -> None:
    global _cast
    _cast = None


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
    cast = current_cast()
    users = {
        ANONYMOUS: lambda: None,
        USER: UserFactory,
        RESEARCHER: lambda: ResearcherFactory(user=UserFactory()).user,
        REGISTRANT: lambda: cast.registrant,
        VISITOR: lambda: cast.visitor.user,
        HOST: lambda: cast.host.user,
        LEAD: lambda: cast.lead.user,
        STAFF_WITHOUT_MFA: lambda: StaffFactory(totp=False),
    }
    if role == STAFF:
        return make_staff_with_totp()
    if role not in users:
        raise ValueError(f"unknown role {role!r}")
    return users[role](), None


def client_for_role(role: str, **client_kwargs) -> tuple[Client, object]:
    """A test client signed in as the user of that role; returns (client, user)."""
    client = Client(**client_kwargs)
    user, secret = make_user_for_role(role)
    if role == STAFF:
        sign_in_with_totp(client, email=user.email, secret=secret)
    elif role == STAFF_WITHOUT_MFA:
        # The real password sign-in; it answers with the way to the authenticator set-up.
        signed_in = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
        assert signed_in.status_code == 302, f"password step refused ({signed_in.status_code})"
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
