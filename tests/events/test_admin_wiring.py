"""The event admin meets projects (the project field), the outbox (delivery counts) and stays (the
seminar warning, through `event.visit`); series subscriptions get their own admin list."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from events.models import Event
from hubsite.admin import outbox_changelist_url
from hubsite.models import OutboxMessage
from tests.events.test_admin import ADD_URL, form_data
from tests.factories import (
    EventFactory,
    ProjectFactory,
    SeriesFactory,
    SeriesSubscriptionFactory,
    VisitFactory,
)
from tests.hubsite.test_outbox_admin import write

pytestmark = pytest.mark.django_db
SUBSCRIPTIONS = "/admin/events/seriessubscription/"


def change_url(event):
    return f"/admin/events/event/{event.pk}/change/"


def test_event_form_offers_the_project_with_autocomplete(admin_client):
    form = admin_client.get(ADD_URL).context["adminform"].form
    assert type(form.fields["project"].widget.widget).__name__ == "AutocompleteSelect"


def test_event_added_with_a_project_is_linked_to_it(admin_client):
    project = ProjectFactory()
    response = admin_client.post(ADD_URL, form_data(project=project.pk))
    assert response.status_code == 302
    assert Event.objects.get().project == project
    assert list(project.events.all()) == [Event.objects.get()]


def test_event_change_page_shows_delivery_counts_and_links_to_the_outbox(admin_client):
    event = EventFactory()
    write(event, "a@example.org", status=OutboxMessage.Status.SENT)
    write(event, "b@example.org", status=OutboxMessage.Status.SENT)
    write(event, "c@example.org", status=OutboxMessage.Status.FAILED)
    write(EventFactory(), "d@example.org", status=OutboxMessage.Status.QUEUED)  # another event
    html = admin_client.get(change_url(event)).content.decode()
    link = outbox_changelist_url(event).replace("&", "&amp;")
    counts = "Queued: 0 · Sending: 0 · Sent: 2 · Failed: 1"
    assert f'{counts} — <a href="{link}">Show these messages in the outbox</a>' in html


def visitor_seminar(**visit):
    """A published seminar on 2031-05-05 (Seoul) given by a visitor staying 2031-05-01 to 2031-05-10."""
    event = EventFactory(
        start=dt.datetime(2031, 5, 5, 7, tzinfo=dt.UTC),
        end=dt.datetime(2031, 5, 5, 8, tzinfo=dt.UTC),
        time_zone="Asia/Seoul",
    )
    VisitFactory(
        researcher__name="Vi Sitor",
        status=visit.pop("status", "approved"),
        first_day=dt.date(2031, 5, 1),
        last_day=dt.date(2031, 5, 10),
        seminar_event=event,
    )
    return event


def test_event_change_page_says_when_a_visitors_seminar_is_within_the_stay(admin_client):
    event = visitor_seminar()
    html = admin_client.get(change_url(event)).content.decode()
    assert "The seminar is within Vi Sitor&#x27;s stay (1 May 2031 to 10 May 2031)." in html


def test_event_change_page_warns_when_a_visitors_seminar_is_outside_the_stay(admin_client):
    event = visitor_seminar(status="withdrawn")
    html = admin_client.get(change_url(event)).content.decode()
    assert (
        "<strong>Vi Sitor&#x27;s stay is “Withdrawn”: they may not be at the hub for this seminar.</strong>"
        in html
    )


def test_moving_a_visitors_seminar_outside_the_stay_warns_on_save(admin_client):
    event = visitor_seminar()
    data = form_data(
        title=event.title,
        slug=event.slug,
        time_zone="Asia/Seoul",
        start="2031-05-12T16:00",
        end="2031-05-12T17:00",
        format="online",
        online_url="https://meet.example.org/seminar",
        visibility=event.visibility,
        language=event.language,
    )
    response = admin_client.post(change_url(event), data)
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.start == dt.datetime(2031, 5, 12, 7, tzinfo=dt.UTC)
    assert [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "warning"] == [
        "This seminar is on 12 May 2031, outside Vi Sitor's stay at the hub (1 May 2031 to 10 May 2031)."
    ]


def test_an_ordinary_event_has_no_stay_warning(admin_client):
    event = EventFactory()
    response = admin_client.get(change_url(event))
    model_admin = response.context["adminform"].model_admin
    assert model_admin.visitor_stay(event) == "—"
    assert model_admin.stay_warning(event) == ""
    assert [m for m in get_messages(response.wsgi_request) if m.level_tag == "warning"] == []


# --- Series subscriptions ------------------------------------------------------------------------


def test_subscription_admin_lists_series_email_status_and_dates(admin_client):
    series = SeriesFactory(title="Scaling seminar")
    confirmed = SeriesSubscriptionFactory(series=series, email="yes@example.org")
    pending = SeriesSubscriptionFactory(series=series, email="wait@example.org", confirmed_at=None)
    gone = SeriesSubscriptionFactory(series=series, email="gone@example.org", unsubscribed_at=timezone.now())
    response = admin_client.get(SUBSCRIPTIONS)
    rows = {s.email: response.context["cl"].model_admin.state(s) for s in response.context["cl"].result_list}
    assert rows == {
        "gone@example.org": "Unsubscribed",
        "wait@example.org": "Waiting for confirmation",
        "yes@example.org": "Confirmed",
    }
    assert sorted(s.pk for s in response.context["cl"].result_list) == sorted(
        [confirmed.pk, pending.pk, gone.pk]
    )

    def listed(query):
        cl = admin_client.get(SUBSCRIPTIONS, query).context["cl"]
        return sorted(s.email for s in cl.result_list)

    assert listed({"state": "active"}) == ["yes@example.org"]
    assert listed({"state": "pending"}) == ["wait@example.org"]
    assert listed({"state": "unsubscribed"}) == ["gone@example.org"]
    assert listed({"q": "wait"}) == ["wait@example.org"]
    assert listed({"series__id__exact": SeriesFactory().pk}) == []


def test_subscriptions_are_read_only_in_the_admin(admin_client):
    subscription = SeriesSubscriptionFactory()
    assert admin_client.get(SUBSCRIPTIONS + "add/").status_code == 403
    response = admin_client.post(f"{SUBSCRIPTIONS}{subscription.pk}/change/", {"email": "new@example.org"})
    assert response.status_code == 403
    subscription.refresh_from_db()
    assert subscription.email != "new@example.org"


@pytest.mark.parametrize("count", [1, 20])
def test_subscription_changelist_query_count_is_constant(admin_client, django_assert_num_queries, count):
    for _ in range(count):
        SeriesSubscriptionFactory()
    admin_client.get(SUBSCRIPTIONS)  # warm the session and content types
    # user, staff MFA check, the series filter, counts (paginator, full count), rows with their
    # series, the language filter, the date hierarchy (range, days)
    with django_assert_num_queries(9):
        assert admin_client.get(SUBSCRIPTIONS).status_code == 200
