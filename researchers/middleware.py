from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _


class StaffRequireMFAMiddleware:
    """Staff open no admin page until they have an authenticator app (TOTP) set up.

    A stolen staff password alone must not reach the admin. Signing out stays possible.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        admin_prefix = reverse("admin:index")
        if (
            request.path.startswith(admin_prefix)
            and request.path != reverse("admin:logout")
            and request.user.is_authenticated
            and request.user.is_staff
            and not Authenticator.objects.filter(user=request.user, type=Authenticator.Type.TOTP).exists()
        ):
            messages.warning(
                request,
                _("Staff must use two-factor authentication. Set up an authenticator app to open the admin."),
            )
            return redirect(f"{reverse('mfa_activate_totp')}")
        return self.get_response(request)
