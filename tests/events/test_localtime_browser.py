import datetime as dt
import os

import pytest

from tests.factories import EventFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def event():
    return EventFactory(
        start=dt.datetime(2031, 7, 1, 7, 0, tzinfo=dt.UTC), end=dt.datetime(2031, 7, 1, 8, 0, tzinfo=dt.UTC)
    )


@pytest.fixture
def browser(event):
    # Rows are written before Playwright starts its event loop in this thread: ORM calls made
    # inside that loop would open a second database connection that nobody closes.
    if not os.path.exists(CHROMIUM):
        pytest.fail("chromium is not installed at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM)
        yield instance
        instance.close()


def test_localtime_script_adds_the_readers_clock(live_server, event, browser):
    paris = browser.new_context(timezone_id="Europe/Paris").new_page()
    paris.goto(live_server.url + event.get_absolute_url())
    assert paris.inner_text(".when") == "Tue 1 Jul 2031, 16:00–17:00 KST · 09:00–10:00 CEST on your clock"
    seoul = browser.new_context(timezone_id="Asia/Seoul").new_page()
    seoul.goto(live_server.url + event.get_absolute_url())
    assert seoul.inner_text(".when") == "Tue 1 Jul 2031, 16:00–17:00 KST"


def test_localtime_script_shows_the_readers_day_when_it_differs_in_both_languages(
    live_server, event, browser
):
    # 16:00–17:00 in Seoul is 21:00–22:00 the day before in Honolulu.
    hawaii = browser.new_context(timezone_id="Pacific/Honolulu").new_page()
    hawaii.goto(live_server.url + event.get_absolute_url())
    assert hawaii.inner_text(".when") == (
        "Tue 1 Jul 2031, 16:00–17:00 KST · Mon 30 Jun, 21:00–22:00 HST on your clock"
    )
    context = browser.new_context(timezone_id="Pacific/Honolulu")
    context.add_cookies([{"name": "django_language", "value": "ko", "url": live_server.url}])
    korean = context.new_page()
    korean.goto(live_server.url + event.get_absolute_url())
    assert (
        korean.inner_text(".when")
        == "2031년 7월 1일 (화) 16:00~17:00 KST · 6월 30일 (월) 21:00~22:00 HST 내 시간"
    )
