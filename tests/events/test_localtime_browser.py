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
    assert paris.inner_text(".when") == "Tue 1 Jul 2031, 16:00–17:00 KST · 09:00 CEST on your clock"
    seoul = make_page(timezone_id="Asia/Seoul")
    seoul.goto(live_server.url + event.get_absolute_url())
    assert seoul.inner_text(".when") == "Tue 1 Jul 2031, 16:00–17:00 KST"
