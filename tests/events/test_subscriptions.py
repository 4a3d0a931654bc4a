"""Series subscriptions by e-mail: double opt-in, one-click unsubscribe, forged and reused links, limits."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from events.models import SeriesSubscription
from events.services import (
    series_announcement_enqueue,
    series_subscribers,
    series_subscription_request,
    subscription_unsubscribe_url,
)
from hubsite.models import OutboxMessage
from tests.factories import EventFactory, SeriesFactory, SeriesSubscriptionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscribe(client, django_capture_on_commit_callbacks):
    """Post the subscribe form; the request's transaction commits (so its mail is sent)."""

    def post(series, email="reader@example.org", **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(f"/subscriptions/series/{series.slug}/", {"email": email}, **extra)

    return post


def confirm_path(message) -> str:
    return re.search(r"http://127\.0\.0\.1:8000(/subscriptions/confirm/[^/\s]+/)", message.body).group(1)


def announce(series, revision=1):
    event = EventFactory(series=series)
    return series_announcement_enqueue(
        series=series,
        kind="series_announcement",
        about=event,
        template="series_announcement",
        context={
            "announcement_subject": "New seminar",
            "announcement_text": "Come & listen.",
            "announcement_html": "",
        },
        revision=revision,
    )


def test_subscribe_page_has_a_labelled_field(client):
    series = SeriesFactory(title="Scaling laws")
    html = client.get(f"/subscriptions/series/{series.slug}/").content.decode()
    assert "<h1>Subscribe to Scaling laws</h1>" in html
    assert '<label for="id_email">Your e-mail address</label>' in html


def test_subscribing_sends_a_confirmation_and_nothing_else_until_confirmed(subscribe, client):
    series = SeriesFactory(title="Scaling laws")
    response = subscribe(series, "Reader@Example.org")
    assert response.status_code == 302
    assert response["Location"] == f"/subscriptions/series/{series.slug}/requested/"
    (confirmation,) = mail.outbox
    assert confirmation.to == ["reader@example.org"]
    assert confirmation.subject == "Confirm your subscription to Scaling laws"
    assert series_subscribers(series) == []

    # A subscriber who never confirmed gets nothing.
    assert announce(series) == []

    path = confirm_path(confirmation)
    page = client.get(path)
    assert page.status_code == 200
    assert "Confirm my subscription" in page.content.decode()
    assert series_subscribers(series) == []  # a GET (a link scanner) confirms nothing
    done = client.post(path)
    assert done.status_code == 200
    assert "<h1>You are subscribed</h1>" in done.content.decode()
    assert series_subscribers(series) == ["reader@example.org"]


def test_a_confirmation_link_used_twice_says_so(subscribe, client):
    series = SeriesFactory()
    subscribe(series)
    path = confirm_path(mail.outbox[0])
    client.post(path)
    again = client.post(path)
    assert again.status_code == 200
    assert "<h1>Already confirmed</h1>" in again.content.decode()
    assert client.get(path).context["state"] == "already_confirmed"


def test_an_expired_confirmation_link_is_refused(subscribe, client):
    series = SeriesFactory()
    subscribe(series)
    SeriesSubscription.objects.update(requested_at=timezone.now() - dt.timedelta(days=8))
    response = client.post(confirm_path(mail.outbox[0]))
    assert response.status_code == 410
    assert (
        response.context["message"] == "This confirmation link has expired. Subscribe again to get a new one."
    )
    assert series_subscribers(series) == []


def test_a_forged_link_gets_a_clear_answer(client):
    for path in ["/subscriptions/confirm/forged-token/", "/subscriptions/unsubscribe/forged-token/"]:
        for method in (client.get, client.post):
            response = method(path)
            assert response.status_code == 404
            assert response.context["message"] == (
                "This link is not valid. Check that you copied the whole link from the e-mail."
            )


def test_asking_again_soon_sends_no_second_confirmation_but_later_does(subscribe, client):
    series = SeriesFactory()
    subscribe(series)
    subscribe(series)
    assert len(mail.outbox) == 1
    SeriesSubscription.objects.update(requested_at=timezone.now() - dt.timedelta(minutes=11))
    subscribe(series)
    assert len(mail.outbox) == 2
    assert OutboxMessage.objects.filter(kind="series_subscription_confirm").count() == 2


def test_subscribing_an_address_already_subscribed_sends_nothing_and_says_the_same(subscribe, client):
    subscription = SeriesSubscriptionFactory(email="reader@example.org")
    response = subscribe(subscription.series, "reader@example.org")
    assert response["Location"] == f"/subscriptions/series/{subscription.series.slug}/requested/"
    assert mail.outbox == []


def test_an_invalid_address_is_explained(subscribe, client):
    response = subscribe(SeriesFactory(), "not-an-address")
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "email": ["Enter a valid e-mail address, like name@example.org."]
    }


def test_a_private_series_cannot_be_subscribed_to(subscribe, client):
    assert subscribe(SeriesFactory(is_public=False)).status_code == 404


def test_announcements_carry_one_click_unsubscribe_headers_and_a_link(django_capture_on_commit_callbacks):
    subscription = SeriesSubscriptionFactory(email="reader@example.org", series__slug="scaling")
    SeriesSubscriptionFactory(series=subscription.series, confirmed_at=None)  # pending: nothing
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        rows = announce(subscription.series)
    assert [row.recipient for row in rows] == ["reader@example.org"]
    (sent,) = mail.outbox
    url = f"http://127.0.0.1:8000/subscriptions/unsubscribe/{subscription.token}/"
    assert subscription_unsubscribe_url(subscription) == url
    message = sent.message()
    assert message["List-Unsubscribe"] == f"<{url}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Id"] == "<scaling.series.127.0.0.1>"
    assert sent.subject == f"[{subscription.series.title}] New seminar"
    assert sent.body.startswith("Come & listen.\n")
    assert f"Unsubscribe from these announcements: {url}\n" in sent.body


def test_announcing_twice_sends_once():
    subscription = SeriesSubscriptionFactory()
    event = EventFactory(series=subscription.series)
    for _ in range(2):
        series_announcement_enqueue(
            series=subscription.series,
            kind="series_announcement",
            about=event,
            template="series_announcement",
            context={"announcement_subject": "S", "announcement_text": "T"},
            revision=3,
        )
    assert OutboxMessage.objects.filter(kind="series_announcement").count() == 1
    assert len(mail.outbox) == 1


def test_one_click_unsubscribe_needs_no_session_or_csrf_token(client):
    from django.test import Client

    subscription = SeriesSubscriptionFactory()
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(
        f"/subscriptions/unsubscribe/{subscription.token}/",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert series_subscribers(subscription.series) == []
    subscription.refresh_from_db()
    assert subscription.unsubscribed_at is not None


def test_unsubscribe_get_asks_first_and_a_second_use_says_so(client):
    subscription = SeriesSubscriptionFactory(series__title="Robotics")
    path = f"/subscriptions/unsubscribe/{subscription.token}/"
    page = client.get(path)
    assert page.context["state"] == "ask"
    assert '<button type="submit">Unsubscribe</button>' in page.content.decode()
    assert series_subscribers(subscription.series) == [subscription.email]  # a GET changes nothing
    assert client.post(path).context["state"] == "unsubscribed"
    again = client.post(path)
    assert again.status_code == 200
    assert again.context["state"] == "already_unsubscribed"
    assert "<h1>Already unsubscribed</h1>" in again.content.decode()
    assert client.get(path).context["state"] == "already_unsubscribed"


def test_an_unsubscribed_address_gets_no_announcements_and_can_subscribe_again(client):
    subscription = SeriesSubscriptionFactory(email="reader@example.org")
    client.post(f"/subscriptions/unsubscribe/{subscription.token}/")
    assert announce(subscription.series) == []
    old_token = subscription.token
    series_subscription_request(series=subscription.series, email="reader@example.org")
    subscription.refresh_from_db()
    assert subscription.token != old_token
    assert (subscription.confirmed_at, subscription.unsubscribed_at) == (None, None)
    # The old confirmation link of a cancelled subscription no longer works.
    assert client.post(f"/subscriptions/confirm/{old_token}/").status_code == 404


def test_a_confirmation_link_of_a_cancelled_subscription_says_so(subscribe, client):
    series = SeriesFactory()
    subscribe(series)
    path = confirm_path(mail.outbox[0])
    token = SeriesSubscription.objects.get().token
    client.post(f"/subscriptions/unsubscribe/{token}/")
    response = client.post(path)
    assert response.status_code == 410
    assert response.context["message"] == (
        "This subscription was cancelled. Subscribe again to get a new confirmation link."
    )


def test_subscribing_is_rate_limited_by_address(subscribe, client):
    series = SeriesFactory()
    statuses = [subscribe(series, f"r{n}@example.org").status_code for n in range(6)]
    assert statuses == [302, 302, 302, 302, 302, 429]
    limited = subscribe(series, "late@example.org")
    assert limited["Retry-After"] == "60"
    assert "Too many requests" in limited.content.decode()
    # Another address is not affected.
    assert subscribe(series, "other@example.org", REMOTE_ADDR="10.0.0.9").status_code == 302


def test_unsubscribe_links_are_rate_limited_by_address(client):
    statuses = [client.get(f"/subscriptions/unsubscribe/guess-{n}/").status_code for n in range(31)]
    assert statuses == [404] * 30 + [429]
    subscription = SeriesSubscriptionFactory()
    assert client.post(f"/subscriptions/unsubscribe/{subscription.token}/").status_code == 429
    assert (
        client.post(f"/subscriptions/unsubscribe/{subscription.token}/", REMOTE_ADDR="10.0.0.9").status_code
        == 200
    )


@pytest.mark.parametrize("count", [1, 10])
def test_subscribe_page_query_count_is_constant(client, django_assert_num_queries, count):
    series = SeriesFactory()
    SeriesSubscriptionFactory.create_batch(count, series=series)
    with django_assert_num_queries(1):
        assert client.get(f"/subscriptions/series/{series.slug}/").status_code == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_make_one_subscription_and_one_confirmation():
    import threading

    from django.db import connection

    series = SeriesFactory()
    barrier = threading.Barrier(3)

    def ask():
        try:
            barrier.wait()
            series_subscription_request(series=series, email="reader@example.org")
        finally:
            connection.close()

    threads = [threading.Thread(target=ask) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert SeriesSubscription.objects.count() == 1
    assert OutboxMessage.objects.filter(kind="series_subscription_confirm").count() == 1
    assert [m.to for m in mail.outbox] == [["reader@example.org"]]


def test_a_korean_visitor_gets_the_confirmation_in_korean(subscribe, client):
    series = SeriesFactory(title="Scaling laws", title_ko="스케일링 법칙")
    client.cookies["django_language"] = "ko"
    subscribe(series)
    (confirmation,) = mail.outbox
    assert confirmation.subject == "스케일링 법칙 구독을 확인해 주세요"
    assert "링크는 7일 동안 유효합니다." in confirmation.body
    assert SeriesSubscription.objects.get().language == "ko"


def test_link_pages_take_one_query(client, django_assert_num_queries):
    subscription = SeriesSubscriptionFactory(confirmed_at=None)
    with django_assert_num_queries(1):
        assert client.get(f"/subscriptions/confirm/{subscription.token}/").context["state"] == "ask"
    with django_assert_num_queries(1):
        assert client.get(f"/subscriptions/unsubscribe/{subscription.token}/").context["state"] == "ask"
