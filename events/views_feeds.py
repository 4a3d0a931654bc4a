"""Calendar feed views: parse the request, pick the events, answer from the feed's state.

A conditional GET (If-None-Match / If-Modified-Since) is answered 304 from `feed.state()` alone,
before any calendar is built; otherwise the bytes come from the cache or are built once.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import translation
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.utils.module_loading import import_string
from django.views.decorators.http import require_safe

from hubsite import ical, pagecache
from hubsite.validators import is_random_token
from researchers.models import Theme

from .feeds import CalendarFeed, feed_window_start
from .filters import EventFilterForm
from .models import Event, PersonalCalendar, Series

FEED_MAX_AGE = 300


def feed_state(feed: CalendarFeed):
    """The feed's ETag and Last-Modified. For a shared feed (public, one of a bounded set) it is kept
    like a cached page, in one entry per feed: stamped with the content version that every change
    to what public pages show bumps (hubsite.pagecache), the version of the related rows and the
    feed's window, for at most PAGE_CACHE_SECONDS, so a conditional GET is answered without a query."""
    if not feed.shared or settings.PAGE_CACHE_SECONDS <= 0:
        return feed.state()
    key = "feedstate:" + ical.fingerprint(feed.key, feed.name)
    stamp = (pagecache.content_version(), ical.related_version(), feed_window_start())
    stored = cache.get(key)
    if isinstance(stored, tuple) and stored[0] == stamp:
        return stored[1]
    state = feed.state()
    cache.set(key, (stamp, state), settings.PAGE_CACHE_SECONDS)
    return state


def feed_response(
    request, feed: CalendarFeed, *, filename: str, private: bool = False, download: bool = False
):
    state = feed_state(feed)
    etag = f'"{state.etag}"'
    last_modified = int(state.last_modified.timestamp())
    response = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if response is None:
        response = HttpResponse(feed.render(state), content_type="text/calendar; charset=utf-8")
        disposition = "attachment" if download else "inline"
        response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified)
    response["Cache-Control"] = f"{'private' if private else 'public'}, max-age={FEED_MAX_AGE}"
    if private:
        response["X-Robots-Tag"] = "noindex"
    return response


def _calendar_title(*parts: str) -> str:
    return " – ".join([settings.HUB_NAME, *[part for part in parts if part]])


def filtered_view_name(form: EventFilterForm) -> str:
    """Words for the filters that took effect: 'Seminars – Robotics · Workshop · “scaling”'."""
    data = getattr(form, "cleaned_data", {}) or {}
    words = []
    for name, field in form.fields.items():
        value = data.get(name)
        if not value or name in form.errors or name in ("date_from", "date_to", "when"):
            continue
        if name == "series" and isinstance(value, str):
            value = Series.objects.filter(slug=value).values_list("title", flat=True).first() or value
        elif name == "theme" and isinstance(value, str):
            value = Theme.objects.filter(slug=value).values_list("name", flat=True).first() or value
        elif name == "q":
            value = f"“{value}”"
        elif hasattr(field, "choices") and not hasattr(value, "pk"):
            value = dict(field.choices).get(value, value)
        words.append(str(value))
    return _calendar_title("Seminars", " · ".join(words))


@require_safe
def events_calendar(request):
    """`/events/calendar.ics`: exactly the filters of the events page, as a subscribable calendar.

    The feed is named by what its form understood (cleaned values, one spelling; `when` is left
    out, the feed keeps its own window), so every spelling of a query is one feed; it is shared
    (kept in the cache) on the events page's terms: valid, no free text or dates, one filter."""
    with translation.override(settings.LANGUAGE_CODE):
        form = EventFilterForm(request.GET)
        queryset = form.filter(Event.objects.public(), apply_when=False)
        meaning = [(name, value) for name, value in pagecache.cleaned_query(form) if name != "when"]
        feed = CalendarFeed(
            key=f"events:{urlencode(meaning)}",
            name=filtered_view_name(form),
            queryset=queryset,
            shared=pagecache.page_query(form, unbounded=form.UNBOUNDED, tabs=["when"]) is not None,
        )
        return feed_response(request, feed, filename="seminars.ics")


@require_safe
def series_calendar(request, slug):
    with translation.override(settings.LANGUAGE_CODE):
        series = get_object_or_404(Series.objects.public(), slug=slug)
        feed = CalendarFeed(
            key=f"series:{series.pk}",
            name=_calendar_title(series.title),
            queryset=Event.objects.public().filter(series=series),
            shared=True,
        )
        return feed_response(request, feed, filename=f"{series.slug}.ics")


@require_safe
def event_calendar(request, slug):
    """`/events/<slug>/event.ics`: one event, as a download, whenever it was."""
    with translation.override(settings.LANGUAGE_CODE):
        event = get_object_or_404(Event.objects.visible_to(request.user), slug=slug)
        feed = CalendarFeed(
            key=f"event:{event.pk}:{event.visibility}",
            name=_calendar_title(event.title),
            queryset=Event.objects.filter(pk=event.pk),
            windowed=False,
            shared=event.visibility == "public",
        )
        return feed_response(
            request,
            feed,
            filename=f"{event.slug}.ics",
            download=True,
            private=event.visibility != "public",
        )


@require_safe
def personal_calendar(request, token, feed_class=None):
    """`/calendar/<token>.ics`: the person's seminars. A replaced token answers 404.

    settings.PERSONAL_CALENDAR_FEED names the PersonalFeed subclass to use, so a higher app
    extends the feed without this one importing it: visits adds the person's stays and the
    visitors they host (visits.feeds.PersonalFeedWithStays).
    """
    feed_class = feed_class or import_string(settings.PERSONAL_CALENDAR_FEED)
    calendar = None
    if is_random_token(token):
        calendar = PersonalCalendar.objects.select_related("user").filter(token=token).first()
    if calendar is None or not calendar.user.is_active:
        raise Http404("No calendar at this address; it may have been replaced.")
    with translation.override(settings.LANGUAGE_CODE):
        feed = feed_class(calendar.user, name=_calendar_title("My seminars"))
        return feed_response(request, feed, filename="my-seminars.ics", private=True)
