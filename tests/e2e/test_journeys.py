"""Journeys through the seminars in a real browser, with the page cache on as in production."""

import re

import pytest

from tests.browser import PHONE, screenshot
from tests.factories import PASSWORD
from tests.security.roles import make_staff_with_totp, totp_code

pytestmark = pytest.mark.browser


def _theme_with_upcoming_seminars():
    from events.models import Event
    from researchers.models import Theme

    upcoming = Event.objects.public().upcoming()
    theme = Theme.objects.filter(events__in=upcoming).distinct().order_by("pk").first()
    assert theme is not None, "seed_demo made no upcoming public seminar with a theme"
    titles = set(upcoming.filter(themes=theme).values_list("title", flat=True))
    others = set(upcoming.exclude(themes=theme).values_list("title", flat=True))
    return theme, titles, others


def test_public_filters_seminars_by_theme_and_reads_the_time_on_their_own_clock(site, make_page):
    theme, titles, others = _theme_with_upcoming_seminars()
    page = make_page(timezone_id="Europe/Paris")
    page.goto(site + "/events/")
    page.locator("#id_theme").select_option(theme.slug)
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(rf".*/events/\?.*theme={theme.slug}(&|$)"))
    shown = set(page.locator(".card h3 a").all_inner_texts())
    assert shown and shown <= titles
    assert not shown & others
    screenshot(page, "journey-events-by-theme")

    page.locator(".card h3 a").first.click()
    page.wait_for_url(re.compile(r".*/events/[-\w]+/$"))
    when = page.locator(".when").first
    when.locator(".localtime").wait_for(state="visible")
    # Seoul's time as the event states it, then the reader's in Paris (CET or CEST by the date).
    assert re.search(r" KST · \d\d:\d\d–\d\d:\d\d CES?T on your clock$", when.inner_text()), when.inner_text()
    screenshot(page, "journey-seminar-on-your-clock")

    # Register as a guest, confirm from the link in the e-mail, and see the seat.
    event_url = page.url
    seats = page.locator(".seats-list .seats").first.inner_text()
    free_before = int(re.search(r": (\d+) seats? left", seats).group(1))
    page.get_by_label("Your name").fill("Camille Guest")
    page.get_by_label("Your e-mail address").fill("camille@example.org")
    page.get_by_role("button", name="Register", exact=True).click()
    page.wait_for_url(re.compile(r".*/register/$"))
    assert page.locator(".messages").inner_text() == (
        "Almost done: we sent a message to camille@example.org. Open it for the next step."
    )
    page.goto(site + _link_in_mail_to("camille@example.org", r"/registrations/confirm/[^/\s]+/"))
    page.get_by_role("button", name=re.compile("Confirm")).click()
    page.wait_for_load_state()
    assert "You are registered" in page.locator("main").inner_text()
    screenshot(page, "journey-guest-registered")
    page.goto(event_url)
    seats = page.locator(".seats-list .seats").first.inner_text()
    assert int(re.search(r": (\d+) seats? left", seats).group(1)) == free_before - 1


def _sign_in_staff(page, site, staff, secret):
    page.goto(f"{site}/accounts/login/?next=/admin/")
    page.locator("#id_login").fill(staff.email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Sign In").click()
    page.wait_for_url(f"{site}/accounts/2fa/authenticate/**")
    page.locator("#id_code").fill(totp_code(secret))
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(site + "/admin/")


def test_staff_create_and_publish_a_seminar_in_the_admin_and_the_public_sees_it(site, make_page):
    staff, secret = make_staff_with_totp(email="seminar-desk@hub.example.org")
    title = "Sparse attention at scale"
    reader = make_page()
    reader.goto(site + "/events/")  # the anonymous page is now in the page cache
    assert title not in reader.locator("main").inner_text()

    page = make_page()
    _sign_in_staff(page, site, staff, secret)
    page.goto(site + "/admin/events/event/add/")
    page.locator("#id_kind").select_option("seminar")
    page.locator("#id_title").fill(title)
    page.locator("#id_abstract").fill("How to attend to fewer tokens.")
    page.locator("#id_time_zone").fill("Asia/Seoul")
    page.locator("#id_start").fill("2031-07-01T16:00")
    page.locator("#id_end").fill("2031-07-01T17:00")
    page.locator("#id_format").select_option("online")
    page.locator("#id_online_url").fill("https://meet.example.org/sparse")
    page.locator("#id_speakers_tba").check()
    page.locator("input[name=_save]").click()
    page.wait_for_url(site + "/admin/events/event/")
    screenshot(page, "journey-admin-draft-saved")

    reader.goto(site + "/events/")
    assert title not in reader.locator("main").inner_text()  # a draft is not public

    row = page.locator("#result_list tr", has_text=title)
    row.locator("input.action-select").check()
    page.locator("select[name=action]").select_option("publish_events")
    page.locator("button[name=index]").click()
    assert "1 event published." in page.locator(".messagelist").inner_text()

    reader.goto(site + "/events/")
    assert title in reader.locator("main").inner_text()
    reader.get_by_role("link", name=title).click()
    reader.wait_for_url(re.compile(r".*/events/sparse-attention-at-scale-2031-07-01/$"))
    assert reader.locator("h1").inner_text() == title
    screenshot(reader, "journey-published-seminar")


KEY_PAGES = ["/events/", "/series/", "/partners/", "/researchers/", "/projects/", "/visits/"]


@pytest.mark.parametrize("path", KEY_PAGES)
def test_key_pages_in_korean_on_a_phone(site, make_page, path):
    page = make_page(locale="ko-KR", **PHONE)
    page.goto(site + path)
    assert page.locator("html").get_attribute("lang") == "ko"
    assert page.get_by_role("link", name="본문으로 건너뛰기").count() == 1  # "Skip to main content"
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    assert page.locator("main h1").first.is_visible()
    screenshot(page, "phone-ko-" + path.strip("/"))


def _link_in_mail_to(address: str, pattern: str) -> str:
    from django.core import mail

    for message in reversed(mail.outbox):
        if address in message.to:
            match = re.search(r"https?://[^/\s]+(" + pattern + r")", message.body)
            if match:
                return match.group(1)
    raise AssertionError(f"no mail to {address} with a link matching {pattern!r}")


def test_visitor_registers_a_stay_the_host_endorses_from_the_mail_and_staff_approve(site, make_page):
    import datetime as dt

    from django.utils import timezone

    from researchers.models import Researcher
    from visits.models import Visit
    from visits.services import email_of

    host = Researcher.objects.filter(is_hub_member=True).order_by("name").first()
    host_email = email_of(host)
    staff, secret = make_staff_with_totp(email="visits-desk@hub.example.org")
    first_day = timezone.localdate() + dt.timedelta(days=45)
    last_day = first_day + dt.timedelta(days=9)

    # The visitor signs up, confirms the address from the mail, and registers a stay.
    visitor = make_page()
    visitor.goto(site + "/accounts/signup/")
    visitor.locator("#id_email").fill("visiting@uni.example.org")
    visitor.locator("#id_password1").fill(PASSWORD)
    visitor.locator("#id_password2").fill(PASSWORD)
    visitor.locator("main").get_by_role("button", name="Sign Up").click()
    visitor.wait_for_url(site + "/accounts/confirm-email/")
    visitor.goto(site + _link_in_mail_to("visiting@uni.example.org", r"/accounts/confirm-email/[^\s]+"))
    visitor.locator("main").get_by_role("button", name="Confirm").click()
    visitor.wait_for_url(site + "/profile/")

    visitor.goto(site + "/visits/new/")
    if visitor.locator("#id_name").count():
        visitor.locator("#id_name").fill("Ada Visitor")
    visitor.locator("#id_host").select_option(str(host.pk))
    visitor.locator("#id_first_day").fill(first_day.isoformat())
    visitor.locator("#id_last_day").fill(last_day.isoformat())
    visitor.locator("#id_purpose").fill("Joint work on sparse attention.")
    visitor.get_by_role("button", name="Register the stay").click()
    visitor.wait_for_url(re.compile(r".*/visits/\d+/$"))
    visit = Visit.objects.get(researcher__user__email="visiting@uni.example.org")
    assert visit.status == Visit.Status.SUBMITTED
    screenshot(visitor, "journey-stay-submitted")

    # The host endorses from the link in their mail, without signing in.
    host_page = make_page()
    host_page.goto(site + _link_in_mail_to(host_email, r"/visits/endorse/[^\s]+"))
    host_page.get_by_role("button", name="Endorse the stay").click()
    visit.refresh_from_db()
    assert visit.status == Visit.Status.ENDORSED

    # Staff approve it in the admin.
    admin = make_page()
    _sign_in_staff(admin, site, staff, secret)
    admin.goto(site + "/admin/visits/visit/")
    row = admin.locator("#result_list tr", has_text="Ada Visitor")
    row.locator("input.action-select").check()
    admin.locator("select[name=action]").select_option("approve")
    admin.locator("button[name=index]").click()
    admin.locator(".messagelist").wait_for()
    visit.refresh_from_db()
    assert visit.status == Visit.Status.APPROVED

    visitor.goto(f"{site}/visits/{visit.pk}/")
    assert "Approved" in visitor.locator("main").inner_text()
    screenshot(visitor, "journey-stay-approved")
