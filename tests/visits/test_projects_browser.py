import os

import pytest
from django.conf import settings
from django.test import Client

from tests.factories import MemberFactory, ProjectFactory, ProjectMemberFactory, VisitorFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
CHROMIUM = "/usr/bin/chromium"
SHOWN = "els => els.filter(e => !e.hidden && !e.parentElement.hidden).map(e => e.textContent)"


@pytest.fixture
def page_data():
    # Rows and the session are written before Playwright starts its event loop in this thread.
    ana, ben = MemberFactory(name="Ana Host"), MemberFactory(name="Ben Host")
    ProjectFactory(title="Alpha", lead=ana)
    ProjectMemberFactory(project=ProjectFactory(title="Beta", lead=ben), researcher=ana)
    client = Client()
    client.force_login(VisitorFactory().user)
    return {"ana": ana, "ben": ben, "session": client.cookies[settings.SESSION_COOKIE_NAME].value}


@pytest.fixture
def browser(page_data):
    if not os.path.exists(CHROMIUM):
        pytest.fail("chromium is not installed at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM)
        yield instance
        instance.close()


def test_the_project_list_follows_the_chosen_host(live_server, page_data, browser):
    context = browser.new_context()
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": page_data["session"], "url": live_server.url}]
    )
    page = context.new_page()
    page.goto(live_server.url + "/visits/new/")
    everyone = ["No project (or not listed)", "Alpha", "Beta", "Beta"]
    assert page.eval_on_selector_all("#id_project option", SHOWN) == everyone
    page.select_option("#id_host", str(page_data["ana"].pk))
    assert page.eval_on_selector_all("#id_project option", SHOWN) == [
        "No project (or not listed)",
        "Alpha",
        "Beta",
    ]
    page.select_option("#id_project", label="Alpha")
    page.select_option("#id_host", str(page_data["ben"].pk))
    assert page.eval_on_selector_all("#id_project option", SHOWN) == ["No project (or not listed)", "Beta"]
    assert page.input_value("#id_project") == ""
