from django.conf import settings
from django.utils.translation import get_language

from .access import has_staff_rights


def hub(request):
    korean = (get_language() or "en").startswith("ko")
    return {
        "HUB_NAME": settings.HUB_NAME_KO if korean else settings.HUB_NAME,
        "SITE_URL": settings.SITE_URL,
        # Templates ask `{% if staff_rights %}`; called only where a template asks (hubsite/access.py).
        "staff_rights": lambda: has_staff_rights(request.user),
    }
