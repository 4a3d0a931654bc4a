"""The activity report in a real browser: no serious axe-core problem, in English and Korean, signed
in as staff, and printing leaves out the period form and the download links."""

import datetime as dt
import zoneinfo

import pytest

from tests.browser import PHONE, blocking_violations
from tests.factories import EventFactory, StaffFactory
from tests.signin import force_login_with_mfa

pytestmark = pytest.mark.browser

REPORT = "/report/?quarter=2026-Q1"


def _staff_page(make_page, client, site, **options):
    force_login_with_mfa(client, StaffFactory())
    page = make_page(**options)
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": site}])
    return page


@pytest.mark.parametrize(
    "options", [{"locale": "en-GB"}, {"locale": "ko-KR"}, PHONE], ids=["en", "ko", "phone"]
)
def test_report_has_no_serious_accessibility_violation(site, make_page, client, options):
    EventFactory(start=dt.datetime(2026, 2, 3, 16, tzinfo=zoneinfo.ZoneInfo("Asia/Seoul")))
    page = _staff_page(make_page, client, site, **options)
    page.goto(site + REPORT)
    assert page.url == site + REPORT
    assert [str(v) for v in blocking_violations(page)] == []


def test_report_prints_without_the_form_and_the_download_links(site, make_page, client):
    page = _staff_page(make_page, client, site)
    page.goto(site + REPORT)
    page.emulate_media(media="print")
    assert page.locator("form.report-form").is_visible() is False
    assert page.locator("a[download]").first.is_visible() is False
    assert page.locator("#table-seminars-by-kind table").is_visible() is True
    assert page.locator("#table-seminars-by-kind svg").is_visible() is True
