"""Keeping cached calendar bytes true.

An event's own changes move its `updated` (and SEQUENCE), which is part of every cache key. What a
VEVENT shows from other rows (room, series, speakers and their institutions, themes) does not, so
any write to those rows moves the shared `related_version` stamp and every feed is rebuilt once.
These receivers only invalidate caches; they hold no rule of the site.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save

from hubsite.ical import bump_related_version


def _bump(sender, **kwargs):
    bump_related_version()


def connect() -> None:
    from researchers.models import Institution, Researcher, Theme

    from .models import Event, EventSpeaker, Room, Series

    for model in (Room, Series, Theme, Researcher, Institution, EventSpeaker):
        post_save.connect(_bump, sender=model, dispatch_uid=f"ical-bump-save-{model.__name__}")
        post_delete.connect(_bump, sender=model, dispatch_uid=f"ical-bump-delete-{model.__name__}")
    m2m_changed.connect(_bump, sender=Event.themes.through, dispatch_uid="ical-bump-event-themes")
