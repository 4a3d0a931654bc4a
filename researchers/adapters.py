"""allauth glue: where people land after signing in, and linking on e-mail confirmation.

Mail goes through the outbox (hubsite.adapters.OutboxAccountAdapter), like every message the hub sends.
"""

import contextlib
import time

from allauth.account import app_settings as account_settings
from allauth.account.authentication import get_authentication_records
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from hubsite.access import has_totp, is_staff_account, mfa_setup_url
from hubsite.adapters import OutboxAccountAdapter

from .models import Researcher
from .services import LinkRefused, researcher_link_account

# Sign-ins that prove the password (and the code): a fresh one counts as a recent re-authentication.
# A session begun by e-mail confirmation or ORCID proves neither, so it is still asked.
PROVING_METHODS = ("password", "mfa")


class AccountAdapter(OutboxAccountAdapter):
    def confirm_email(self, request, email_address):
        confirmed = super().confirm_email(request, email_address)
        if confirmed:
            # An unverified or foreign address links nothing; the profile page explains the rest.
            with contextlib.suppress(LinkRefused):
                researcher_link_account(user=email_address.user, email_address=email_address)
        return confirmed

    def get_signup_redirect_url(self, request):
        if is_staff_account(request.user):
            return reverse("admin:index")
        return reverse("researchers:profile")

    def get_login_redirect_url(self, request):
        # Staff work in the admin (which sends a staff member without an authenticator to set one up).
        if is_staff_account(request.user):
            return reverse("admin:index")
        # A person without a profile yet lands on it, to link or fill one in.
        if not Researcher.objects.filter(user=request.user).exists():
            return reverse("researchers:profile")
        return super().get_login_redirect_url(request)

    def post_login(self, request, user, **kwargs):
        """A staff member without an authenticator app goes from signing in straight to setting one
        up, and from there on to where they were going."""
        response = super().post_login(request, user, **kwargs)
        if is_staff_account(user) and not has_totp(user) and isinstance(response, HttpResponseRedirect):
            messages.warning(
                request,
                _("Staff must use two-factor authentication. Set up an authenticator app to continue."),
            )
            return HttpResponseRedirect(mfa_setup_url(response.url))
        return response

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        """allauth asks for the password again before sensitive changes (adding an authenticator,
        deleting the account) unless the person re-authenticated in the last few minutes; a
        sign-in with the password in that time counts too, so nobody types it twice in a row."""
        if not super().is_reauthentication_required(app=app, **kwargs):
            return False
        return not self._signed_in_recently()

    def _signed_in_recently(self) -> bool:
        request = self.request
        if request is None or not request.user.is_authenticated:
            return False
        timeout = account_settings.REAUTHENTICATION_TIMEOUT
        return any(
            record.get("method") in PROVING_METHODS and time.time() - record.get("at", 0) < timeout
            for record in get_authentication_records(request, request.user)
        )
