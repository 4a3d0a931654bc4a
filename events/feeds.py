"""Feeds of seminars: iCalendar (the events page's filtered views, one series, one event, a
person's) and the Atom feed of newly published events (Django's syndication framework).

iCalendar feeds are built in two steps so that a change rebuilds one event only:
1. `state()`: one aggregate query (count, last change, sum of SEQUENCEs of the feed's events) plus
   the shared related-version stamp give the ETag and Last-Modified. A conditional GET is answered
   from this alone; a shared feed's bytes are cached under its identity with the ETag they match.
2. `render()`: on a miss, the feed's (UID, SEQUENCE, updated) rows are read and each event's VEVENT
   bytes come from the cache; only the missing ones are loaded with their relations and built.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.syndication.views import Feed
from django.core.cache import cache
from django.db.models import Count, Max, Prefetch, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hubsite import dates, ical
from hubsite.i18n import hub_name
from hubsite.text import render_markdown

from .models import Event, EventSpeaker, Registration

FEED_PAST_DAYS = 90
# A bound on any feed, whatever the query string asks for (the window already bounds the past).
FEED_MAX_EVENTS = 5000
# A shared feed's bytes are kept this long under its identity (one entry per feed, replaced when
# the feed changes); every other feed is assembled from the per-event cache on each full GET.
FEED_CACHE_SECONDS = 60 * 60
_BUILD_CHUNK = 500


def feed_window_start(now: dt.datetime | None = None) -> dt.datetime:
    """90 days ago, at midnight UTC, so the window (and the ETag) moves once a day, not every second."""
    now = now or timezone.now()
    start = now.astimezone(dt.UTC) - dt.timedelta(days=FEED_PAST_DAYS)
    return start.replace(hour=0, minute=0, second=0, microsecond=0)


def with_calendar_relations(queryset):
    """Everything a VEVENT shows, in as few queries as the relations need."""
    speakers = EventSpeaker.objects.select_related("researcher__institution").order_by("order", "pk")
    return queryset.select_related("room", "series").prefetch_related(
        "themes", Prefetch("speaker_links", queryset=speakers)
    )


def events_for_calendar(pks) -> list[Event]:
    return list(with_calendar_relations(Event.objects.filter(pk__in=pks)))


@dataclass(frozen=True)
class FeedState:
    etag: str
    last_modified: dt.datetime


@dataclass
class CalendarFeed:
    """A calendar of events: `key` names the view (it is part of the ETag), `name` is X-WR-CALNAME.

    `key` is made of cleaned, canonical values only (never raw input), so spellings of one feed
    share it. `shared` marks a public feed of a bounded set (the events feed with at most one
    filter, a series): only such feeds keep their state and bytes in the cache, one entry each.
    """

    key: str
    name: str
    queryset: object
    windowed: bool = True
    extra_version: tuple = field(default_factory=tuple)
    shared: bool = False

    @property
    def cache_key(self) -> str:
        """The one cache entry of a shared feed's bytes (replaced, never added to, when it changes)."""
        return "ical:feed:" + ical.fingerprint(self.key, self.name)

    def events(self):
        queryset = self.queryset
        if self.windowed:
            queryset = queryset.filter(end__gte=feed_window_start())
        return queryset.order_by("start", "pk")[:FEED_MAX_EVENTS]

    def state(self) -> FeedState:
        window = self.events()
        totals = Event.objects.filter(pk__in=window.values("pk")).aggregate(
            count=Count("pk"), last=Max("updated"), sequences=Sum("sequence")
        )
        version = ical.related_version()
        etag = ical.fingerprint(
            self.key,
            self.name,
            totals["count"],
            totals["last"],
            totals["sequences"],
            version,
            feed_window_start() if self.windowed else None,
            self.extra_version,
        )
        moments = [ical.related_version_time(version)]
        if totals["last"] is not None:
            moments.append(totals["last"].replace(microsecond=0))
        return FeedState(etag=etag, last_modified=max(moments))

    def render(self, state: FeedState) -> bytes:
        if not self.shared:
            return self.build()
        stored = cache.get(self.cache_key)
        if isinstance(stored, tuple) and stored[0] == state.etag:
            return stored[1]
        data = self.build()
        cache.set(self.cache_key, (state.etag, data), FEED_CACHE_SECONDS)
        return data

    def build(self) -> bytes:
        vevents, tzids, moments = self.collect()
        return ical.calendar_bytes(
            name=self.name, vevents=vevents, tzids=tzids, years=ical.timezone_years(moments)
        )

    def collect(self) -> tuple[list[bytes], set[str], list[dt.datetime]]:
        """The feed's VEVENT bytes, the TZIDs they use and their starts (for the VTIMEZONE years)."""
        version = ical.related_version()
        rows = list(
            self.events().values_list("pk", "calendar_uid", "sequence", "updated", "time_zone", "start")
        )
        keys = {pk: ical.vevent_cache_key(uid) for pk, uid, *_rest in rows}
        stamps = {
            pk: ical.vevent_stamp(sequence=sequence, updated=updated, version=version)
            for pk, _uid, sequence, updated, _zone, _start in rows
        }
        stored = cache.get_many(list(keys.values()))
        cached = {}
        for pk, key in keys.items():
            data = ical.cached_vevent(stored.get(key), stamps[pk])
            if data is not None:
                cached[key] = data
        missing = [pk for pk, key in keys.items() if key not in cached]
        built = {}
        if missing and len(missing) == len(rows):
            # Cold: load the feed's own query once with its relations rather than by primary keys.
            batches = [with_calendar_relations(self.events())]
        else:
            batches = (
                events_for_calendar(missing[offset : offset + _BUILD_CHUNK])
                for offset in range(0, len(missing), _BUILD_CHUNK)
            )
        for batch in batches:
            for event in batch:
                built[keys[event.pk]] = (stamps[event.pk], ical.event_component(event).to_ical())
        if built:
            cache.set_many(built, ical.VEVENT_CACHE_SECONDS)
        cached.update({key: data for key, (_stamp, data) in built.items()})
        vevents = [cached[keys[pk]] for pk, *_rest in rows if keys[pk] in cached]
        return vevents, {row[4] for row in rows}, [row[5] for row in rows]


def personal_calendar_events(user):
    """The seminars a person holds a confirmed seat at (cancelled events stay, as CANCELLED: their
    registrations ended with the event)."""
    registered = Registration.objects.for_user(user).filter(
        status__in=[Registration.Status.CONFIRMED, Registration.Status.EVENT_CANCELLED]
    )
    return Event.objects.published().filter(pk__in=registered.values("event_id"))


class PersonalFeed(CalendarFeed):
    """A person's own calendar. A higher layer (visits) extends it by subclassing: see `extra_vevents`."""

    def __init__(self, user, *, name: str):
        registrations = Registration.objects.for_user(user).aggregate(count=Count("pk"), last=Max("updated"))
        super().__init__(
            key=f"personal:{user.pk}",
            name=name,
            queryset=personal_calendar_events(user),
            extra_version=(registrations["count"], registrations["last"], *self.extra_version_of(user)),
        )
        self.user = user

    def extra_version_of(self, user) -> tuple:
        """What else the feed shows, as a value that changes when it changes (stays, hosted visitors)."""
        return ()

    def extra_vevents(self) -> list[tuple[bytes, str, dt.datetime]]:
        """More VEVENTs for the calendar, each as (bytes, TZID or None for all-day, a moment in it)."""
        return []

    def collect(self):
        vevents, tzids, moments = super().collect()
        for vevent, tzid, moment in self.extra_vevents():
            vevents.append(vevent)
            if tzid:  # all-day entries (stays) carry no time zone
                tzids.add(tzid)
            moments.append(moment)
        return vevents, tzids, moments


# --- Atom feed of newly published events -----------------------------------------------

FEED_ITEMS = 30


class NewEventsAtomFeed(Feed):
    """Every link is absolute from SITE_URL and the author is the hub, by its name in the reader's
    language (hubsite.sites): never the sites framework's "example.com"."""

    feed_type = Atom1Feed
    title = gettext_lazy("New seminars and events")

    def link(self):
        return ical.absolute_url(reverse("events:list"))

    def feed_url(self):
        return ical.absolute_url(reverse("events:feed_atom"))

    def author_name(self):
        return hub_name()

    def author_link(self):
        return ical.absolute_url("/")

    def subtitle(self):
        return _("Events newly published by %(hub)s.") % {"hub": hub_name()}

    def item_link(self, item: Event) -> str:
        return ical.event_page_url(item)

    def items(self):
        return (
            Event.objects.public()
            .filter(published_at__isnull=False)
            .select_related("series", "room")
            .order_by("-published_at", "-pk")[:FEED_ITEMS]
        )

    def item_title(self, item: Event) -> str:
        if item.is_cancelled:
            return _("Cancelled: %(title)s") % {"title": item.display_title}
        return item.display_title

    def item_description(self, item: Event) -> str:
        when = dates.time_range(item.start, item.end, zone=item.time_zone)
        place = item.room.name if item.room_id else _("Online")
        header = format_html("<p>{} · {}</p>", when, place)
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
