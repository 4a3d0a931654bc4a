"""Every mail's HTML part as a phone shows it: nothing wider than the screen (tests/mail_walk.py
sends every mail the site has, in English and Korean)."""

import pytest

from tests.mail_walk import send_every_mail

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

# The narrowest phone the site is read on.
NARROW = {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 2, "is_mobile": True}


@pytest.mark.parametrize("language", ["en", "ko"])
def test_every_mail_fits_a_phone_screen(make_page, monkeypatch, settings, language):
    """A long link (allauth's password reset key) once pushed the message out to 422 px."""
    sent = send_every_mail(monkeypatch, settings, language)
    page = make_page(**NARROW)
    too_wide = {}
    for mail in sent:
        page.set_content(mail.message.body_html)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > NARROW["viewport"]["width"]:
            too_wide[mail.template] = width
    assert too_wide == {}
