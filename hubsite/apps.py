from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class HubsiteConfig(AppConfig):
    name = "hubsite"
    verbose_name = _("Hub infrastructure")

    def ready(self):
        from .sites import site_sync_after_migrate

        # Not business logic: like django.contrib.sites' own default site, the Site row is
        # infrastructure, kept in step with SITE_URL and HUB_NAME after every `migrate`.
        post_migrate.connect(site_sync_after_migrate, sender=self, dispatch_uid="hubsite.site_sync")
