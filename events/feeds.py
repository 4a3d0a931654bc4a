"""Atom feed of newly published events (Django's syndication framework).

The iCalendar feeds live beside this one (added by the registrations and feeds work).
"""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hubsite.text import render_markdown

from .models import Event

FEED_ITEMS = 30


class NewEventsAtomFeed(Feed):
    feed_type = Atom1Feed
    link = "/events/"
    title = gettext_lazy("New seminars and events")

    def subtitle(self):
        return _("Events newly published by %(hub)s.") % {"hub": settings.HUB_NAME}

    def items(self):
        return (
            Event.objects.public()
            .filter(published_at__isnull=False)
            .select_related("series", "room")
            .order_by("-published_at", "-pk")[:FEED_ITEMS]
        )

    def item_title(self, item: Event) -> str:
        if item.is_cancelled:
            return _("Cancelled: %(title)s") % {"title": item.title}
        return item.title

    def item_description(self, item: Event) -> str:
        when = item.local_start.strftime("%Y-%m-%d %H:%M")
        place = item.room.name if item.room_id else _("Online")
        header = format_html("<p>{} ({}) · {}</p>", when, item.time_zone, place)
        if item.is_cancelled:
            header += format_html(
                "<p>{}</p>", _("Cancelled: %(reason)s") % {"reason": item.cancellation_reason}
            )
        return header + render_markdown(item.abstract)

    def item_pubdate(self, item: Event):
        return item.published_at

    def item_updateddate(self, item: Event):
        return item.updated

    def item_guid(self, item: Event) -> str:
        return f"urn:uuid:{item.calendar_uid}"

    item_guid_is_permalink = False
