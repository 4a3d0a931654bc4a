"""One rule for dates and times (hubsite.dates): what each named format reads in English and Korean,
Django's own formats (the admin's) built from it, Korean pages and mails as the issue found them, and
no template or module with a date format of its own."""

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.template import Context, Template
from django.utils import formats, translation

from events import services as event_services
from hubsite import dates
from tests.factories import EventFactory, ProjectFactory, UserFactory, VisitFactory
from visits import services as visit_services

SEOUL = ZoneInfo("Asia/Seoul")


@pytest.fixture(autouse=True)
def _english_afterwards():
    """A Korean request leaves Korean active in this thread (LocaleMiddleware): not for the next test."""
    yield
    translation.activate("en")


FRIDAY = dt.datetime(2026, 12, 18, 16, 0, tzinfo=SEOUL)


@pytest.mark.parametrize(
    ("name", "english", "korean"),
    [
        ("day", "18 Dec 2026", "2026년 12월 18일"),
        ("day_weekday", "Fri 18 Dec 2026", "2026년 12월 18일 (금)"),
        ("day_long", "Friday 18 December 2026", "2026년 12월 18일 (금)"),
        ("day_full", "18 December 2026", "2026년 12월 18일"),
        ("month_day", "18 Dec", "12월 18일"),
        ("month_day_weekday", "Fri 18 Dec", "12월 18일 (금)"),
        ("month", "December 2026", "2026년 12월"),
        ("time", "16:00", "16:00"),
        ("datetime", "Fri 18 Dec 2026, 16:00", "2026년 12월 18일 (금) 16:00"),
        ("datetime_long", "Friday 18 December 2026, 16:00", "2026년 12월 18일 (금) 16:00"),
        ("month_day_time", "Fri 18 Dec, 16:00", "12월 18일 (금) 16:00"),
    ],
)
def test_named_formats_read_naturally_in_english_and_korean(name, english, korean):
    assert (dates.fmt(FRIDAY, name, lang="en"), dates.fmt(FRIDAY, name, lang="ko")) == (english, korean)


def test_every_named_format_has_both_languages():
    assert {name: set(patterns) for name, patterns in dates.FORMATS.items()} == {
        name: {"en", "ko"} for name in dates.FORMATS
    }


@pytest.mark.parametrize(
    ("zone", "hours", "english", "korean"),
    [
        ("Asia/Seoul", 1.5, "Fri 18 Dec 2026, 16:00–17:30 KST", "2026년 12월 18일 (금) 16:00~17:30 KST"),
        (
            "Asia/Seoul",
            20,
            "Fri 18 Dec 2026, 16:00 – Sat 19 Dec 2026, 12:00 KST",
            "2026년 12월 18일 (금) 16:00 ~ 2026년 12월 19일 (토) 12:00 KST",
        ),
        ("Europe/Paris", 1, "Fri 18 Dec 2026, 08:00–09:00 CET", "2026년 12월 18일 (금) 08:00~09:00 CET"),
        # Zones without a letter abbreviation read as an offset from UTC, never "+04".
        ("Asia/Dubai", 1, "Fri 18 Dec 2026, 11:00–12:00 UTC+4", "2026년 12월 18일 (금) 11:00~12:00 UTC+4"),
        (
            "Asia/Kathmandu",
            1,
            "Fri 18 Dec 2026, 12:45–13:45 UTC+5:45",
            "2026년 12월 18일 (금) 12:45~13:45 UTC+5:45",
        ),
    ],
)
def test_an_event_time_reads_in_its_own_zone_in_both_languages(zone, hours, english, korean):
    end = FRIDAY + dt.timedelta(hours=hours)
    with translation.override("en"):
        assert dates.time_range(FRIDAY, end, zone=zone) == english
    with translation.override("ko"):
        assert dates.time_range(FRIDAY, end, zone=zone) == korean


def test_a_stay_reads_as_a_range_of_days_in_both_languages():
    first, last = dt.date(2026, 12, 18), dt.date(2026, 12, 27)
    with translation.override("en"):
        assert dates.date_range(first, last) == "18 Dec 2026 – 27 Dec 2026"
        assert dates.date_range(first, last, name="day_weekday") == "Fri 18 Dec 2026 – Sun 27 Dec 2026"
    with translation.override("ko"):
        assert dates.date_range(first, last) == "2026년 12월 18일 ~ 2026년 12월 27일"
        assert (
            dates.date_range(first, last, name="day_weekday")
            == "2026년 12월 18일 (금) ~ 2026년 12월 27일 (일)"
        )


def test_djangos_formats_and_the_admin_follow_the_same_rule():
    for language in ("en", "ko"):
        with translation.override(language):
            assert formats.get_format("DATE_FORMAT") == dates.pattern("day")
            assert formats.get_format("DATETIME_FORMAT") == dates.pattern("datetime")
            assert formats.get_format("TIME_FORMAT") == dates.pattern("time")
    with translation.override("ko"):
        assert formats.localize(FRIDAY.replace(tzinfo=None)) == "2026년 12월 18일 (금) 16:00"
        # Input still takes the ISO dates the forms' widgets write.
        assert formats.get_format("DATE_INPUT_FORMATS")[0] == "%Y-%m-%d"


def test_admin_changelist_shows_dates_by_the_rule(admin_client):
    EventFactory(start=FRIDAY, end=FRIDAY + dt.timedelta(hours=1), time_zone="Asia/Seoul")
    html = admin_client.get("/admin/events/event/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "2026년 12월 18일 (금) 16:00 KST" in html


def test_template_filters_and_tags_use_the_rule():
    template = Template(
        "{% load tz dates %}{% timezone 'Europe/Paris' %}{{ moment|date_as:'datetime' }} {{ moment|iso }}"
        "{% endtimezone %} | {{ event|event_when }} | {% date_range first last %} | {{ at|date_as:'time' }}"
    )
    event = EventFactory.build(start=FRIDAY, end=FRIDAY + dt.timedelta(hours=1), time_zone="Asia/Seoul")
    context = Context(
        {"moment": FRIDAY, "event": event, "first": dt.date(2026, 12, 18), "last": dt.date(2026, 12, 19)}
        | {"at": dt.time(9, 5)}
    )
    with translation.override("ko"):
        assert template.render(context) == (
            "2026년 12월 18일 (금) 08:00 2026-12-18T08:00:00+01:00 | 2026년 12월 18일 (금) 16:00~17:00 KST | "
            "2026년 12월 18일 ~ 2026년 12월 19일 | 09:05"
        )


# --- What the issue found, read again in Korean -----------------------------------------------


@pytest.mark.django_db
def test_korean_register_page_and_panel_read_korean_dates(client):
    start = dt.datetime(2031, 7, 4, 16, 0, tzinfo=SEOUL)
    event = EventFactory(start=start, end=start + dt.timedelta(minutes=90), time_zone="Asia/Seoul")
    client.cookies["django_language"] = "ko"
    register = client.get(f"/events/{event.slug}/register/").content.decode()
    assert "2031년 7월 4일 (금) 16:00~17:30 KST" in register
    closes = event_services.registration_closes_at(event).astimezone(SEOUL)
    assert f"등록 마감: {closes.year}년 {closes.month}월 {closes.day}일 " in register
    assert re.search(r"\d+ \d+월 \d{4}", register) is None  # never "18 12월 2026"
    page = client.get(event.get_absolute_url()).content.decode()
    assert "2031년 7월 4일 (금) 16:00~17:30 KST" in page
    assert re.search(r"\d+ \d+월 \d{4}", page) is None


@pytest.mark.django_db
def test_korean_mails_read_korean_dates(django_capture_on_commit_callbacks):
    start = dt.datetime(2031, 7, 4, 16, 0, tzinfo=SEOUL)
    event = EventFactory(start=start, end=start + dt.timedelta(hours=1), time_zone="Asia/Seoul")
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        event_services.registration_create(event=event, email=user.email, name="민", user=user, language="ko")
    (confirmed,) = mail.outbox
    assert "\n2031년 7월 4일 (금) 16:00~17:00 KST\n" in confirmed.body
    visit = VisitFactory(first_day=dt.date(2031, 12, 21), last_day=dt.date(2031, 12, 27))
    visit.researcher.preferred_language = "ko"
    visit.researcher.save()
    visit_services.visit_reminders_send(today=dt.date(2031, 12, 20))  # nothing: not approved
    visit.status = visit.Status.APPROVED
    visit.save()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        visit_services.visit_reminders_send(today=dt.date(2031, 12, 24))
    (checkout,) = [m for m in mail.outbox if m.to == [visit.researcher.email]]
    assert "2031년 12월 27일 (토)" in checkout.body
    assert "12월 27일" in checkout.subject
    assert re.search(r"\d+ \d+월 \d{4}", checkout.body) is None  # never "27 12월 2031"


@pytest.mark.django_db
def test_korean_pages_join_two_dates_with_a_tilde(client, settings):
    """A project's dates and the week of "Who is at the hub" were joined by hand with an en dash:
    "2025년 10월 1일 – 2027년 9월 30일"."""
    settings.PAGE_CACHE_SECONDS = 0
    project = ProjectFactory(start_date=dt.date(2025, 10, 1), end_date=dt.date(2027, 9, 30))
    client.cookies["django_language"] = "ko"
    page = client.get(f"/projects/{project.slug}/").content.decode()
    assert '2025년 10월 1일</time> ~ <time datetime="2027-09-30">2027년 9월 30일</time>' in page
    with time_machine.travel(dt.datetime(2026, 12, 16, 12, 0, tzinfo=SEOUL), tick=False):
        here = client.get("/visits/here/").content.decode()
    assert "이번 주와 다음 주(2026년 12월 14일 ~ 2026년 12월 27일)" in here
    assert KOREAN_DATE_DASH.findall(page + here) == []


# A Korean date, then an en dash or hyphen to the next one: a range written by hand.
KOREAN_DATE_DASH = re.compile(r"\d+일(?:</time>)?(?: \([월화수목금토일]\))?\s*[–-]\s*(?:<time[^>]*>)?\d")


@pytest.mark.django_db
def test_the_letter_dates_read_in_english_whatever_the_page_language(client):
    visit = VisitFactory(
        first_day=dt.date(2031, 12, 18),
        last_day=dt.date(2031, 12, 27),
        needs_visa_letter=True,
        status="approved",
    )
    client.force_login(visit.researcher.user)
    client.cookies["django_language"] = "ko"
    html = client.get(f"/visits/{visit.pk}/letter/").content.decode()
    assert "<td>18 December 2031 to 27 December 2031 (10 days)</td>" in html


# --- One home: no date format anywhere else --------------------------------------------------------

BASE = Path(settings.BASE_DIR)
# A date filter or tag with a format of its own, in any template: |date:"…", |time:"…", {% now "…" %}.
TEMPLATE_FORMAT = re.compile(r"\|\s*(?:date|time)\s*:|\{%\s*now\s")
# Python that writes a date: strftime, Django's date_format/time_format/dateformat, f"{day:%d}".
PYTHON_FORMAT = re.compile(r"\.strftime\(|\bdate_format\(|\btime_format\(|\bdateformat\.|\{[^{}]*:%[a-zA-Z]")
# Machine formats that no person reads: the value of a <input type="datetime-local">, a month filter's
# query value. The home itself and Django's formats modules are built from it.
PYTHON_ALLOWED = {"events/forms.py": 1}  # value.strftime(LOCAL_FORMAT), the input's own value
HOME = {"hubsite/dates.py"}
APPS = ["hubsite", "events", "visits", "researchers", "projects", "reports"]


def test_no_template_writes_a_date_format_of_its_own():
    offenders = [
        f"{path.relative_to(BASE)}:{number}: {line.strip()[:120]}"
        for path in sorted((BASE / "templates").rglob("*"))
        if path.is_file()
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if TEMPLATE_FORMAT.search(line)
    ]
    assert offenders == []


# Two dates joined by hand: a date (`date_as`, or a variable a blocktranslate took from one) then a
# dash or tilde. The rule's `date_range` and `range_separator` write the separator of the language.
DATE_VARIABLE = re.compile(r"\bwith\b.*?\b(\w+)=[\w.]+\|date_as")


def test_no_template_joins_two_dates_by_hand():
    offenders = []
    for path in sorted((BASE / "templates").rglob("*")):
        if not path.is_file():
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            names = DATE_VARIABLE.findall(line)
            dated = r"date_as:\"\w+\"\s*}}(?:</time>)?(?:{%[^%]*%})*"
            joined = [rf"{{{{ {name} }}}}" for name in names] + [dated]
            if any(re.search(rf"{left}\s*[–~]\s", line) for left in joined):
                offenders.append(f"{path.relative_to(BASE)}:{number}: {line.strip()[:120]}")
    assert offenders == []


def test_no_module_writes_a_date_format_of_its_own():
    found = {}
    for app in APPS:
        for path in sorted((BASE / app).rglob("*.py")):
            relative = str(path.relative_to(BASE))
            if "/migrations/" in relative or relative.startswith("hubsite/formats/") or relative in HOME:
                continue
            count = sum(len(PYTHON_FORMAT.findall(line)) for line in path.read_text().splitlines())
            if count:
                found[relative] = count
    assert found == PYTHON_ALLOWED


def test_the_readers_clock_script_takes_its_patterns_from_the_page():
    script = (BASE / "static/js/localtime.js").read_text()
    when = (BASE / "templates/events/_when.html").read_text()
    assert "data-format-time=\"{% date_pattern 'time' %}\"" in when
    assert "data-format-day-time=\"{% date_pattern 'month_day_time' %}\"" in when
    # No date pattern of its own: only fallbacks equal to the rule's English patterns.
    assert re.findall(r'"([^"]*H:i[^"]*)"', script) == [
        dates.pattern("time", "en"),
        dates.pattern("month_day_time", "en"),
    ]


@pytest.mark.django_db
def test_registration_opening_message_reads_by_the_rule():
    start = dt.datetime(2031, 7, 4, 16, 0, tzinfo=SEOUL)
    event = EventFactory(
        start=start, end=start + dt.timedelta(hours=1), registration_opens=start - dt.timedelta(days=3)
    )
    with pytest.raises(event_services.RegistrationError) as error, translation.override("en"):
        event_services.registration_check_open(event=event, now=start - dt.timedelta(days=5))
    assert error.value.messages == ["Registration opens on Tue 1 Jul 2031, 16:00 KST."]
