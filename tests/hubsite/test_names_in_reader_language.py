"""Names in the reader's language on every page, form, feed and e-mail (hubsite.i18n).

Every model with a Korean name field is named by one rule: `display_name` (the Korean name on
Korean pages when there is one, else the English). The tests build one row of each such model,
linked the way the site shows them, and walk every page that lists, filters or shows them, in
Korean and in English: each page shows the names in its own language and never the other's,
except inside an element marked with the other language (`<p lang="en">`), which is how a page
says "also known as".
"""

import datetime as dt
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from hubsite.i18n import ReaderLanguageName, hub_name, in_reader_language
from tests.factories import (
    EventFactory,
    EventSpeakerFactory,
    InstitutionFactory,
    ProjectFactory,
    ProjectMemberFactory,
    ProjectPartnerFactory,
    RegistrationFactory,
    ResearcherFactory,
    SeriesFactory,
    ThemeFactory,
    UserFactory,
    VisitFactory,
    WorkspaceFactory,
)
from tests.security.roles import make_staff_with_totp, sign_in_with_totp
from visits.models import Visit

pytestmark = pytest.mark.django_db

LANGUAGES = ("ko", "en")


class Names:
    """The rows, each with an English and a Korean name that appear nowhere else."""

    def __init__(self):
        today = timezone.localdate()
        self.theme = ThemeFactory(name="Quantum Widgets", name_ko="양자 위젯", slug="t-one")
        self.home = InstitutionFactory(
            name="Northwind University", name_ko="노스윈드 대학교", slug="i-one", short_name="", country="KR"
        )
        self.away = InstitutionFactory(
            name="Eastgate Institute",
            name_ko="이스트게이트 연구소",
            slug="i-two",
            short_name="",
            country="FR",
        )
        self.host = ResearcherFactory(
            name="Haneul Yoon",
            name_ko="윤하늘",
            slug="r-one",
            institution=self.home,
            is_hub_member=True,
            is_speaker=True,
            user=UserFactory(),
        )
        self.visitor = ResearcherFactory(
            name="Dana Whitfield",
            name_ko="다나 휫필드",
            slug="r-two",
            institution=self.away,
            is_visiting=True,
            is_speaker=True,
            user=UserFactory(),
        )
        for person in (self.host, self.visitor):
            person.themes.set([self.theme])
        self.series = SeriesFactory(title="Widget Colloquium", title_ko="위젯 콜로키움", slug="s-one")
        self.series.themes.set([self.theme])
        self.series.organisers.set([self.host])
        self.project = ProjectFactory(
            title="Widget Atlas", title_ko="위젯 아틀라스", slug="p-one", lead=self.host, start_date=None
        )
        self.project.themes.set([self.theme])
        ProjectMemberFactory(project=self.project, researcher=self.visitor, role="visiting")
        ProjectPartnerFactory(project=self.project, institution=self.home)
        ProjectPartnerFactory(project=self.project, institution=self.away)
        start = timezone.now().replace(microsecond=0)
        self.event = EventFactory(
            title="Folding widgets at scale",
            title_ko="대규모 위젯 접기",
            slug="e-one",
            series=self.series,
            project=self.project,
            start=start + dt.timedelta(days=3),
            end=start + dt.timedelta(days=3, hours=1),
        )
        self.past_event = EventFactory(
            title="Unfolding widgets",
            title_ko="위젯 펼치기",
            slug="e-two",
            series=self.series,
            project=self.project,
            start=start - dt.timedelta(days=3),
            end=start - dt.timedelta(days=3) + dt.timedelta(hours=1),
        )
        for event in (self.event, self.past_event):
            event.themes.set([self.theme])
            EventSpeakerFactory(event=event, researcher=self.visitor)
        RegistrationFactory(
            event=self.event, name="Dana", email=self.visitor.user.email, user=self.visitor.user
        )
        self.visit = VisitFactory(
            researcher=self.visitor,
            host=self.host,
            project=self.project,
            status=Visit.Status.CHECKED_IN,
            first_day=today - dt.timedelta(days=2),
            last_day=today + dt.timedelta(days=20),
            workspace=WorkspaceFactory(),
        )
        self.visit.themes.set([self.theme])

    @property
    def rows(self):
        return [
            self.theme,
            self.home,
            self.away,
            self.host,
            self.visitor,
            self.series,
            self.project,
            self.event,
        ]

    def name_in(self, row, language: str) -> str:
        with translation.override(language):
            return row.display_name


class _Visible(HTMLParser):
    """The text and attribute values of a page, without elements marked with another language."""

    def __init__(self, language: str):
        super().__init__(convert_charrefs=True)
        self.language = language
        self.stack: list[tuple[str, bool]] = []  # (tag, foreign)
        self.parts: list[str] = []

    def _foreign(self) -> bool:
        return any(foreign for _tag, foreign in self.stack)

    def handle_starttag(self, tag, attrs):
        lang = dict(attrs).get("lang") or dict(attrs).get("xml:lang")
        # What a form holds for editing (a name field's value, a textarea) is data, not a label.
        foreign = (bool(lang) and not lang.startswith(self.language)) or tag == "textarea"
        void = tag in {"meta", "link", "img", "input", "br", "hr", "source", "area", "col", "wbr"}
        if not (foreign or self._foreign()):
            self.parts.extend(
                value for name, value in attrs if value and not (tag == "input" and name == "value")
            )
        if not void:
            self.stack.append((tag, foreign))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self.handle_endtag(tag)

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break

    def handle_data(self, data):
        if not self._foreign():
            self.parts.append(data)


def visible_text(content: str, language: str) -> str:
    parser = _Visible(language)
    parser.feed(content)
    parser.close()
    return "\n".join(parser.parts)


def check(text: str, names: Names, shown: list, language: str, where: str) -> None:
    other = "en" if language == "ko" else "ko"
    wrong = sorted({names.name_in(row, other) for row in names.rows} & set(_found(text, names, other)))
    assert wrong == [], f"{where} ({language}) shows names in the other language: {wrong}"
    missing = [names.name_in(row, language) for row in shown if names.name_in(row, language) not in text]
    assert missing == [], f"{where} ({language}) lacks the names: {missing}"


def _found(text: str, names: Names, language: str) -> list[str]:
    return [names.name_in(row, language) for row in names.rows if names.name_in(row, language) in text]


# Every page that lists, filters or shows rows named in both languages, with the rows it must name.
# (who: None is anonymous; "visitor" and "host" are the people of the stay; "staff" has MFA.)
PAGES = [
    (None, "/", ["theme", "event", "series", "visitor"]),
    (None, "/events/", ["theme", "series", "event", "visitor"]),
    (None, "/events/?when=past", ["theme", "series", "visitor"]),
    (None, "/events/e-one/", ["theme", "series", "event", "visitor"]),
    (None, "/events/e-one/register/", ["event"]),
    (None, "/events/feed.atom", ["event"]),
    (None, "/series/", ["series", "theme"]),
    (None, "/series/s-one/", ["series", "theme", "event", "host", "home"]),
    (None, "/subscriptions/series/s-one/", ["series"]),
    (None, "/partners/", ["home", "away"]),
    (None, "/partners/i-one/", ["home", "host", "theme", "project"]),
    (None, "/partners/i-two/", ["away", "visitor", "theme", "event", "project"]),
    (None, "/researchers/", ["host", "visitor", "theme", "home", "away"]),
    (None, "/researchers/?theme=t-one", ["host", "visitor", "theme"]),
    (None, "/researchers/r-one/", ["host", "home", "theme", "project"]),
    (None, "/researchers/r-two/", ["visitor", "away", "theme", "event", "project"]),
    (None, "/projects/", ["theme", "home", "away", "project", "host"]),
    (None, "/projects/?theme=t-one&partner=i-two", ["theme", "away", "project", "host"]),
    (None, "/projects/p-one/", ["project", "theme", "host", "visitor", "home", "away", "event"]),
    (None, "/themes/", ["theme"]),
    (None, "/themes/t-one/", ["theme", "project", "event", "host", "visitor", "home", "away"]),
    (None, "/visits/here/", ["theme", "visitor", "away"]),
    ("host", "/profile/", ["theme", "home", "away"]),
    ("host", "/visits/", ["visitor", "away"]),
    ("visitor", "/visits/", ["host"]),
    ("visitor", "/visits/new/", ["host", "theme", "project"]),
    ("visitor", "/visits/{visit}/", ["visitor", "host", "project", "theme"]),
    ("visitor", "/my/seminars/", ["event"]),
    ("host", "/projects/p-one/edit/", ["project"]),
    ("host", "/projects/p-one/edit/members/", ["project", "host", "visitor"]),
    ("host", "/projects/p-one/edit/outputs/", ["project"]),
    ("staff", "/visits/occupancy/", ["visitor", "host"]),
    ("staff", "/report/?year={year}", ["theme", "series", "away"]),
]


@pytest.fixture
def names():
    return Names()


def _client_for(who, names, client):
    if who is None:
        return client
    if who == "staff":
        staff, secret = make_staff_with_totp()
        sign_in_with_totp(client, email=staff.email, secret=secret)
        return client
    client.force_login(
        getattr(names, who).user, backend="allauth.account.auth_backends.AuthenticationBackend"
    )
    return client


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("who", "path", "shown"), PAGES, ids=[f"{w or 'anyone'}:{p}" for w, p, _s in PAGES])
def test_page_names_rows_in_the_readers_language(client, names, who, path, shown, language):
    client = _client_for(who, names, client)
    url = path.format(visit=names.visit.pk, year=timezone.localdate().year)
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200, url
    text = visible_text(response.content.decode(), language)
    check(text, names, [getattr(names, row) for row in shown], language, url)


def test_every_model_with_a_korean_name_follows_the_one_rule():
    """A model that gains a Korean name field gains `display_name` with it (hubsite.i18n)."""
    bilingual = sorted(
        model._meta.label
        for model in apps.get_models()
        if any(field.name.endswith("_ko") for field in model._meta.get_fields())
    )
    assert bilingual == [
        "events.Event",
        "events.Series",
        "projects.Project",
        "researchers.Institution",
        "researchers.Researcher",
        "researchers.Theme",
    ]
    for label in bilingual:
        assert issubclass(apps.get_model(label), ReaderLanguageName), label


def test_in_reader_language_falls_back_to_english_without_a_korean_name():
    with translation.override("ko"):
        assert in_reader_language("Widget", "위젯") == "위젯"
        assert in_reader_language("Widget", "") == "Widget"
        assert hub_name() == settings.HUB_NAME_KO
    with translation.override("en"):
        assert in_reader_language("Widget", "위젯") == "Widget"
        assert hub_name() == settings.HUB_NAME


def test_event_json_ld_names_the_event_speakers_and_hub_in_the_readers_language(client, names):
    import json
    import re

    for language, title, speaker, hub in (
        ("ko", "대규모 위젯 접기", "다나 휫필드", settings.HUB_NAME_KO),
        ("en", "Folding widgets at scale", "Dana Whitfield", settings.HUB_NAME),
    ):
        content = client.get("/events/e-one/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
        block = re.search(r'<script type="application/ld\+json">(.*?)</script>', content, re.S).group(1)
        data = json.loads(block)
        assert (data["name"], [p["name"] for p in data["performer"]], data["organizer"]["name"]) == (
            title,
            [speaker],
            hub,
        )


# --- E-mail: rendered in the recipient's language --------------------------------------------

EMAIL_DIR = Path(settings.BASE_DIR) / "templates" / "email"
# Messages to hub staff are written in English for the staff mailbox; everything else is
# rendered in the recipient's language.
STAFF_ONLY = ("visits/staff_",)


def _email_templates() -> list[str]:
    names = []
    for path in sorted(EMAIL_DIR.rglob("*")):
        relative = path.relative_to(EMAIL_DIR).as_posix()
        if path.is_dir() or path.name.startswith(("_", "base.")) or relative.startswith(STAFF_ONLY):
            continue
        names.append(relative)
    return names


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_email_names_rows_in_the_recipients_language(names, language):
    """Every mail template, subject, text and HTML part, rendered as the outbox renders it."""
    speakers = list(names.event.speaker_links.select_related("researcher__institution"))
    context = {
        "event": names.event,
        "series": names.series,
        "speakers": speakers,
        "visit": names.visit,
        "person": names.visitor,
        "registration": names.event.registrations.first(),
        "extension": None,
        "project": names.project,
        "minutes_before": 60,
        "hours_before": 0,
        "days": 3,
        "valid_days": 30,
        "hold_minutes": 30,
    }
    templates = _email_templates()
    assert len(templates) > 40
    with translation.override(language):
        for template in templates:
            text = render_to_string(f"email/{template}", context)
            if template.endswith(".html"):
                text = visible_text(text, language)
            check(text, names, [], language, template)


def test_invitations_greet_each_researcher_by_the_name_in_their_language(names):
    from events.services import Audience, invitation_audience

    names.host.preferred_language = "ko"
    names.host.save()
    people = {
        invitee.email: (invitee.name, invitee.language)
        for invitee in invitation_audience(event=names.event, audience=Audience.RESEARCHERS)
    }
    assert people[names.host.user.email] == ("윤하늘", "ko")
    assert people[names.visitor.user.email] == ("Dana Whitfield", "en")


def test_a_stay_names_the_institution_in_the_readers_language_unless_it_was_renamed(names):
    with translation.override("ko"):
        assert names.visit.institution_display == "이스트게이트 연구소"
        names.visit.institution_name = "Eastgate Institute of Old"
        assert names.visit.institution_display == "Eastgate Institute of Old"
        names.visit.institution_name = ""
        assert names.visit.institution_english == "Eastgate Institute"  # the letter, calendar feeds
