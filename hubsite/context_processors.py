from django.conf import settings
from django.utils.translation import get_language


def hub(request):
    korean = (get_language() or "en").startswith("ko")
    return {
        "HUB_NAME": settings.HUB_NAME_KO if korean else settings.HUB_NAME,
        "SITE_URL": settings.SITE_URL,
    }
