"""Input no column can hold is refused before it reaches the database (issue 12, item 5).

PostgreSQL cannot store or even compare text with a NUL byte; SQLite can. Every test here runs on
both (CI runs the suite on PostgreSQL), and each walks its whole class: every URL pattern, every
token lookup, every admin.
"""

import pytest
from django.contrib import admin
from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.http import Http404
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils.crypto import get_random_string

from tests.factories import EventFactory, SeriesSubscriptionFactory

from .fuzz import fill_route, route_parameters
from .roles import STAFF, client_for_role
from .urls import all_routes

pytestmark = pytest.mark.django_db

NUL_MESSAGE = "This address contains a character that no link of this site has"
NUL_MESSAGE_KO = "이 주소에는 이 사이트의 어떤 링크에도 없는 문자"


def _plain_path(route: str, **values: str) -> str:
    return fill_route(route, {name: values.get(name, "1") for name in route_parameters(route)})


def test_a_nul_byte_in_any_path_parameter_answers_400_with_a_message():
    client = Client(raise_request_exception=False)
    wrong = []
    for route in all_routes():
        for name in route_parameters(route):
            path = _plain_path(route, **{name: "a%00b"})
            response = client.get(path)
            if response.status_code != 400 or NUL_MESSAGE not in response.content.decode():
                wrong.append(f"{path}: {response.status_code}")
    assert wrong == []


def test_a_nul_byte_in_any_query_parameter_of_any_url_answers_400_with_a_message():
    """Every URL but the load balancer's probes, which a middleware answers first reading nothing."""
    client = Client(raise_request_exception=False)
    wrong = []
    for route in all_routes():
        if route.startswith("healthz/"):
            continue
        for query in ("token=a%00b", "a%00b=1", "page=1&q=%00"):
            path = f"{_plain_path(route)}?{query}"
            for method in (client.get, client.post):
                response = method(path)
                if response.status_code != 400 or NUL_MESSAGE not in response.content.decode():
                    wrong.append(f"{method.__name__} {path}: {response.status_code}")
    assert wrong == []


def test_the_refusal_speaks_the_readers_language():
    response = Client().get("/events/?q=%00", HTTP_ACCEPT_LANGUAGE="ko")
    assert response.status_code == 400
    assert NUL_MESSAGE_KO in response.content.decode()


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/calendar/%00.ics"),
        ("get", "/subscriptions/confirm/%00/"),
        ("post", "/subscriptions/confirm/%00/"),
        ("get", "/subscriptions/unsubscribe/%00/"),
        ("post", "/subscriptions/unsubscribe/%00/"),
        ("get", "/visits/arrivals.ics?token=%00"),
    ],
)
def test_the_addresses_the_issue_names_answer_400(method, path):
    response = getattr(Client(raise_request_exception=False), method)(path)
    assert response.status_code == 400


# --- Token lookups check the token's shape before they query --------------------------------

MALFORMED_TOKENS = ["a\x00b", "x" * 65, "a b", "a/b", "서울", ""]


@pytest.mark.parametrize("token", MALFORMED_TOKENS)
def test_subscription_links_with_a_malformed_token_are_invalid_without_a_query(token):
    from events import services

    SeriesSubscriptionFactory()
    for lookup in (
        services.series_subscription_for_token,
        services.series_subscription_confirm,
        services.series_subscription_unsubscribe,
    ):
        with CaptureQueriesContext(connection) as queries, pytest.raises(services.SubscriptionLinkInvalid):
            lookup(token=token)
        assert [query["sql"] for query in queries if "subscription" in query["sql"]] == []


@pytest.mark.parametrize("token", MALFORMED_TOKENS)
def test_feeds_with_a_malformed_token_are_not_found_without_a_query(token, django_assert_num_queries):
    """The views themselves, called past the middleware: the token's shape is their own check."""
    from events.views_feeds import personal_calendar
    from visits.views import arrivals_feed

    factory = RequestFactory()
    with django_assert_num_queries(0), pytest.raises(Http404):
        personal_calendar(factory.get("/calendar/x.ics"), token=token)
    request = factory.get("/visits/arrivals.ics", {"token": token} if token else {"token": "a b"})
    with django_assert_num_queries(0), pytest.raises(Http404):
        arrivals_feed(request)


def test_well_formed_tokens_still_open_their_links(client):
    subscription = SeriesSubscriptionFactory()
    response = client.get(f"/subscriptions/unsubscribe/{subscription.token}/")
    assert (response.status_code, response.context["state"]) == (200, "ask")


# --- Cookies ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cookie", ['"abcdefghij\\000klmnop"', "abcdefghij\x00klmnop", "x" * 41, "ABCDEFGHIJKL"]
)
def test_a_session_cookie_django_never_made_is_no_session(cookie):
    """`"\\000"` in a quoted cookie is a NUL byte once Python unquotes it, and passes any server."""
    client = Client(raise_request_exception=False, HTTP_COOKIE=f"sessionid={cookie}")
    response = client.get("/")
    assert response.status_code == 200
    assert client.get("/profile/").status_code == 302  # signed out: sent to sign in


def test_a_session_key_of_django_s_own_shape_is_kept():
    from hubsite.sessions import SessionStore

    key = get_random_string(32, VALID_KEY_CHARS)
    assert SessionStore(key).session_key == key
    assert SessionStore("abcdefgh\x00ijk").session_key is None


# --- The admin ----------------------------------------------------------------------------------


def _admin_urls():
    for model, model_admin in admin.site._registry.items():
        yield model, model_admin, f"/admin/{model._meta.app_label}/{model._meta.model_name}/"


def test_every_admin_action_on_ids_no_row_can_have_answers_with_a_message():
    client, user = client_for_role(STAFF, raise_request_exception=False)
    request = RequestFactory().get("/admin/")
    request.user = user
    wrong, tried = [], 0
    for _model, model_admin, url in _admin_urls():
        for action in model_admin.get_actions(request):
            for selected in ("abc", "a\x00b", "1.5"):
                tried += 1
                data = {"action": action, "_selected_action": [selected], "index": "0"}
                response = client.post(url, data)
                if response.status_code != 302:
                    wrong.append(f"{url} {action} {selected!r}: {response.status_code}")
    assert tried > 20
    assert wrong == []
    page = client.post(
        "/admin/events/room/", {"action": "delete_selected", "_selected_action": ["abc"]}, follow=True
    )
    assert "Items must be selected in order to perform actions on them" in page.content.decode()


def test_every_admin_change_page_answers_an_id_no_row_can_have_with_a_redirect():
    client, _user = client_for_role(STAFF, raise_request_exception=False)
    wrong = []
    for _model, _model_admin, url in _admin_urls():
        for object_id in ("abc", "1.5", "%FF%FE"):
            for method in (client.get, client.post):
                response = method(f"{url}{object_id}/change/")
                if response.status_code != 302:
                    wrong.append(f"{method.__name__} {url}{object_id}/change/: {response.status_code}")
    assert wrong == []


def test_the_event_admin_shows_a_refused_form_again_when_the_slug_was_left_empty(admin_client):
    event = EventFactory()
    response = admin_client.post(f"/admin/events/event/{event.pk}/change/", {"title": "", "slug": ""})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["title"] == ["This field is required."]


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("format", "abc", "Choose one of the offered formats."),
        ("format", "99999", "Choose one of the offered formats."),
        ("resource", "7", "Choose one of the offered kinds of rows."),
        ("import_file_name", "no-such-upload.csv", "The uploaded file is no longer here; upload it again."),
    ],
)
def test_the_import_confirmation_refuses_what_its_form_never_posts(admin_client, field, value, message):
    url = "/admin/researchers/institution/import/"
    choices = admin_client.get(url).context["form"].fields["format"].choices
    csv_format = next(choice for choice, label in choices if label.lower() == "csv")
    rows = b"slug,name,country,kind,partnership_status\nkaist,KAIST,KR,university,active\n"
    upload = SimpleUploadedFile("data.csv", rows, content_type="text/csv")
    page = admin_client.post(url, {"format": csv_format, "import_file": upload})
    data = {**page.context["confirm_form"].initial, field: value}
    response = admin_client.post("/admin/researchers/institution/process_import/", data)
    assert response.status_code == 200
    assert response.context["confirm_form"].errors[field] == [message]


def test_the_development_media_view_answers_404_for_a_name_no_file_system_holds():
    """`make run` serves uploads with Django's static view (DEBUG); a 256-byte name made the
    operating system refuse even to look (a 500)."""
    from hubsite.views import serve_media

    request = RequestFactory().get("/media/x")
    for name in ("a" * 256, "photos/" + "가" * 86, "a" * 20_000):
        with pytest.raises(Http404):
            serve_media(request, name, document_root="/tmp")
