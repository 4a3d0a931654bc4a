import datetime as dt
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import vobject
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date
from icalendar import Calendar

from events import services
from events.feeds import FEED_MAX_EVENTS, CalendarFeed
from events.models import Event, PersonalCalendar
from hubsite import ical
from tests.factories import (
    EventFactory,
    EventSpeakerFactory,
    RegistrationFactory,
    SeriesFactory,
    ThemeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

REQUIRED = [
    "UID",
    "DTSTAMP",
    "DTSTART",
    "DTEND",
    "SUMMARY",
    "DESCRIPTION",
    "LOCATION",
    "URL",
    "SEQUENCE",
    "STATUS",
    "LAST-MODIFIED",
    "CATEGORIES",
]


def parse(response):
    """Both parsers must read the feed; returns icalendar's calendar."""
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    data = response.content
    calendar = Calendar.from_ical(data)
    vobject.readOne(data.decode("utf-8"))
    return calendar


def uids(calendar):
    return [str(event["UID"]) for event in calendar.events]


def themed_event(**kwargs):
    event = EventFactory(**kwargs)
    event.themes.add(ThemeFactory())
    EventSpeakerFactory(event=event)
    return event


FEED = reverse("events:calendar_feed")


def test_events_feed_parses_and_every_vevent_carries_the_listed_properties(client):
    themed_event(time_zone="Europe/Berlin")
    themed_event()
    calendar = parse(client.get(FEED))
    assert len(calendar.events) == 2
    for vevent in calendar.events:
        assert [name for name in REQUIRED if name not in vevent] == []
        assert vevent["DTSTART"].params["TZID"] in {"Europe/Berlin", "Asia/Seoul"}
    assert sorted(tz.tz_name for tz in calendar.timezones) == ["Asia/Seoul", "Europe/Berlin"]
    assert str(calendar["PRODID"]) == ical.prodid()
    assert str(calendar["X-WR-CALNAME"]) == "Seoul AI Research Hub – Seminars"
    assert "REFRESH-INTERVAL" in calendar
    assert "X-PUBLISHED-TTL" in calendar


def test_events_feed_takes_the_filters_of_the_events_page_and_names_the_view(client):
    series = SeriesFactory(title="Scaling Seminar")
    wanted = EventFactory(series=series, kind="workshop")
    EventFactory(series=series, kind="seminar")
    EventFactory(kind="workshop")
    calendar = parse(client.get(FEED, {"series": series.slug, "kind": "workshop"}))
    assert uids(calendar) == [ical.event_uid(wanted)]
    assert str(calendar["X-WR-CALNAME"]) == "Seoul AI Research Hub – Seminars – Scaling Seminar · Workshop"


def test_events_feed_search_filter(client):
    wanted = EventFactory(title="Compute-optimal training")
    EventFactory(title="Robots")
    assert uids(parse(client.get(FEED, {"q": "compute"}))) == [ical.event_uid(wanted)]


def test_filter_values_that_match_nothing_give_an_empty_but_valid_calendar(client):
    EventFactory(kind="seminar")
    unused_theme = ThemeFactory()
    # Valid values whose combination matches no event (unknown values are ignored, as on /events/).
    calendar = parse(client.get(FEED, {"theme": unused_theme.slug, "kind": "workshop", "q": "no such words"}))
    assert calendar.events == []
    assert str(calendar["PRODID"]) == ical.prodid()


def test_invalid_filter_values_are_ignored(client):
    event = EventFactory()
    assert uids(parse(client.get(FEED, {"kind": "<script>", "date_from": "not-a-date"}))) == [
        ical.event_uid(event)
    ]


def test_feed_window_is_the_last_90_days_and_the_future_whatever_the_query_asks(client):
    now = timezone.now()
    recent = EventFactory(start=now - dt.timedelta(days=80))
    EventFactory(start=now - dt.timedelta(days=100))
    future = EventFactory(start=now + dt.timedelta(days=400))
    calendar = parse(client.get(FEED, {"when": "all", "date_from": "1900-01-01", "page": "999999"}))
    assert uids(calendar) == [ical.event_uid(recent), ical.event_uid(future)]


def test_feed_is_bounded_in_size():
    feed = CalendarFeed(key="x", name="x", queryset=Event.objects.all())
    assert feed.events().query.high_mark == FEED_MAX_EVENTS


def test_public_feed_leaves_out_drafts_and_members_only_events(client):
    public = EventFactory()
    EventFactory(status="draft")
    EventFactory(visibility="members")
    assert uids(parse(client.get(FEED))) == [ical.event_uid(public)]


def test_a_cancelled_event_stays_in_the_feed_as_cancelled(client):
    event = EventFactory()
    Event.objects.filter(pk=event.pk).update(
        status="cancelled", cancellation_reason="Speaker ill", sequence=1, updated=timezone.now()
    )
    (vevent,) = parse(client.get(FEED)).events
    assert str(vevent["STATUS"]) == "CANCELLED"
    assert str(vevent["UID"]) == ical.event_uid(event)


def test_a_moved_event_keeps_its_uid_with_a_higher_sequence(client):
    event = EventFactory()
    (before,) = parse(client.get(FEED)).events
    event.start += dt.timedelta(days=1)
    event.end += dt.timedelta(days=1)
    event.sequence += 1
    event.save()
    (after,) = parse(client.get(FEED)).events
    assert str(after["UID"]) == str(before["UID"])
    assert after["SEQUENCE"] == before["SEQUENCE"] + 1
    moved_by = after.DTSTART - before.DTSTART
    assert moved_by == dt.timedelta(days=1)


def test_conditional_get_with_the_etag_gets_304_without_building(client):
    EventFactory()
    first = client.get(FEED)
    etag = first["ETag"]
    with mock.patch.object(CalendarFeed, "render", side_effect=AssertionError("built")):
        second = client.get(FEED, HTTP_IF_NONE_MATCH=etag)
        third = client.get(FEED, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert (second.status_code, second.content, second["ETag"]) == (304, b"", etag)
    assert third.status_code == 304


def test_the_etag_changes_when_anything_in_the_feed_changes(client):
    event = EventFactory()
    first = client.get(FEED)["ETag"]
    assert client.get(FEED)["ETag"] == first
    event.title = "Renamed"
    event.save()
    second = client.get(FEED)["ETag"]
    speaker = EventSpeakerFactory(event=event)
    third = client.get(FEED)["ETag"]
    speaker.researcher.name = "Renamed speaker"
    speaker.researcher.save()
    fourth = client.get(FEED, HTTP_IF_NONE_MATCH=third)
    event.themes.add(ThemeFactory())
    fifth = client.get(FEED)["ETag"]
    assert len({first, second, third, fourth["ETag"], fifth}) == 5
    assert fourth.status_code == 200
    assert b"Renamed speaker" in fourth.content


def test_last_modified_follows_the_latest_change(client):
    event = EventFactory()
    response = client.get(FEED)
    assert response["Last-Modified"] == http_date(
        max(event.updated, ical.related_version_time(ical.related_version())).timestamp()
    )


def test_bytes_are_cached_and_a_change_rebuilds_one_event_only(client):
    events = [themed_event() for _ in range(5)]
    with mock.patch("hubsite.ical.event_component", wraps=ical.event_component) as built:
        client.get(FEED)
        assert built.call_count == 5
        client.get(FEED)
        assert built.call_count == 5
        events[2].title = "Changed"
        events[2].save()
        client.get(FEED)
        assert built.call_count == 6


def test_cached_feed_answers_in_few_queries(client, django_assert_num_queries):
    for _ in range(3):
        themed_event()
    client.get(FEED)
    with django_assert_num_queries(1):
        client.get(FEED)


@pytest.mark.parametrize("count", [1, 15])
def test_cold_feed_query_count_does_not_grow_with_events(client, django_assert_num_queries, count):
    for _ in range(count):
        themed_event()
    # The feed's state, its (UID, SEQUENCE) rows, the events, their themes, their speakers.
    with django_assert_num_queries(5):
        response = client.get(FEED)
    assert len(parse(response).events) == count


def test_series_feed_has_the_series_events(client):
    series = SeriesFactory(title="Robotics FM")
    inside = EventFactory(series=series)
    EventFactory()
    calendar = parse(client.get(reverse("events:series_calendar", kwargs={"slug": series.slug})))
    assert uids(calendar) == [ical.event_uid(inside)]
    assert str(calendar["X-WR-CALNAME"]) == "Seoul AI Research Hub – Robotics FM"


def test_series_feed_of_a_hidden_series_is_404(client):
    series = SeriesFactory(is_public=False)
    assert client.get(reverse("events:series_calendar", kwargs={"slug": series.slug})).status_code == 404


def test_single_event_ics_is_a_download_even_for_an_old_event(client):
    event = EventFactory(start=timezone.now() - dt.timedelta(days=400))
    response = client.get(reverse("events:event_calendar", kwargs={"slug": event.slug}))
    assert response["Content-Disposition"] == f'attachment; filename="{event.slug}.ics"'
    assert uids(parse(response)) == [ical.event_uid(event)]


def test_single_event_ics_of_a_draft_is_404(client):
    event = EventFactory(status="draft")
    assert client.get(reverse("events:event_calendar", kwargs={"slug": event.slug})).status_code == 404


def test_personal_feed_has_the_persons_confirmed_seminars(client):
    user = UserFactory()
    mine = EventFactory()
    RegistrationFactory(event=mine, user=user, email=user.email)
    as_guest = EventFactory()
    RegistrationFactory(event=as_guest, email=user.email.upper().lower())
    RegistrationFactory(event=EventFactory(), user=user, email=user.email, status="cancelled")
    RegistrationFactory(event=EventFactory())
    calendar = services.personal_calendar_get(user=user)
    response = client.get(reverse("events:personal_calendar", kwargs={"token": calendar.token}))
    assert response["Cache-Control"] == "private, max-age=300"
    assert sorted(uids(parse(response))) == sorted([ical.event_uid(mine), ical.event_uid(as_guest)])


def test_personal_feed_changes_when_the_person_registers(client):
    user = UserFactory()
    calendar = services.personal_calendar_get(user=user)
    url = reverse("events:personal_calendar", kwargs={"token": calendar.token})
    first = client.get(url)
    event = EventFactory()
    services.registration_create(event=event, email=user.email, name="Me", user=user)
    second = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert second.status_code == 200
    assert uids(parse(second)) == [ical.event_uid(event)]


def test_personal_feed_token_is_random_and_long():
    calendar = services.personal_calendar_get(user=UserFactory())
    assert len(calendar.token) == 32  # 24 random bytes, 192 bits
    assert calendar.token != services.personal_calendar_get(user=UserFactory()).token


def test_a_replaced_personal_feed_token_answers_404(client):
    user = UserFactory()
    old = services.personal_calendar_get(user=user).token
    client.force_login(user)
    response = client.post(reverse("events:personal_calendar_replace"))
    assert response.status_code == 302
    new = PersonalCalendar.objects.get(user=user).token
    assert new != old
    client.logout()
    assert client.get(reverse("events:personal_calendar", kwargs={"token": old})).status_code == 404
    assert client.get(reverse("events:personal_calendar", kwargs={"token": new})).status_code == 200


def test_an_unknown_personal_token_answers_404(client):
    assert client.get(reverse("events:personal_calendar", kwargs={"token": "guess"})).status_code == 404


def test_feeds_refuse_writes(client):
    assert client.post(FEED).status_code == 405


def test_subscribe_include_offers_webcal_google_outlook_and_download(rf, settings):
    from django.template.loader import render_to_string

    settings.SITE_URL = "https://hub.example.org"
    html = render_to_string(
        "events/includes/subscribe.html",
        {"query_string": "series=scaling&page=3&kind=workshop", "calendar_name": "Seminars"},
        request=rf.get("/events/"),
    )
    feed = "https://hub.example.org/events/calendar.ics?series=scaling&amp;kind=workshop"
    assert 'href="webcal://hub.example.org/events/calendar.ics?series=scaling&amp;kind=workshop"' in html
    assert f'href="{feed}" download' in html
    assert (
        "https://calendar.google.com/calendar/render?cid=webcal%3A%2F%2Fhub.example.org%2Fevents%2F"
        "calendar.ics%3Fseries%3Dscaling%26kind%3Dworkshop" in html
    )
    assert "https://outlook.live.com/calendar/0/addfromweb?url=https%3A%2F%2Fhub.example.org" in html
    assert "page" not in html


def test_personal_feed_can_be_extended_by_a_higher_layer(rf):
    """How visits adds stays: subclass PersonalFeed and route the view with feed_class."""
    from icalendar import Event as VEvent

    from events.feeds import PersonalFeed
    from events.views_feeds import personal_calendar

    class WithStays(PersonalFeed):
        def extra_version_of(self, user):
            return ("stay-v1",)

        def extra_vevents(self):
            stay = VEvent()
            stay.add("UID", "stay-1@hub")
            stay.add("DTSTAMP", dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
            stay.add("DTSTART", dt.date(2027, 5, 1))
            stay.add("DTEND", dt.date(2027, 6, 1))
            stay.add("SUMMARY", "Your stay")
            start = dt.datetime(2027, 5, 1, 9, tzinfo=ZoneInfo("Europe/Paris"))
            desk = VEvent()
            desk.add("UID", "desk-1@hub")
            desk.add("DTSTAMP", dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
            desk.add("DTSTART", start)
            desk.add("SUMMARY", "Visitor arrives")
            return [(stay.to_ical(), "UTC", start), (desk.to_ical(), "Europe/Paris", start)]

    user = UserFactory()
    RegistrationFactory(event=EventFactory(), user=user, email=user.email)
    token = services.personal_calendar_get(user=user).token
    response = personal_calendar(rf.get("/"), token, feed_class=WithStays)
    calendar = parse(response)
    assert sorted(str(e["SUMMARY"])[:5] for e in calendar.events) == ["Semin", "Visit", "Your "]
    assert sorted(tz.tz_name for tz in calendar.timezones) == ["Asia/Seoul", "Europe/Paris"]


def test_with_the_page_cache_a_conditional_get_needs_no_query(page_cache, client, django_assert_num_queries):
    EventFactory()
    etag = client.get(FEED)["ETag"]
    with django_assert_num_queries(0):
        response = client.get(FEED, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304


def test_with_the_page_cache_a_change_through_the_services_gives_a_new_etag(
    page_cache, client, django_capture_on_commit_callbacks
):
    event = EventFactory()
    etag = client.get(FEED)["ETag"]
    moved = event.start + dt.timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        services.event_update(
            event=event, start=event.start + dt.timedelta(hours=1), end=event.end + dt.timedelta(hours=1)
        )
    response = client.get(FEED, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] != etag
    (vevent,) = Calendar.from_ical(response.content).walk("VEVENT")
    assert vevent.decoded("dtstart") == moved
