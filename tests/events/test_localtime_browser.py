import datetime as dt

import pytest

from tests.factories import EventFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def event():
    return EventFactory(
        start=dt.datetime(2031, 7, 1, 7, 0, tzinfo=dt.UTC), end=dt.datetime(2031, 7, 1, 8, 0, tzinfo=dt.UTC)
    )


def test_localtime_script_adds_the_readers_clock(live_server, event, make_page):
    paris = make_page(timezone_id="Europe/Paris")
    paris.goto(live_server.url + event.get_absolute_url())
    assert paris.inner_text(".when") == "Tue 1 Jul 2031, 16:00–17:00 KST · 09:00–10:00 CEST on your clock"
    seoul = make_page(timezone_id="Asia/Seoul")
    seoul.goto(live_server.url + event.get_absolute_url())
    assert seoul.inner_text(".when") == "Tue 1 Jul 2031, 16:00–17:00 KST"


def test_localtime_script_shows_the_readers_day_when_it_differs_in_both_languages(
    live_server, event, make_page
):
    # 16:00–17:00 in Seoul is 21:00–22:00 the day before in Honolulu.
    hawaii = make_page(timezone_id="Pacific/Honolulu")
    hawaii.goto(live_server.url + event.get_absolute_url())
    assert hawaii.inner_text(".when") == (
        "Tue 1 Jul 2031, 16:00–17:00 KST · Mon 30 Jun, 21:00–22:00 HST on your clock"
    )
    korean = make_page(timezone_id="Pacific/Honolulu")
    korean.context.add_cookies([{"name": "django_language", "value": "ko", "url": live_server.url}])
    korean.goto(live_server.url + event.get_absolute_url())
    assert (
        korean.inner_text(".when")
        == "2031년 7월 1일 (화) 16:00~17:00 KST · 6월 30일 (월) 21:00~22:00 HST (내 시간)"
    )
