"""axe-core finds no serious or critical accessibility problem on the key pages.

Add a page with one line in AXE_PAGES: a name and its path (or a callable that creates what the
page needs with the factories and returns the path). Pages that need a signed-in visitor go in
AXE_PAGES_SIGNED_IN.
"""

from collections.abc import Callable

import pytest

from tests.browser import PHONE, blocking_violations, screenshot
from tests.factories import UserFactory

pytestmark = pytest.mark.browser


def _first(model_path: str, queryset, prefix: str) -> Callable[[], str]:
    """The page of the first demo row of a public queryset (seed_demo fills the site)."""

    def path() -> str:
        row = queryset().first()
        assert row is not None, f"seed_demo made no {model_path}"
        return f"{prefix}{row.slug}/"

    return path


def _public_events():
    from events.models import Event

    return Event.objects.public().order_by("start")


def _upcoming_events():
    from events.models import Event

    return Event.objects.public().upcoming()


def _public_series():
    from events.models import Series

    return Series.objects.public().order_by("pk")


def _partners():
    from researchers.models import Institution

    return Institution.objects.active_partners().order_by("pk")


def _projects():
    from projects.models import Project

    return Project.objects.public().order_by("pk")


def _themes():
    from researchers.models import Theme

    return Theme.objects.order_by("pk")


AXE_PAGES: dict[str, str | Callable[[], str]] = {
    "home": "/",
    "sign-in": "/accounts/login/",
    "sign-up": "/accounts/signup/",
    "password-reset": "/accounts/password/reset/",
    "events": "/events/",
    "event": _first("event", _public_events, "/events/"),
    "series": _first("series", _public_series, "/series/"),
    "partners": "/partners/",
    "partner": _first("partner", _partners, "/partners/"),
    "researchers": "/researchers/",
    "projects": "/projects/",
    "project": _first("project", _projects, "/projects/"),
    "theme": _first("theme", _themes, "/themes/"),
    "register": lambda: _first("event", _upcoming_events, "/events/")() + "register/",
}
AXE_PAGES_SIGNED_IN: dict[str, str | Callable[[], str]] = {
    "account-email": "/accounts/email/",
    "stay-form": "/visits/new/",
    "profile": "/profile/",
    "my-seminars": "/my/seminars/",
}


def _path(target) -> str:
    return target() if callable(target) else target


@pytest.mark.parametrize("name", AXE_PAGES)
@pytest.mark.parametrize("locale", ["en-GB", "ko-KR"])
def test_no_serious_accessibility_violation(site, make_page, name, locale):
    page = make_page(locale=locale)
    page.goto(site + _path(AXE_PAGES[name]))
    violations = blocking_violations(page)
    assert [str(v) for v in violations] == []
    screenshot(page, f"axe-{name}-{locale}")


@pytest.mark.parametrize("name", AXE_PAGES)
def test_no_serious_accessibility_violation_on_a_phone(site, make_page, name):
    page = make_page(**PHONE)
    page.goto(site + _path(AXE_PAGES[name]))
    assert [str(v) for v in blocking_violations(page)] == []


@pytest.mark.parametrize("name", AXE_PAGES_SIGNED_IN)
def test_no_serious_accessibility_violation_signed_in(site, make_page, client, live_server, name):
    user = UserFactory()
    client.force_login(user)
    page = make_page()
    session = client.cookies["sessionid"]
    page.context.add_cookies([{"name": "sessionid", "value": session.value, "url": site}])
    page.goto(site + _path(AXE_PAGES_SIGNED_IN[name]))
    assert page.url == site + _path(AXE_PAGES_SIGNED_IN[name])
    assert [str(v) for v in blocking_violations(page)] == []


def test_axe_reports_a_serious_violation_when_there_is_one(site, page):
    """The control: axe runs and sees a real problem (an image without alt text, a nameless button)."""
    page.goto(site + "/")
    page.evaluate(
        """() => {
            const img = document.createElement('img'); img.src = '/static/img/favicon.svg';
            const button = document.createElement('button');
            document.querySelector('main').append(img, button);
        }"""
    )
    rules = sorted({v.rule for v in blocking_violations(page)})
    assert rules == ["button-name", "image-alt"]
