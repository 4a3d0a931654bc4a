"""{% calendar_subscribe_links %}: the addresses of one calendar feed for every kind of calendar app."""

from urllib.parse import urlencode, urlsplit

from django import template
from django.conf import settings
from django.http import QueryDict
from django.urls import reverse

from events.filters import EventFilterForm

register = template.Library()


def feed_links(feed_url: str, name: str) -> dict:
    parts = urlsplit(feed_url)
    webcal = parts._replace(scheme="webcal").geturl()
    return {
        "feed_url": feed_url,
        "webcal_url": webcal,
        "google_url": "https://calendar.google.com/calendar/render?" + urlencode({"cid": webcal}),
        "outlook_url": "https://outlook.live.com/calendar/0/addfromweb?"
        + urlencode({"url": feed_url, "name": name}),
    }


@register.simple_tag
def calendar_subscribe_links(query_string: str = "", name: str = "", path: str = "") -> dict:
    """Links for the events calendar with the page's filters (only the filter fields are kept)."""
    path = path or reverse("events:calendar_feed")
    query = QueryDict(query_string or "")
    kept = [(key, value) for key in EventFilterForm.base_fields for value in query.getlist(key) if value]
    url = f"{settings.SITE_URL}{path}" + (f"?{urlencode(kept)}" if kept else "")
    return feed_links(url, name or settings.HUB_NAME)
