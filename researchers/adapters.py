"""allauth glue: where people land after signing in, and linking on e-mail confirmation.

Mail goes through the outbox (hubsite.adapters.OutboxAccountAdapter), like every message the hub sends.
"""

import contextlib

from django.urls import reverse

from hubsite.adapters import OutboxAccountAdapter

from .models import Researcher
from .services import LinkRefused, researcher_link_account


class AccountAdapter(OutboxAccountAdapter):
    def confirm_email(self, request, email_address):
        confirmed = super().confirm_email(request, email_address)
        if confirmed:
            # An unverified or foreign address links nothing; the profile page explains the rest.
            with contextlib.suppress(LinkRefused):
                researcher_link_account(user=email_address.user, email_address=email_address)
        return confirmed

    def get_signup_redirect_url(self, request):
        return reverse("researchers:profile")

    def get_login_redirect_url(self, request):
        # A person without a profile yet lands on it, to link or fill one in.
        if not Researcher.objects.filter(user=request.user).exists():
            return reverse("researchers:profile")
        return super().get_login_redirect_url(request)
