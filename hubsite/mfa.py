"""Setting up the authenticator app, as allauth does it, plus what staff need on the way:

- the set-up remembers where the person was going (`?next=`), and the recovery codes page shown
  right after it offers the way back there;
- typing a valid code from the new authenticator is the session's second step, recorded as
  allauth records one at sign-in, so the staff member who just set it up has staff rights
  (hubsite.access) without signing in again.

Wired in hubsite/urls.py at allauth's own addresses, before allauth's URLs.
"""

from urllib.parse import urlencode

from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.views import ViewRecoveryCodesView
from allauth.mfa.totp.views import ActivateTOTPView

from .access import safe_next

NEXT_SESSION_KEY = "hub_mfa_setup_next"


class ActivateAuthenticatorView(ActivateTOTPView):
    def get(self, request, *args, **kwargs):
        # The form posts to the bare address, so the destination waits in the session.
        next_url = safe_next(request, request.GET.get("next"))
        if next_url:
            request.session[NEXT_SESSION_KEY] = next_url
        else:
            request.session.pop(NEXT_SESSION_KEY, None)
        return super().get(request, *args, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        totp = Authenticator.objects.get(user_id=self.request.user.pk, type=Authenticator.Type.TOTP)
        record_authentication(
            self.request, self.request.user, "mfa", id=totp.pk, type=totp.type, activated=True
        )
        return response

    def get_success_url(self) -> str:
        next_url = self.request.session.pop(NEXT_SESSION_KEY, "")
        if not self.did_generate_recovery_codes:
            return next_url or super().get_success_url()
        # The new recovery codes are shown once, before the person goes on.
        url = super().get_success_url()
        return f"{url}?{urlencode({'next': next_url})}" if next_url else url


class RecoveryCodesView(ViewRecoveryCodesView):
    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        context["continue_url"] = safe_next(self.request, self.request.GET.get("next"))
        return context


activate_totp = ActivateAuthenticatorView.as_view()
view_recovery_codes = RecoveryCodesView.as_view()
