import datetime as dt
import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value
from django.contrib.messages import get_messages
from django.utils import timezone

from tests.factories import (
    PASSWORD,
    InstitutionFactory,
    ResearcherFactory,
    StaffFactory,
    ThemeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def current_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def test_staff_without_totp_cannot_open_any_admin_page(client):
    staff = StaffFactory(totp=False)
    assert client.post("/accounts/login/", {"login": staff.email, "password": PASSWORD}).status_code == 302
    for url in ["/admin/", "/admin/researchers/researcher/", "/admin/researchers/researcher/autocomplete/"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == "/accounts/2fa/totp/activate/?next=" + url.replace("/", "%2F")
    assert [str(m) for m in get_messages(response.wsgi_request)][-1] == (
        "Staff must use two-factor authentication. Set up an authenticator app to open the admin."
    )


def test_staff_who_sets_up_totp_can_open_the_admin(client):
    staff = StaffFactory(totp=False)
    client.post("/accounts/login/", {"login": staff.email, "password": PASSWORD})
    setup_url = client.get("/admin/")["Location"]
    assert setup_url == "/accounts/2fa/totp/activate/?next=%2Fadmin%2F"

    setup = client.get(setup_url)  # just signed in with the password: not asked for it again
    assert setup.status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    wrong = client.post(
        "/accounts/2fa/totp/activate/", {"code": "000000" if current_code(secret) != "000000" else "1"}
    )
    assert wrong.status_code == 200
    activated = client.post("/accounts/2fa/totp/activate/", {"code": current_code(secret)})
    assert activated.status_code == 302
    assert activated["Location"] == "/accounts/2fa/recovery-codes/?next=%2Fadmin%2F"
    assert Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).count() == 1
    assert client.get("/admin/").status_code == 200


def test_staff_with_totp_must_enter_a_code_when_signing_in(client, staff_with_totp):
    response = client.post("/accounts/login/", {"login": staff_with_totp.email, "password": PASSWORD})
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/admin/")["Location"] == "/admin/login/?next=/admin/"


def test_non_staff_users_are_not_sent_to_mfa_setup(client):
    client.force_login(UserFactory())
    assert client.get("/profile/").status_code == 200


# --- changelists ---------------------------------------------------------------------------


def test_institution_changelist_marks_agreements_ending_within_90_days(admin_client):
    today = timezone.localdate()
    InstitutionFactory(name="Soon", agreement_end=today + dt.timedelta(days=30))
    InstitutionFactory(name="Later", agreement_end=today + dt.timedelta(days=200))
    html = admin_client.get("/admin/researchers/institution/").content.decode()
    soon = f"{today + dt.timedelta(days=30):%-d %b %Y}"
    later = f"{today + dt.timedelta(days=200):%-d %b %Y}"
    assert f'<strong class="agreement-ending" style="color:#a11a1a">{soon} ⚠ ends soon</strong>' in html
    assert f'<td class="field-agreement_end_column">{later}</td>' in html
    filtered = admin_client.get("/admin/researchers/institution/?agreement=soon")
    assert [i.name for i in filtered.context["cl"].result_list] == ["Soon"]


def test_institution_search_finds_korean_names(admin_client):
    InstitutionFactory(name="KAIST", name_ko="한국과학기술원")
    InstitutionFactory(name="MIT")
    response = admin_client.get("/admin/researchers/institution/?q=과학")
    assert [i.name for i in response.context["cl"].result_list] == ["KAIST"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("chen@", ["Sarah Chen"]),
        ("0000-0002-1825-0097", ["Sarah Chen"]),
        ("Inria", ["Louis Martin"]),
        ("지원", ["Ji-won Park"]),
    ],
)
def test_researcher_search_by_name_email_orcid_and_institution(admin_client, query, expected):
    ResearcherFactory(name="Sarah Chen", email="chen@mit.example.edu", orcid="0000-0002-1825-0097")
    ResearcherFactory(name="Louis Martin", institution=InstitutionFactory(name="Inria"))
    ResearcherFactory(name="Ji-won Park", name_ko="박지원")
    response = admin_client.get("/admin/researchers/researcher/", {"q": query})
    assert [r.name for r in response.context["cl"].result_list] == expected


def test_researcher_autocomplete_finds_by_name_for_institution_contacts(admin_client):
    chen = ResearcherFactory(name="Sarah Chen")
    ResearcherFactory(name="Louis Martin")
    response = admin_client.get(
        "/admin/autocomplete/",
        {"app_label": "researchers", "model_name": "institution", "field_name": "contacts", "term": "sar"},
    )
    assert response.json()["results"] == [{"id": str(chen.pk), "text": "Sarah Chen"}]


def fill(n):
    for _ in range(n):
        researcher = ResearcherFactory(
            user=UserFactory(), institution=InstitutionFactory(agreement_end=timezone.localdate())
        )
        researcher.themes.add(ThemeFactory())


@pytest.mark.parametrize("url", ["/admin/researchers/researcher/", "/admin/researchers/institution/"])
def test_admin_changelists_query_count_is_the_same_at_one_and_at_many_rows(
    admin_client, django_assert_num_queries, url
):
    fill(1)
    admin_client.get(url)  # warm the session and content types
    with django_assert_num_queries(EXPECTED_CHANGELIST_QUERIES[url]):
        assert admin_client.get(url).status_code == 200
    fill(40)
    with django_assert_num_queries(EXPECTED_CHANGELIST_QUERIES[url]):
        assert admin_client.get(url).status_code == 200


EXPECTED_CHANGELIST_QUERIES = {"/admin/researchers/researcher/": 8, "/admin/researchers/institution/": 6}


def test_researcher_filters_by_role_theme_and_institution(admin_client):
    theme = ThemeFactory()
    kaist = InstitutionFactory()
    member = ResearcherFactory(name="Member", is_hub_member=True, institution=kaist)
    member.themes.add(theme)
    ResearcherFactory(name="Speaker", is_speaker=True)
    query = {"is_hub_member__exact": 1, "themes__id__exact": theme.pk, "institution__id__exact": kaist.pk}
    response = admin_client.get("/admin/researchers/researcher/", query)
    assert [r.name for r in response.context["cl"].result_list] == ["Member"]


def test_admin_forms_and_import_export_pages_render(admin_client):
    researcher = ResearcherFactory()
    pages = [
        "/admin/researchers/researcher/add/",
        f"/admin/researchers/researcher/{researcher.pk}/change/",
        "/admin/researchers/institution/add/",
        f"/admin/researchers/institution/{researcher.institution.pk}/change/",
        "/admin/researchers/theme/",
        "/admin/researchers/researcher/import/",
        "/admin/researchers/researcher/export/",
        "/admin/researchers/institution/import/",
    ]
    assert {url: admin_client.get(url).status_code for url in pages} == dict.fromkeys(pages, 200)


def test_admin_change_form_refuses_a_duplicate_email_in_another_case(admin_client):
    ResearcherFactory(email="dup@example.org")
    response = admin_client.post(
        "/admin/researchers/researcher/add/",
        {"name": "Dup", "slug": "dup", "email": "DUP@example.org", "preferred_language": "en"},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        "Another researcher already has this e-mail address."
    ]


def test_admin_country_filter_offers_only_countries_in_use(admin_client):
    InstitutionFactory(country="KR")
    InstitutionFactory(country="FR")
    response = admin_client.get("/admin/researchers/institution/")
    (country_filter,) = [f for f in response.context["cl"].filter_specs if str(f.title).lower() == "country"]
    assert [c["display"] for c in country_filter.choices(response.context["cl"])] == [
        "All",
        "France",
        "South Korea",
    ]
