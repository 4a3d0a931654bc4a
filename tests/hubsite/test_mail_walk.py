"""Every mail the site sends (tests/mail_walk.py sends each once, in English and Korean, with
`' & " < >` in every name and text): plain text and subjects as written, HTML escaped, an HTML part
for every message, and every calendar part typed with its METHOD and naming people truthfully."""

import html
import re

import pytest
from django.utils import translation
from icalendar import Calendar

from hubsite.mail import build_email
from tests.mail_walk import (
    allauth_mail_templates,
    escaped,
    hostile,
    send_every_mail,
    site_mail_templates,
)

pytestmark = pytest.mark.django_db

# An HTML character reference of any kind: &amp; &#x27; &#39; &quot; ...
ENTITY = re.compile(r"&(?:#x?[0-9a-fA-F]+|[a-zA-Z]+);")


@pytest.fixture(params=["en", "ko"])
def every_mail(request, monkeypatch, settings):
    return send_every_mail(monkeypatch, settings, request.param), request.param


def test_every_mail_template_is_walked(every_mail):
    sent, _language = every_mail
    walked = {mail.template for mail in sent}
    assert site_mail_templates() - walked == set()
    assert allauth_mail_templates() - walked == set()
    assert len(site_mail_templates()) == 27
    assert len(allauth_mail_templates()) == 20


def test_text_parts_and_subjects_show_names_as_written_never_html_escaped(every_mail):
    sent, _language = every_mail
    for mail in sent:
        message = mail.message
        assert ENTITY.findall(message.body_text) == [], mail.template
        assert ENTITY.findall(message.subject) == [], mail.template
        for label in mail.in_text:
            assert hostile(label) in message.body_text, (mail.template, label)
        for label in mail.in_subject:
            assert hostile(label) in message.subject, (mail.template, label)


def test_every_mail_has_an_html_part_on_the_hub_layout_with_names_escaped(every_mail):
    sent, _language = every_mail
    for mail in sent:
        html = mail.message.body_html
        assert html.startswith(f'<!DOCTYPE html>\n<html lang="{mail.message.language}">'), mail.template
        assert f'font-weight:600;color:#1d3a6e;">{escaped(hostile("HUB"))}</p>' in html, mail.template
        for label in mail.in_text:
            assert escaped(hostile(label)) in html, (mail.template, label)
        assert re.findall(r"<[A-Z]+>", html) == [], mail.template  # no hostile <LABEL> as a tag


# What each calendar says of the person it is sent to, by kind of message: the METHOD, and their
# PARTSTAT (None: no ATTENDEE, a calendar published to anyone). Every other message has no calendar.
CALENDARS = {
    "registration_confirm_link": ("REQUEST", {"NEEDS-ACTION"}),
    "registration_confirmed": ("REQUEST", {"ACCEPTED"}),
    "registration_promoted": ("REQUEST", {"ACCEPTED"}),
    "registration_cancelled": ("CANCEL", {"DECLINED"}),
    "event_update": ("REQUEST", {"ACCEPTED"}),
    # The promoted member had a seat; the invited address never registered.
    "event_cancelled": ("CANCEL", {"ACCEPTED", "NEEDS-ACTION"}),
    "invitation": ("PUBLISH", None),
    "series_announcement": ("PUBLISH", None),
    "visits.approved": ("PUBLISH", None),
    "visits.host_approved": ("PUBLISH", None),
    "visits.extension_decided": ("PUBLISH", None),
    "visits.withdrawn": ("PUBLISH", None),
    "visits.cancelled": ("PUBLISH", None),
}


def test_every_calendar_part_carries_its_method_and_names_attendees_truthfully(every_mail):
    sent, _language = every_mail
    seen = {}
    for mail in sent:
        parts = [
            p for p in build_email(mail.message).message().walk() if p.get_content_type() == "text/calendar"
        ]
        kind = mail.message.kind
        if not parts:
            assert kind not in CALENDARS, kind
            continue
        (part,) = parts
        # A series' subscriber is no attendee: the entry their announcement made is updated or cancelled.
        subscriber = mail.message.recipient.startswith("reader-") and kind in (
            "event_update",
            "event_cancelled",
        )
        method, partstats = ("PUBLISH", None) if subscriber else CALENDARS[kind]
        data = part.get_payload(decode=True)
        calendar = Calendar.from_ical(data)
        assert (part.get_param("method"), part.get_content_charset()) == (method, "utf-8"), kind
        assert str(calendar["METHOD"]) == method
        assert part.get_content_disposition() == "attachment"
        assert part.get_filename().endswith(".ics")
        assert data.count(b"\r\n") == data.count(b"\n"), "RFC 5545 lines end with CRLF"
        attendees = [a for event in calendar.walk("VEVENT") for a in _list(event.get("ATTENDEE"))]
        if partstats is None:
            assert attendees == [], kind
            continue
        (attendee,) = attendees
        assert str(attendee) == f"mailto:{mail.message.recipient}"
        # Their name when it is known (every walked person has one), never their address.
        assert attendee.params["CN"] == hostile("PERSON"), kind
        assert attendee.params["PARTSTAT"] in partstats, kind
        seen.setdefault(kind, set()).add(attendee.params["PARTSTAT"])
    assert seen == {kind: partstats for kind, (_method, partstats) in CALENDARS.items() if partstats}


# A mail client links an address up to the next space; these end a sentence rather than the address.
ADDRESS = re.compile(r"https?://\S+")
SENTENCE_PUNCTUATION = ".,;:!?)'\""


def _addresses(text: str) -> set[str]:
    return {word.rstrip(SENTENCE_PUNCTUATION) for word in ADDRESS.findall(text)}


def test_every_address_in_a_text_part_is_a_word_of_its_own(every_mail):
    """allauth's Korean catalogue glued a particle to the confirmation link ("…/KEY/을 클릭하세요"):
    a mail client took it into the link, and every Korean sign-up opened a 404."""
    sent, _language = every_mail
    for mail in sent:
        for address in _addresses(mail.message.body_text):
            assert address.isascii(), (mail.template, address)


def test_every_link_of_an_html_part_is_an_address_its_text_part_shows(every_mail):
    sent, _language = every_mail
    for mail in sent:
        links = {html.unescape(href) for href in re.findall(r'href="([^"]*)"', mail.message.body_html)}
        assert links - _addresses(mail.message.body_text) == set(), mail.template


@pytest.fixture(params=["en", "ko"])
def every_mail_sent_from_korean_pages(request, monkeypatch, settings):
    """Every mail, each action taken by someone reading the site in Korean (their request's language
    is the active one), to recipients of either language."""
    with translation.override("ko"):
        return send_every_mail(monkeypatch, settings, request.param)


def test_every_calendar_part_is_in_english_whatever_the_language_of_its_mail(
    every_mail_sent_from_korean_pages,
):
    """A calendar has no language (docs/architecture.md), like the feeds: a Korean reader's
    registration once put "발표자:" in its mail's calendar. The walk's names hold no Korean, so
    any Korean in a calendar is a label."""
    for mail in every_mail_sent_from_korean_pages:
        for part in build_email(mail.message).message().walk():
            if part.get_content_type() == "text/calendar":
                text = part.get_payload(decode=True).decode()
                assert HANGUL.findall(text) == [], mail.template


HANGUL = re.compile(r"[\u3131-\u318e\uac00-\ud7a3]+")


def _list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
