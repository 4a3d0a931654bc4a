import pytest

pytestmark = pytest.mark.django_db


def test_home_uses_the_site_layout_with_skip_link_and_nav(client):
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<a class="skip-link" href="#main">Skip to main content</a>' in html
    assert '<main id="main" class="wrap" tabindex="-1">' in html
    assert '<html lang="en">' in html


def test_accept_language_ko_shows_the_korean_layout(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="ko")
    html = response.content.decode()
    assert '<html lang="ko">' in html
    assert "본문으로 건너뛰기" in html  # "Skip to main content"
    assert "서울 AI 연구 허브" in html


def test_language_switcher_remembers_korean(client):
    response = client.post("/i18n/setlang/", {"language": "ko", "next": "/"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    html = client.get("/").content.decode()
    assert '<html lang="ko">' in html


def test_every_html_page_carries_a_content_security_policy_without_inline_scripts(client):
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    script_src = next(part for part in policy.split(";") if part.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_korean_catalogue_has_no_untranslated_or_fuzzy_entries():
    from pathlib import Path

    po = (Path(__file__).resolve().parents[2] / "locale/ko/LC_MESSAGES/django.po").read_text()
    entries = po.split("\n\n")[1:]
    untranslated = [e for e in entries if e.rstrip().endswith('msgstr ""') and "msgstr[" not in e]
    fuzzy = [e for e in entries if "#, fuzzy" in e]
    assert untranslated == []
    assert fuzzy == []


def test_djangos_own_words_read_in_korean_on_the_sites_forms_and_in_the_admin(client, admin_client):
    """Django 6.1's Korean catalogue leaves a select's empty choice ("- Select an option -", the
    profile's institution) and the admin's "Filter by …" in English; the admin's title and its
    "Hub infrastructure" read in English on Korean pages too."""
    from tests.factories import UserFactory, VisitFactory

    client.force_login(UserFactory())
    profile = client.get("/profile/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert '<option value="" selected>- 선택하세요 -</option>' in profile
    VisitFactory()
    for path in ("/admin/", "/admin/visits/visit/", "/admin/hubsite/outboxmessage/"):
        page = admin_client.get(path, HTTP_ACCEPT_LANGUAGE="ko").content.decode()
        for english in ("Select an option", "Filter by", "Hub infrastructure", "Seoul AI Research Hub"):
            assert english not in page, (path, english)
    assert (
        "<title>사이트 관리 | 서울 AI 연구 허브</title>"
        in admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    )


def test_korean_never_hangs_a_guessed_particle_on_a_title():
    """ "신경망 스케일링 법칙 국제 세미나을(를)": a title's last letter decides the particle, so the
    sentence names what it is ("“…” 시리즈를") instead of guessing with "을(를)"."""
    import re
    from pathlib import Path

    po = (Path(__file__).resolve().parents[2] / "locale/ko/LC_MESSAGES/django.po").read_text()
    guessed = re.findall(
        r"%\((?:series|title|name|project|event)\)s[”\"]?(?:을\(를\)|이\(가\)|은\(는\)|와\(과\))", po
    )
    assert guessed == []
