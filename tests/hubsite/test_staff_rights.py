"""Staff rights mean staff with two-factor authentication (hubsite/access.py), and the sign-in that
gets a staff member there: password once, authenticator set-up, then where they were going.

Every URL with every role is in tests/security/test_permission_matrix.py; here are the rule's
states one by one and the whole journey with real requests.
"""

import ast
import re
import time

import pytest
from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, TOTP, generate_totp_secret
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core import mail
from django.test import Client
from django.utils import translation

from hubsite.access import has_staff_rights, note_session, staff_account_with_mfa
from tests.factories import PASSWORD, StaffFactory, UserFactory, VisitFactory
from tests.security.roles import make_staff_with_totp, sign_in_with_totp, totp_code
from tests.signin import force_login_with_mfa
from visits.models import ArrivalsFeedToken

pytestmark = pytest.mark.django_db


def sign_in_with_password(client, email, next_url=""):
    url = "/accounts/login/" + (f"?next={next_url}" if next_url else "")
    response = client.post(url, {"login": email, "password": PASSWORD})
    assert response.status_code == 302
    return response


def set_up_authenticator(client, setup_url):
    """GET the set-up page, type the code of the secret it shows; returns (page, answer)."""
    page = client.get(setup_url)
    assert page.status_code == 200, page.get("Location")
    secret = client.session[SECRET_SESSION_KEY]
    return page, client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})


def squeezed(response) -> str:
    """The page with every run of white space made one space (allauth's elements spread out)."""
    return re.sub(r"\s+", " ", response.content.decode())


# --- the rule -------------------------------------------------------------------------------


def passed_with(user):
    """The ids of the user's authenticators, as a session that typed a code from them holds."""
    return list(Authenticator.objects.filter(user=user).values_list("pk", flat=True)) or [None]


def test_has_staff_rights_needs_a_staff_account_an_authenticator_and_a_session_that_passed_it():
    with_totp, without_totp, not_staff = StaffFactory(), StaffFactory(totp=False), UserFactory()
    inactive = StaffFactory(is_active=False)
    TOTP.activate(not_staff, generate_totp_secret())
    cases = {
        "staff, TOTP, session passed MFA": (with_totp, passed_with(with_totp), True),
        "staff, no TOTP, session says MFA": (without_totp, [None], False),
        "not staff, TOTP, session passed MFA": (not_staff, passed_with(not_staff), False),
        "inactive staff with TOTP": (inactive, passed_with(inactive), False),
        "staff, TOTP, session never typed a code": (with_totp, [], False),
        "staff, TOTP, session passed with an authenticator since removed": (with_totp, [10_000], False),
    }
    answers = {}
    for name, (user, used, _wanted) in cases.items():
        fresh = get_user_model().objects.get(pk=user.pk)  # as each request loads it
        answers[name] = has_staff_rights(note_session(fresh, authenticators_used=used))
    assert answers == {name: wanted for name, (_user, _used, wanted) in cases.items()}
    # A user object that no session describes (a task's, a token owner's): the account half only.
    assert has_staff_rights(get_user_model().objects.get(pk=with_totp.pk)) is False
    assert staff_account_with_mfa(get_user_model().objects.get(pk=with_totp.pk)) is True


def test_resetting_the_authenticator_ends_the_staff_rights_of_sessions_that_used_the_old_one():
    staff, secret = make_staff_with_totp()
    old = Client()
    sign_in_with_totp(old, email=staff.email, secret=secret)
    assert old.get("/report/").status_code == 200
    Authenticator.objects.filter(user=staff).delete()
    TOTP.activate(staff, generate_totp_secret())  # set up again, e.g. in another browser
    assert old.get("/report/").status_code == 403
    assert old.get("/admin/")["Location"] == "/accounts/2fa/reauthenticate/?next=%2Fadmin%2F"


def test_staff_with_totp_whose_session_skipped_the_code_is_an_ordinary_person_and_the_admin_asks_for_it(
    client,
):
    staff, secret = make_staff_with_totp()
    client.force_login(staff)  # a session that never typed a code
    assert client.get("/report/").status_code == 403
    response = client.get("/admin/researchers/researcher/?q=x")
    assert response.status_code == 302
    assert (
        response["Location"]
        == "/accounts/2fa/reauthenticate/?next=%2Fadmin%2Fresearchers%2Fresearcher%2F%3Fq%3Dx"
    )
    typed = client.post(response["Location"], {"code": totp_code(secret)})
    assert typed.status_code == 302
    assert typed["Location"] == "/admin/researchers/researcher/?q=x"
    assert client.get("/admin/researchers/researcher/?q=x").status_code == 200
    assert client.get("/report/").status_code == 200


def test_a_session_signed_in_before_the_authenticator_existed_gets_no_staff_rights_from_it():
    """A password session (say, from a stolen password) stays ordinary when the staff member sets up
    an authenticator in their own browser."""
    staff = StaffFactory(totp=False)
    old = Client()
    sign_in_with_password(old, staff.email)
    mine = Client()
    setup = sign_in_with_password(mine, staff.email)["Location"]
    set_up_authenticator(mine, setup)
    assert mine.get("/report/").status_code == 200
    assert old.get("/report/").status_code == 403
    assert old.get("/admin/")["Location"] == "/accounts/2fa/reauthenticate/?next=%2Fadmin%2F"


def test_removing_the_authenticator_ends_staff_rights_at_once(client):
    staff, secret = make_staff_with_totp()
    sign_in_with_totp(client, email=staff.email, secret=secret)
    assert client.get("/report/").status_code == 200
    Authenticator.objects.filter(user=staff).delete()
    assert client.get("/report/").status_code == 403
    assert client.get("/admin/")["Location"] == "/accounts/2fa/totp/activate/?next=%2Fadmin%2F"


def test_staff_without_mfa_see_no_staff_links_and_staff_with_it_do(client):
    staff = StaffFactory(totp=False)
    sign_in_with_password(client, staff.email)
    html = client.get("/visits/").content.decode()
    assert "/admin/" not in html and "/report/" not in html and "/visits/occupancy/" not in html
    force_login_with_mfa(client, StaffFactory())
    html = client.get("/visits/").content.decode()
    assert (
        '<a href="/admin/">Admin</a>' in html
        and 'href="/report/">Activity report</a>' in html
        and '<a href="/visits/occupancy/">Desk occupancy</a>' in html
    )


# --- the arrivals feed's token --------------------------------------------------------------


def test_arrivals_token_works_only_while_its_owner_is_staff_with_an_authenticator(client):
    VisitFactory(status="approved")
    staff, secret = make_staff_with_totp()
    sign_in_with_totp(client, email=staff.email, secret=secret)
    assert client.post("/visits/arrivals/token/").status_code == 302
    token = ArrivalsFeedToken.objects.get(user=staff).token
    feed = Client()
    assert feed.get("/visits/arrivals.ics", {"token": token}).status_code == 200
    Authenticator.objects.filter(user=staff).delete()
    assert feed.get("/visits/arrivals.ics", {"token": token}).status_code == 404
    staff.is_staff = False
    staff.save()
    assert feed.get("/visits/arrivals.ics", {"token": token}).status_code == 404
    other, _secret = make_staff_with_totp()
    other.is_active = False
    other.save()
    ArrivalsFeedToken.objects.create(user=other, token="inactive-owner")
    assert feed.get("/visits/arrivals.ics", {"token": "inactive-owner"}).status_code == 404


def test_staff_without_mfa_cannot_mint_an_arrivals_token(client):
    staff = StaffFactory(totp=False)
    sign_in_with_password(client, staff.email)
    assert client.post("/visits/arrivals/token/").status_code == 403
    assert ArrivalsFeedToken.objects.count() == 0


# --- signing in: password once, set-up, then where they were going -------------------------


@pytest.mark.parametrize(
    ("start", "sign_in_at", "destination"),
    [
        ("/admin/", "/accounts/login/?next=%2Fadmin%2F", "/admin/"),
        ("/report/?year=2026", "/accounts/login/?next=/report/%3Fyear%3D2026", "/report/?year=2026"),
        ("/accounts/login/", "/accounts/login/", "/admin/"),
    ],
)
def test_staff_without_an_authenticator_sign_in_once_set_it_up_and_land_where_they_were_going(
    client, start, sign_in_at, destination
):
    staff = StaffFactory(totp=False)
    first = client.get(start)
    if start != sign_in_at:
        # The admin's own sign-in hands over to allauth's (one hop more for /admin/).
        location = first["Location"]
        if location.startswith("/admin/login/"):
            location = client.get(location)["Location"]
        assert location == sign_in_at
    signed_in = client.post(sign_in_at, {"login": staff.email, "password": PASSWORD})
    assert signed_in.status_code == 302
    setup_url = signed_in["Location"]
    assert setup_url.startswith("/accounts/2fa/totp/activate/?next=")
    page, activated = set_up_authenticator(client, setup_url)  # no second password prompt
    assert [str(m) for m in get_messages(page.wsgi_request)] == [
        f"Successfully signed in as {staff.username}.",
        "Staff must use two-factor authentication. Set up an authenticator app to continue.",
    ]
    assert activated.status_code == 302
    codes_url = activated["Location"]
    assert codes_url.startswith("/accounts/2fa/recovery-codes/?next=")
    codes = client.get(codes_url)
    assert codes.status_code == 200
    assert codes.context["continue_url"] == destination
    assert len(codes.context["unused_codes"]) == 10
    assert f'<a class="button" href="{destination}">Continue</a>' in squeezed(codes)
    assert client.get(destination).status_code == 200
    assert Authenticator.objects.filter(user=staff, type="totp").count() == 1


def test_staff_sign_in_with_a_next_address_elsewhere_lands_on_the_admin_not_there(client):
    staff = StaffFactory(totp=False)
    signed_in = client.post(
        "/accounts/login/?next=https://evil.example/", {"login": staff.email, "password": PASSWORD}
    )
    setup_url = signed_in["Location"]
    assert setup_url == "/accounts/2fa/totp/activate/?next=%2Fadmin%2F"
    _page, activated = set_up_authenticator(client, "/accounts/2fa/totp/activate/?next=https://evil.example/")
    assert activated["Location"] == "/accounts/2fa/recovery-codes/"


def test_a_sign_in_older_than_the_reauthentication_window_asks_for_the_password_again(client, settings):
    staff = StaffFactory(totp=False)
    sign_in_with_password(client, staff.email)
    session = client.session
    records = session[AUTHENTICATION_METHODS_SESSION_KEY]
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [{**r, "at": time.time() - 3600} for r in records]
    session.save()
    response = client.get("/accounts/2fa/totp/activate/?next=/admin/")
    assert response.status_code == 302
    assert (
        response["Location"]
        == "/accounts/reauthenticate/?next=%2Faccounts%2F2fa%2Ftotp%2Factivate%2F%3Fnext%3D%2Fadmin%2F"
    )
    again = client.post(response["Location"], {"password": PASSWORD})
    assert again["Location"] == "/accounts/2fa/totp/activate/?next=/admin/"
    _page, activated = set_up_authenticator(client, again["Location"])
    assert activated["Location"] == "/accounts/2fa/recovery-codes/?next=%2Fadmin%2F"


def test_a_session_begun_by_confirming_the_address_still_proves_the_password_before_set_up(client):
    """E-mail confirmation signs in without the password; adding an authenticator then asks for it."""
    client.post(
        "/accounts/signup/", {"email": "new.staff@example.org", "password1": PASSWORD, "password2": PASSWORD}
    )
    get_user_model().objects.filter(email="new.staff@example.org").update(is_staff=True)
    link = re.search(r"http://testserver(/accounts/confirm-email/[^\s]+)", mail.outbox[-1].body).group(1)
    confirmed = client.post(link)
    assert confirmed["Location"] == "/accounts/2fa/totp/activate/?next=%2Fadmin%2F"
    asked = client.get(confirmed["Location"])
    assert asked.status_code == 302
    assert asked["Location"].startswith("/accounts/reauthenticate/?next=")


def test_staff_with_an_authenticator_type_the_code_and_land_on_the_admin(client):
    staff, secret = make_staff_with_totp()
    password = client.post("/accounts/login/", {"login": staff.email, "password": PASSWORD})
    assert password["Location"] == "/accounts/2fa/authenticate/"
    code = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert code["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_ordinary_people_still_land_on_their_profile_and_are_not_sent_to_set_up(client):
    user = UserFactory()
    assert sign_in_with_password(client, user.email)["Location"] == "/profile/"
    assert client.get("/admin/")["Location"] == "/admin/login/?next=/admin/"


# --- what the person reads, in English and Korean --------------------------------------------


@pytest.mark.parametrize(
    ("language", "texts"),
    [
        (
            "en",
            [
                "Staff must use two-factor authentication. Set up an authenticator app to continue.",
                "Activate Authenticator App",
                "Recovery Codes",
                "Keep these codes somewhere safe, then go on.",
                "Continue",
            ],
        ),
        (
            "ko",
            [
                "직원은 2단계 인증을 사용해야 합니다. 계속하려면 인증 앱을 설정하세요.",
                "인증 앱 활성화",
                "복구 코드",
                "이 코드를 안전한 곳에 보관한 뒤 계속하세요.",
                "계속",
            ],
        ),
    ],
)
def test_the_set_up_pages_read_in_english_and_korean(client, language, texts):
    client.cookies["django_language"] = language
    staff = StaffFactory(totp=False)
    setup_url = sign_in_with_password(client, staff.email, "/admin/")["Location"]
    with translation.override(language):
        page, activated = set_up_authenticator(client, setup_url)
        codes = squeezed(client.get(activated["Location"]))
    message, setup_title, codes_title, hint, button = texts
    assert message in squeezed(page) and setup_title in squeezed(page)
    assert codes_title in codes and hint in codes
    assert f'<a class="button" href="/admin/">{button}</a>' in codes


def test_no_code_or_template_but_the_rule_reads_is_staff():
    """Staff rights have one home: a view, query, template or service that reads `is_staff` or
    `is_superuser` itself (or a template's `perms`) would give them without two-factor
    authentication. Seeds and exports may name the fields; only hubsite/access.py reads them."""
    from pathlib import Path

    from django.conf import settings

    base = Path(settings.BASE_DIR)
    readers = []
    for room in ["hubsite", "researchers", "projects", "events", "visits", "reports"]:
        for path in sorted((base / room).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Attribute) and node.attr in ("is_staff", "is_superuser", "has_perm"):
                    readers.append(f"{path.relative_to(base)} .{node.attr}")
    for path in sorted((base / "templates").rglob("*.html")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"\.is_staff|\.is_superuser|\bperms\.", line):
                readers.append(f"{path.relative_to(base)}:{number} {line.strip()}")
    # The event admin's own permission checks (sessions, unsubscribing) run behind
    # admin.site.has_permission (the rule).
    assert sorted(readers) == [
        "events/admin.py .has_perm",
        "events/admin.py .has_perm",
        "hubsite/access.py .is_staff",
    ]
