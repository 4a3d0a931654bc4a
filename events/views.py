import json

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from hubsite.access import has_staff_rights
from hubsite.i18n import hub_name
from hubsite.pagecache import page_query, public_page, store_query
from hubsite.text import markdown_to_plain
from researchers.models import Institution, Theme

from .filters import EventFilterForm
from .models import Event, Series
from .views_registration import never_stored_if_it_shows_the_link, registration_panel_context

EVENTS_PER_PAGE = 20
# The escaping of Django's json_script: no "</script>" or "<!--" can end the data block early.
JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@public_page
def home(request):
    upcoming = Event.objects.visible_to(request.user).upcoming().for_listing()[:6]
    context = {
        "upcoming": upcoming,
        "themes": Theme.objects.all(),
        "partners": Institution.objects.active_partners().exclude(logo="")[:12],
    }
    return render(request, "events/home.html", context)


def _page_or_error(request, queryset):
    """(page, error message): a page number that is not a number or past the end is a clear 404."""
    paginator = Paginator(queryset, EVENTS_PER_PAGE)
    raw = request.GET.get("page", "1")
    if not raw.isdigit() or int(raw) < 1:
        return None, _("“%(page)s” is not a page number.") % {"page": raw[:20]}
    number = int(raw)
    if number > paginator.num_pages:
        return None, _("There is no page %(page)d: this list has %(pages)d page(s).") % {
            "page": number,
            "pages": paginator.num_pages,
        }
    return paginator.page(number), None


@public_page(query=[*EventFilterForm.base_fields, "page"])
def event_list(request):
    form = EventFilterForm(request.GET)
    events = form.filter(Event.objects.visible_to(request.user)).for_listing()
    page, error = _page_or_error(request, events)
    if page is not None:
        store_query(request, page_query(form, unbounded=form.UNBOUNDED, tabs=["when"], page=page.number))
    # Links to other pages keep every filter in the URL.
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "events": page.object_list if page else [],
        "page_error": error,
        "is_past": form.is_past,
        "query_string": query.urlencode(),
    }
    return render(request, "events/event_list.html", context, status=404 if error else 200)


def _event_json_ld(request, event: Event) -> str:
    data = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": event.display_title,
        "startDate": event.local_start.isoformat(),
        "endDate": event.local_end.isoformat(),
        "eventStatus": "https://schema.org/EventCancelled"
        if event.is_cancelled
        else "https://schema.org/EventScheduled",
        "eventAttendanceMode": {
            Event.Format.IN_PERSON: "https://schema.org/OfflineEventAttendanceMode",
            Event.Format.ONLINE: "https://schema.org/OnlineEventAttendanceMode",
            Event.Format.HYBRID: "https://schema.org/MixedEventAttendanceMode",
        }[event.format],
        "url": settings.SITE_URL + event.get_absolute_url(),
        "description": markdown_to_plain(event.abstract)[:500],
        "inLanguage": event.language if event.language != Event.Language.OTHER else None,
        "organizer": {"@type": "Organization", "name": hub_name(), "url": settings.SITE_URL},
        "performer": [
            {"@type": "Person", "name": link.researcher.display_name}
            for link in event.speaker_links.all()
            if link.role != link.Role.CHAIR
        ],
    }
    locations = []
    if event.room_id and event.has_in_person_part:
        locations.append(
            {
                "@type": "Place",
                "name": f"{event.room.name}, {hub_name()}",
                "address": event.room.location or hub_name(),
            }
        )
    if event.has_online_part:
        # The event's page, never the meeting link: that is for confirmed registrants only
        # (events.models.online_link_for), and this block is the same for every reader.
        locations.append({"@type": "VirtualLocation", "url": settings.SITE_URL + event.get_absolute_url()})
    if locations:
        data["location"] = locations[0] if len(locations) == 1 else locations
    data = {key: value for key, value in data.items() if value not in (None, "", [])}
    return mark_safe(json.dumps(data, ensure_ascii=False).translate(JSON_SCRIPT_ESCAPES))  # noqa: S308


@public_page
def event_detail(request, slug):
    event = get_object_or_404(Event.objects.for_listing(), slug=slug)
    if event.is_draft and not has_staff_rights(request.user):
        raise Http404
    if event.visibility == Event.Visibility.MEMBERS and not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    context = {
        "event": event,
        "speaker_links": list(event.speaker_links.all()),
        "themes": list(event.themes.all()),
        "json_ld": _event_json_ld(request, event),
        "og_description": markdown_to_plain(event.abstract)[:300],
        "absolute_url": settings.SITE_URL + event.get_absolute_url(),
    }
    if not event.is_draft:
        context.update(registration_panel_context(request, event))
    response = render(request, "events/event_detail.html", context)
    return never_stored_if_it_shows_the_link(response, context.get("online_link", ""))


@public_page
def series_list(request):
    series = Series.objects.public().prefetch_related("themes").order_by("title")
    return render(request, "events/series_list.html", {"series_list": series})


SERIES_PAST_SESSIONS = 30


@public_page
def series_detail(request, slug):
    visible = Series.objects.all() if has_staff_rights(request.user) else Series.objects.public()
    series = get_object_or_404(
        visible.select_related("default_room").prefetch_related("themes", "organisers__institution"),
        slug=slug,
    )
    sessions = Event.objects.visible_to(request.user).filter(series=series).for_listing()
    context = {
        "series": series,
        "upcoming": list(sessions.upcoming()[:50]),
        "past": list(sessions.past()[:SERIES_PAST_SESSIONS]),
    }
    return render(request, "events/series_detail.html", context)
