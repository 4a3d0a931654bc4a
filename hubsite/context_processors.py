from django.conf import settings

from .i18n import hub_name


def hub(request):
    return {
        "HUB_NAME": hub_name(),
        "SITE_URL": settings.SITE_URL,
    }
