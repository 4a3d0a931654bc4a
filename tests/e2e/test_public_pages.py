"""The public pages in a real browser: English, Korean, and on a phone."""

import pytest
from django.conf import settings

from tests.browser import PHONE, screenshot

pytestmark = pytest.mark.browser


def test_home_page_in_english_shows_the_hub_and_the_next_seminars(site, page):
    page.goto(site + "/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == settings.HUB_NAME
    assert page.get_by_role("heading", name="Next seminars").is_visible()
    assert page.locator(".cards .card").count() >= 1
    screenshot(page, "home-en")


def test_home_page_switches_to_korean_with_the_language_buttons(site, page):
    page.goto(site + "/")
    page.get_by_role("button", name="한국어").click()
    page.wait_for_url(site + "/")
    assert page.locator("html").get_attribute("lang") == "ko"
    assert page.locator("h1").inner_text() == settings.HUB_NAME_KO
    assert page.get_by_role("link", name="본문으로 건너뛰기").count() == 1  # "Skip to main content"
    assert page.get_by_role("button", name="한국어").get_attribute("aria-pressed") == "true"
    screenshot(page, "home-ko")


def test_a_korean_browser_gets_the_korean_site(site, make_page):
    page = make_page(locale="ko-KR")
    page.goto(site + "/")
    assert page.locator("html").get_attribute("lang") == "ko"
    assert page.locator("h1").inner_text() == settings.HUB_NAME_KO


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/accounts/signup/"])
def test_pages_fit_a_phone_screen_without_sideways_scrolling(site, make_page, path):
    page = make_page(**PHONE)
    page.goto(site + path)
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    assert page.locator("main h1").first.is_visible()
    screenshot(page, "phone-" + (path.strip("/").replace("/", "-") or "home"))


def test_skip_link_is_the_first_stop_for_the_keyboard(site, page):
    page.goto(site + "/")
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "() => [document.activeElement.className, document.activeElement.getAttribute('href')]"
    )
    assert focused == ["skip-link", "#main"]
    assert page.locator(".skip-link").is_visible()
