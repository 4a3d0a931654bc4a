from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = _("Seminars")
    # researchers.services.researcher_merge moves this app's rows through it (it imports no events).
    researcher_merge_service = "events.services.event_people_merge"

    def ready(self):
        from . import feed_cache

        feed_cache.connect()
