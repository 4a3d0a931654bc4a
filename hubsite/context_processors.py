from django.conf import settings

from .access import has_staff_rights
from .i18n import hub_name


def hub(request):
    return {
        "HUB_NAME": hub_name(),
        "SITE_URL": settings.SITE_URL,
        # Templates ask `{% if staff_rights %}`; called only where a template asks (hubsite/access.py).
        "staff_rights": lambda: has_staff_rights(request.user),
    }
