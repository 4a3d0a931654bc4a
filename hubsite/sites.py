"""The site's name and domain come from the settings, never from a database row of their own.

django.contrib.sites keeps a `Site` row (allauth's mails say "Hello from {{ current_site.name }}",
the Atom feed builds its links from `current_site.domain`), created as "example.com" on a fresh
database. `site_sync()` makes that row say `SITE_URL`'s host and `HUB_NAME`; it runs after every
`migrate` (on each release, and on a new database), so a changed setting reaches the row then.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sites.models import SITE_CACHE, Site

from .i18n import in_language


def site_domain() -> str:
    """The host (and port, if any) of SITE_URL: "hub.example.org", "127.0.0.1:8000"."""
    return urlsplit(settings.SITE_URL).netloc or "localhost"


def site_name(language: str | None = None) -> str:
    """The hub's name for a reader of `language` (English when none is given): hubsite.i18n's rule."""
    return in_language(language or "en", settings.HUB_NAME, settings.HUB_NAME_KO)


def site_for_language(language: str | None) -> Site:
    """The current site as a mail in `language` names it (an unsaved copy: nothing is written)."""
    return Site(id=settings.SITE_ID, domain=site_domain(), name=site_name(language))


def site_sync(*, using: str = "default", site_model=Site) -> None:
    """Make the current Site row say what the settings say (an upsert; running it twice is harmless)."""
    site_model.objects.using(using).update_or_create(
        pk=settings.SITE_ID, defaults={"domain": site_domain(), "name": site_name()}
    )
    SITE_CACHE.clear()


def site_sync_after_migrate(sender, *, using: str = "default", apps=None, **kwargs) -> None:
    """post_migrate receiver (hubsite.apps): runs after every `migrate`, once the sites table exists."""
    try:
        model = apps.get_model("sites", "Site") if apps is not None else Site
    except LookupError:  # sites not installed or not migrated in this plan
        return
    site_sync(using=using, site_model=model)
