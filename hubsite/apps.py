from django.apps import AppConfig


class HubsiteConfig(AppConfig):
    name = "hubsite"
    verbose_name = "Hub infrastructure"

    def ready(self):
        from django.contrib.admin.models import LogEntry
        from django.db.models.signals import post_save

        from .pagecache import admin_change_logged

        # Every add, change and delete in the admin writes a LogEntry: one hook makes those
        # changes reach the public pages at once, like the services' changes do.
        post_save.connect(admin_change_logged, sender=LogEntry, dispatch_uid="pagecache-admin-log")
