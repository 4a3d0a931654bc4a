"""Signing test clients in the way the site's rules need.

Staff rights need a session that passed two-factor authentication (hubsite/access.py). A test
that only wants a staff member's page signs them in with `force_login_with_mfa`: the session then
holds the record allauth writes after the authenticator step. The real two steps (password, then
a code) are walked in tests/security/roles.py and the account journeys.
"""

import time

from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.account.internal.flows.login import _AUTHENTICATION_METHODS_USER_SESSION_KEY
from allauth.mfa.models import Authenticator
from django.test import Client

BACKEND = "allauth.account.auth_backends.AuthenticationBackend"


def force_login_with_mfa(client: Client, user) -> Client:
    """Sign `user` in as if they had typed their password and a code from their authenticator."""
    client.force_login(user, backend=BACKEND)
    totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "mfa", "at": time.time(), "id": totp.pk if totp else None, "type": "totp"}
    ]
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
    session.save()
    return client
