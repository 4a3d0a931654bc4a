import datetime as dt
import json
import re

import pytest
from django.utils import timezone

from events.models import Event, EventSpeaker
from tests.factories import (
    DraftEventFactory,
    EventFactory,
    EventSpeakerFactory,
    ResearcherFactory,
    RoomFactory,
    SeriesFactory,
    StaffFactory,
    ThemeFactory,
    UserFactory,
)
from tests.signin import force_login_with_mfa

pytestmark = pytest.mark.django_db


def make_events(count, **fields):
    """Many published events quickly (bulk, one shared room is fine for reads)."""
    room = RoomFactory()
    theme = ThemeFactory()
    researcher = ResearcherFactory()
    now = timezone.now()
    events = Event.objects.bulk_create(
        Event(
            title=f"Bulk {i}",
            slug=f"bulk-{i}",
            start=now + dt.timedelta(days=1, hours=i),
            end=now + dt.timedelta(days=1, hours=i, minutes=30),
            room=room,
            status=Event.Status.PUBLISHED,
            **fields,
        )
        for i in range(count)
    )
    events = list(Event.objects.filter(slug__startswith="bulk-"))
    EventSpeaker.objects.bulk_create(EventSpeaker(event=e, researcher=researcher) for e in events)
    Event.themes.through.objects.bulk_create(Event.themes.through(event=e, theme=theme) for e in events)
    return events


def test_events_list_shows_exactly_published_public_upcoming_in_start_order(client):
    soon = EventFactory(
        start=timezone.now() + dt.timedelta(days=1), end=timezone.now() + dt.timedelta(days=1, hours=1)
    )
    later = EventFactory()
    DraftEventFactory()
    EventFactory(visibility=Event.Visibility.MEMBERS)
    EventFactory(
        start=timezone.now() - dt.timedelta(days=3), end=timezone.now() - dt.timedelta(days=3, hours=-1)
    )
    cancelled = EventFactory(
        start=timezone.now() + dt.timedelta(days=2),
        end=timezone.now() + dt.timedelta(days=2, hours=1),
        status=Event.Status.CANCELLED,
        cancellation_reason="Snow",
    )
    response = client.get("/events/")
    assert response.status_code == 200
    assert [e.pk for e in response.context["events"]] == [soon.pk, cancelled.pk, later.pk]


def test_events_list_members_only_listed_to_signed_in_users(client):
    members = EventFactory(visibility=Event.Visibility.MEMBERS)
    client.force_login(UserFactory())
    assert [e.pk for e in client.get("/events/").context["events"]] == [members.pk]


def test_events_list_filters_combine_and_stay_in_page_links(client):
    theme, series = ThemeFactory(slug="robots"), SeriesFactory(slug="robo")
    match = EventFactory(series=series, kind=Event.Kind.LECTURE, language="ko")
    match.themes.add(theme)
    other_kind = EventFactory(series=series, kind=Event.Kind.SEMINAR, language="ko")
    other_kind.themes.add(theme)
    EventFactory(series=series, kind=Event.Kind.LECTURE, language="en").themes.add(theme)
    response = client.get(
        "/events/", {"series": "robo", "theme": "robots", "kind": "lecture", "language": "ko"}
    )
    assert [e.pk for e in response.context["events"]] == [match.pk]
    assert response.context["query_string"] == "series=robo&theme=robots&kind=lecture&language=ko"


def test_events_list_text_search_finds_speaker_names_once(client):
    event = EventFactory(title="Unrelated")
    EventSpeakerFactory(event=event, researcher=ResearcherFactory(name="Grace Hopper"))
    EventSpeakerFactory(event=event, researcher=ResearcherFactory(name="Grace Kelly"))
    EventFactory(title="Another")
    assert [e.pk for e in client.get("/events/", {"q": "grace"}).context["events"]] == [event.pk]


def test_events_list_date_range_filters_by_seoul_day(client):
    seoul = dt.timezone(dt.timedelta(hours=9))
    inside = EventFactory(
        start=dt.datetime(2031, 5, 2, 0, 30, tzinfo=seoul), end=dt.datetime(2031, 5, 2, 2, tzinfo=seoul)
    )
    EventFactory(
        start=dt.datetime(2031, 5, 1, 23, 0, tzinfo=seoul), end=dt.datetime(2031, 5, 1, 23, 30, tzinfo=seoul)
    )
    response = client.get("/events/", {"date_from": "2031-05-02", "date_to": "2031-05-02"})
    assert [e.pk for e in response.context["events"]] == [inside.pk]


def test_events_list_unknown_filter_values_are_ignored(client):
    event = EventFactory()
    response = client.get(
        "/events/",
        {"series": "nope", "theme": "x", "kind": "party", "format": "?", "language": "xx",
         "date_from": "yesterday",
         "date_to": "0001-01-01", "when": "someday"},
    )  # fmt: skip
    assert response.status_code == 200
    assert [e.pk for e in response.context["events"]] == [event.pk]


def test_events_archive_is_newest_first_with_recording_and_slides(client):
    now = timezone.now()
    old = EventFactory(start=now - dt.timedelta(days=30), end=now - dt.timedelta(days=30, hours=-1))
    recent = EventFactory(
        start=now - dt.timedelta(days=2),
        end=now - dt.timedelta(days=2, hours=-1),
        recording_url="https://video.example.org/r",
        slides_url="https://slides.example.org/s.pdf",
    )
    response = client.get("/events/", {"when": "past"})
    assert [e.pk for e in response.context["events"]] == [recent.pk, old.pk]
    html = response.content.decode()
    assert 'href="https://video.example.org/r"' in html
    assert 'href="https://slides.example.org/s.pdf"' in html


def test_events_list_page_past_the_end_or_not_a_number_is_a_clear_404(client):
    EventFactory()
    response = client.get("/events/", {"page": "7"})
    assert response.status_code == 404
    assert "There is no page 7: this list has 1 page(s)." in response.content.decode()
    response = client.get("/events/", {"page": "two"})
    assert response.status_code == 404
    assert "“two” is not a page number." in response.content.decode()


def test_events_list_paginates_twenty_a_page(client):
    make_events(25)
    assert len(client.get("/events/").context["events"]) == 20
    assert len(client.get("/events/", {"page": "2"}).context["events"]) == 5


@pytest.mark.parametrize("count", [2, 500])
def test_events_list_query_count_is_constant(client, django_assert_num_queries, count):
    make_events(count)
    with django_assert_num_queries(6):
        assert client.get("/events/", {"theme": "", "q": "bulk"}).status_code == 200


def test_event_detail_draft_is_404_except_for_staff(client):
    draft = DraftEventFactory()
    assert client.get(draft.get_absolute_url()).status_code == 404
    force_login_with_mfa(client, StaffFactory())
    assert client.get(draft.get_absolute_url()).status_code == 200


def test_event_detail_members_only_asks_anonymous_to_sign_in(client):
    event = EventFactory(visibility=Event.Visibility.MEMBERS)
    response = client.get(event.get_absolute_url())
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_event_detail_cancelled_shows_reason_at_the_top_and_json_ld(client):
    event = EventFactory(
        title="Robots </script><script>alert(1)</script>",
        status=Event.Status.CANCELLED,
        cancellation_reason="The speaker is ill.",
        format=Event.Format.HYBRID,
        online_url="https://meet.example.org/x",
    )
    html = client.get(event.get_absolute_url()).content.decode()
    main = html[html.index('<main id="main"') :]
    assert main.index("This event is cancelled.") < main.index("<h1")
    assert "The speaker is ill." in main
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    data = json.loads(block)
    assert data["eventStatus"] == "https://schema.org/EventCancelled"
    assert data["eventAttendanceMode"] == "https://schema.org/MixedEventAttendanceMode"
    assert data["name"] == event.title
    assert "<script>alert" not in html
    assert '<meta property="og:title"' in html


def test_event_detail_shows_times_in_event_zone_for_local_script(client):
    event = EventFactory(
        time_zone="Europe/Paris",
        start=dt.datetime(2031, 7, 1, 14, 0, tzinfo=dt.UTC),
        end=dt.datetime(2031, 7, 1, 15, 0, tzinfo=dt.UTC),
    )
    html = client.get(event.get_absolute_url()).content.decode()
    assert "Tue 1 Jul 2031, 16:00–17:00 CEST" in html
    assert 'data-zone="Europe/Paris"' in html
    assert '<script src="/static/js/localtime.js" defer></script>' in html


@pytest.mark.parametrize("count", [1, 30])
def test_event_detail_query_count_is_constant(client, django_assert_num_queries, count):
    event = EventFactory()
    for _ in range(count):
        EventSpeakerFactory(event=event)
        event.themes.add(ThemeFactory())
    # the event with its relations (3) and the registration panel's seat count (1)
    with django_assert_num_queries(4):
        assert client.get(event.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("count", [2, 500])
def test_series_detail_query_count_is_constant(client, django_assert_num_queries, count):
    series = SeriesFactory()
    series.organisers.add(ResearcherFactory())
    series.themes.add(ThemeFactory())
    make_events(count, series=series)
    with django_assert_num_queries(8):
        assert client.get(series.get_absolute_url()).status_code == 200


def test_series_pages_list_public_series_with_sessions(client):
    series = SeriesFactory(title="Scaling")
    SeriesFactory(title="Hidden", is_public=False)
    event = EventFactory(series=series)
    response = client.get("/series/")
    assert [s.title for s in response.context["series_list"]] == ["Scaling"]
    detail = client.get(series.get_absolute_url())
    assert [e.pk for e in detail.context["upcoming"]] == [event.pk]


def test_home_lists_next_seminars(client):
    event = EventFactory()
    assert [e.pk for e in client.get("/").context["upcoming"]] == [event.pk]


def test_atom_feed_lists_newly_published_public_events(client):
    event = EventFactory(title="Fresh & new")
    DraftEventFactory(title="Secret draft")
    response = client.get("/events/feed.atom")
    body = response.content.decode()
    assert response["Content-Type"].startswith("application/atom+xml")
    assert "Fresh &amp; new" in body
    assert "Secret draft" not in body
    assert f"urn:uuid:{event.calendar_uid}" in body


@pytest.mark.parametrize("count", [2, 500])
def test_home_query_count_is_constant(client, django_assert_num_queries, count):
    make_events(count)
    with django_assert_num_queries(5):
        assert client.get("/").status_code == 200


@pytest.mark.parametrize("count", [1, 40])
def test_series_list_query_count_is_constant(client, django_assert_num_queries, count):
    theme = ThemeFactory()
    for _ in range(count):
        SeriesFactory().themes.add(theme)
    with django_assert_num_queries(2):
        assert client.get("/series/").status_code == 200


def test_series_detail_private_series_is_404_for_the_public(client):
    series = SeriesFactory(is_public=False)
    assert client.get(series.get_absolute_url()).status_code == 404


def test_event_detail_shows_speakers_abstract_place_and_sanitised_markdown(client):
    room = RoomFactory(name="Seminar Room B", location="Floor 3")
    event = EventFactory(
        room=room, abstract="**Bold** claim <b onmouseover=x>hi</b>".replace(" onmouseover=x", "")
    )
    researcher = ResearcherFactory(name="Ada Lovelace", position="Professor", bio="Wrote *notes*.")
    EventSpeakerFactory(event=event, researcher=researcher)
    html = client.get(event.get_absolute_url()).content.decode()
    assert "<h3>Ada Lovelace</h3>" in html
    assert f"Professor, {researcher.institution.name}" in html
    assert "<p>Wrote <em>notes</em>.</p>" in html
    assert "<strong>Bold</strong>" in html
    assert "Seminar Room B, Floor 3" in html


def test_events_pages_in_korean(client):
    event = EventFactory(
        title="Scaling", title_ko="스케일링", status=Event.Status.CANCELLED, cancellation_reason="x"
    )
    html = client.get("/events/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "<h1>예정된 행사</h1>" in html
    detail = client.get(event.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "이 행사는 취소되었습니다." in detail
    assert '<h1 id="event-title">스케일링</h1>' in detail


@pytest.mark.parametrize("count", [2, 500])
def test_atom_feed_query_count_is_constant(client, django_assert_num_queries, count):
    make_events(count, published_at=timezone.now())
    with django_assert_num_queries(2):  # the current Site, then the events
        assert client.get("/events/feed.atom").status_code == 200
