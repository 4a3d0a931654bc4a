"""Journeys through the accounts in a real browser."""

import html
import re
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core import mail

from tests.browser import PHONE, blocking_violations, screenshot
from tests.factories import PASSWORD, StaffFactory
from tests.security.roles import make_staff_with_totp, totp_code

from .conftest import link_from_last_mail

pytestmark = pytest.mark.browser


def _sign_in(page, site, *, email, next_path="/"):
    if not page.url.startswith(f"{site}/accounts/login/"):
        page.goto(f"{site}/accounts/login/?next={next_path}")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Sign In").click()


def test_visitor_signs_up_verifies_the_address_from_the_mail_and_is_signed_in(site, page):
    page.goto(site + "/")
    page.get_by_role("link", name="Sign up").click()
    page.wait_for_url(site + "/accounts/signup/")
    screenshot(page, "sign-up")
    page.locator("#id_email").fill("newcomer@example.org")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Sign Up").click()
    page.wait_for_url(site + "/accounts/confirm-email/")

    page.goto(site + link_from_last_mail(r"/accounts/confirm-email/[^\s]+"))
    page.locator("main").get_by_role("button", name="Confirm").click()
    # Confirmed in the browser that signed up: signed in, on the profile page to fill in.
    page.wait_for_url(site + "/profile/")
    assert "You have confirmed newcomer@example.org." in page.locator(".messages").inner_text()
    assert page.get_by_role("button", name="Sign out").is_visible()
    assert page.get_by_role("link", name="My account", exact=True).is_visible()
    screenshot(page, "signed-in")


@pytest.mark.parametrize("part", ["text", "html"])
def test_a_korean_newcomer_confirms_the_address_from_the_link_as_a_mail_client_opens_it(
    site, make_page, part
):
    """allauth's Korean glued a particle to the link ("…/KEY/을 클릭하세요"): a mail client links up
    to the next space (the text part) and Django's urlize did the same (the HTML part), so the
    link opened a 404."""
    page = make_page(locale="ko-KR", **PHONE)
    page.goto(site + "/accounts/signup/")
    page.locator("#id_email").fill("newcomer@example.org")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="회원가입").click()
    page.wait_for_url(site + "/accounts/confirm-email/")
    message = mail.outbox[-1]
    if part == "text":
        # What a mail client makes a link of: from the scheme to the next space.
        link = re.search(r"https?://\S+", message.body).group(0)
    else:
        link = html.unescape(
            re.search(r'href="([^"]*confirm-email[^"]*)"', message.alternatives[0].content).group(1)
        )
    page.goto(site + urlsplit(link).path)
    page.locator("main").get_by_role("button", name="확인").click()
    page.wait_for_url(site + "/profile/")
    assert page.locator(".messages").inner_text().startswith("newcomer@example.org")


def test_staff_sign_in_with_password_and_authenticator_code_and_reach_the_admin(site, page):
    staff, secret = make_staff_with_totp(email="seminar-staff@hub.example.org")
    page.goto(site + "/admin/")
    page.wait_for_url(f"{site}/accounts/login/**")
    screenshot(page, "sign-in")
    page.locator("#id_login").fill(staff.email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Sign In").click()
    page.wait_for_url(f"{site}/accounts/2fa/authenticate/**")
    page.locator("#id_code").fill(totp_code(secret))
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(site + "/admin/")
    assert page.locator("#site-name").inner_text() == settings.HUB_NAME
    screenshot(page, "admin")


ENGLISH = {"sign_in": "Sign In", "activate": "Activate", "continue": "Continue", "hub": settings.HUB_NAME}
KOREAN = {"sign_in": "로그인", "activate": "활성화", "continue": "계속", "hub": settings.HUB_NAME_KO}


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"locale": "en-GB"}, ENGLISH),
        ({"locale": "ko-KR"}, KOREAN),
        ({"locale": "en-GB", **PHONE}, ENGLISH),
        ({"locale": "ko-KR", **PHONE}, KOREAN),
    ],
    ids=["en", "ko", "phone", "ko-phone"],
)
def test_staff_without_an_authenticator_sign_in_once_set_it_up_and_land_in_the_admin(
    site, make_page, options, words
):
    """Password once, the set-up (with a code from the secret the page shows), the recovery codes,
    then the admin they asked for: no second password prompt, no detour through /profile/."""
    staff = StaffFactory(email="new-staff@hub.example.org", totp=False)
    page = make_page(**options)
    page.goto(site + "/admin/")
    page.wait_for_url(f"{site}/accounts/login/**")
    page.locator("#id_login").fill(staff.email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name=words["sign_in"]).click()

    page.wait_for_url(f"{site}/accounts/2fa/totp/activate/?next=%2Fadmin%2F")
    assert [str(v) for v in blocking_violations(page)] == []
    screenshot(page, f"staff-setup-{options['locale']}-{options.get('viewport', {}).get('width', 1280)}")
    secret = page.locator("#authenticator_secret").input_value()
    page.locator("#id_code").fill(totp_code(secret))
    page.locator("main").get_by_role("button", name=words["activate"]).click()

    page.wait_for_url(f"{site}/accounts/2fa/recovery-codes/?next=%2Fadmin%2F")
    assert len(page.locator("#recovery_codes").input_value().split()) == 10
    assert [str(v) for v in blocking_violations(page)] == []
    screenshot(page, f"staff-codes-{options['locale']}-{options.get('viewport', {}).get('width', 1280)}")
    page.locator("main").get_by_role("link", name=words["continue"], exact=True).click()

    page.wait_for_url(site + "/admin/")
    # The admin names the hub in the reader's language, as every page does.
    assert page.locator("#site-name").inner_text() == words["hub"]
    # The seminar agenda fits the screen (Korean titles once stood one letter a line, 481 px wide).
    width = page.viewport_size["width"]
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    screenshot(page, f"staff-admin-{options['locale']}-{options.get('viewport', {}).get('width', 1280)}")
