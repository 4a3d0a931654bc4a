from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.utils.functional import lazy

from . import health, mfa, views
from .access import admin_site_has_permission
from .admin_input import check_admin_input
from .i18n import hub_name
from .pagecache import bump_after_admin_posts

# Staff sign in through allauth like everyone else, so its rate limits and MFA protect the admin.
admin.site.login = secure_admin_login(admin.site.login)
# Staff rights mean staff with two-factor authentication (hubsite/access.py), in the admin too.
admin.site.has_permission = admin_site_has_permission
# Changes made in the admin reach the public pages at once (hubsite/pagecache.py).
bump_after_admin_posts(admin.site)
# Actions on ids no row can have, date filters outside the calendar: a message, not a server error.
check_admin_input(admin.site)
# The hub's name in the reader's language, read at each request as on every other page.
admin.site.site_header = admin.site.site_title = lazy(hub_name, str)()

urlpatterns = [
    path("healthz/live", health.live, name="healthz-live"),
    path("healthz/ready", health.ready, name="healthz-ready"),
    path("i18n/", include("django.conf.urls.i18n")),
    # allauth's authenticator set-up and recovery codes, remembering where staff were going.
    path("accounts/2fa/totp/activate/", mfa.activate_totp, name="mfa_activate_totp"),
    path("accounts/2fa/recovery-codes/", mfa.view_recovery_codes, name="mfa_view_recovery_codes"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("", include("researchers.urls")),
    path("", include("visits.urls")),
    path("", include("projects.urls")),
    path("", include("events.urls")),
    path("", include("reports.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, view=views.serve_media, document_root=settings.MEDIA_ROOT)
