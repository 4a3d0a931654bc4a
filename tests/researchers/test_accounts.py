import json
import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail

from events.models import EventSpeaker
from researchers.models import Researcher
from researchers.services import LinkRefused, researcher_link_account
from tests.factories import PASSWORD, EventSpeakerFactory, ResearcherFactory, ThemeFactory, UserFactory

pytestmark = pytest.mark.django_db


def sign_up_and_verify(client, email):
    response = client.post(
        "/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 302
    link = re.search(r"http://testserver(/accounts/confirm-email/[^\s]+)", mail.outbox[-1].body).group(1)
    return client.post(link)


def test_new_user_signs_up_verifies_lands_on_profile_opts_in_and_out(client):
    theme = ThemeFactory(name="Neural scaling laws")
    confirmed = sign_up_and_verify(client, "newcomer@example.org")
    assert confirmed.status_code == 302
    assert confirmed["Location"] == "/profile/"
    page = client.get("/profile/")
    assert page.status_code == 200
    assert page.context["researcher"] is None

    saved = client.post(
        "/profile/",
        {
            "name": "New Comer",
            "name_ko": "신입",
            "preferred_language": "en",
            "themes": [theme.pk],
            "listed_publicly": "on",
        },
    )
    assert saved.status_code == 302
    researcher = Researcher.objects.get()
    assert (researcher.name, researcher.email, researcher.slug) == (
        "New Comer",
        "newcomer@example.org",
        "new-comer",
    )
    assert researcher.user.email == "newcomer@example.org"
    assert list(researcher.themes.all()) == [theme]

    listing = client.get("/researchers/")
    assert [r.name for r in listing.context["page"].object_list] == ["New Comer"]

    client.post("/profile/", {"name": "New Comer", "preferred_language": "en"})  # box unticked: opt out
    researcher.refresh_from_db()
    assert researcher.listed_publicly is False
    client.logout()
    assert client.get(f"/researchers/{researcher.slug}/").status_code == 404
    assert list(client.get("/researchers/").context["page"].object_list) == []


def test_sign_up_with_the_address_of_an_existing_speaker_links_after_verification(client):
    speaker = ResearcherFactory(email="Sarah.Chen@mit.example.edu", listed_publicly=False)
    response = client.post(
        "/accounts/signup/",
        {"email": "sarah.chen@mit.example.edu", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    speaker.refresh_from_db()
    assert speaker.user is None  # not before the address is verified
    link = re.search(r"http://testserver(/accounts/confirm-email/[^\s]+)", mail.outbox[-1].body).group(1)
    confirmed = client.post(link)
    speaker.refresh_from_db()
    assert speaker.user.email == "sarah.chen@mit.example.edu"
    assert confirmed["Location"] == "/profile/"
    assert client.get("/profile/").context["researcher"] == speaker


def test_linking_through_an_unverified_address_is_refused():
    speaker = ResearcherFactory(email="speaker@example.org")
    user = UserFactory(email="speaker@example.org", verified=False)
    address = EmailAddress.objects.create(
        user=user, email="speaker@example.org", verified=False, primary=True
    )
    with pytest.raises(LinkRefused) as error:
        researcher_link_account(user=user, email_address=address)
    assert error.value.messages == [
        "An account is linked to a researcher only through a verified e-mail address."
    ]
    speaker.refresh_from_db()
    assert speaker.user is None


def test_linking_through_another_accounts_address_is_refused():
    ResearcherFactory(email="speaker@example.org")
    owner = UserFactory(email="speaker@example.org")
    intruder = UserFactory()
    with pytest.raises(LinkRefused) as error:
        researcher_link_account(user=intruder, email_address=EmailAddress.objects.get(user=owner))
    assert error.value.messages == ["This e-mail address belongs to another account."]


def test_profile_page_links_a_verified_address_added_by_another_sign_in_path(client):
    # e.g. ORCID sign-in: allauth stores the provider's verified address without a confirmation step.
    speaker = ResearcherFactory(email="orcid.person@example.org")
    user = UserFactory(email="orcid.person@example.org")
    client.force_login(user)
    assert client.get("/profile/").context["researcher"] == speaker
    speaker.refresh_from_db()
    assert speaker.user == user


def test_profile_page_does_not_link_an_unverified_address(client):
    speaker = ResearcherFactory(email="someone@example.org")
    user = UserFactory(email="someone@example.org", verified=False)
    EmailAddress.objects.create(user=user, email="someone@example.org", verified=False, primary=True)
    client.force_login(user)
    page = client.get("/profile/")
    assert page.context["researcher"] is None
    saved = client.post("/profile/", {"name": "Someone", "preferred_language": "en"})
    assert saved.context["form"].non_field_errors() == [
        "Verify your e-mail address first; your profile uses the verified address."
    ]
    speaker.refresh_from_db()
    assert speaker.user is None


def test_profile_creation_refuses_an_address_held_by_another_accounts_researcher(client):
    ResearcherFactory(email="taken@example.org", user=UserFactory(email="other@example.org"))
    user = UserFactory(email="taken@example.org")
    client.force_login(user)
    saved = client.post("/profile/", {"name": "Me", "preferred_language": "en"})
    assert saved.context["form"].non_field_errors() == [
        "A researcher record with your e-mail address already exists and belongs to another account. "
        "Please write to the hub's staff so they can sort it out."
    ]


def test_profile_edit_cannot_change_email_roles_or_slug(client):
    user = UserFactory()
    researcher = ResearcherFactory(user=user, email=user.email, slug="me", is_hub_member=False)
    client.force_login(user)
    client.post(
        "/profile/",
        {
            "name": "Renamed",
            "preferred_language": "ko",
            "email": "x@evil.example",
            "slug": "x",
            "is_hub_member": "on",
        },
    )
    researcher.refresh_from_db()
    assert (researcher.name, researcher.preferred_language) == ("Renamed", "ko")
    assert (researcher.email, researcher.slug, researcher.is_hub_member) == (user.email, "me", False)


def test_profile_requires_sign_in(client):
    response = client.get("/profile/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/profile/"


def test_profile_has_a_region_for_the_calendar():
    from pathlib import Path

    template = (Path(__file__).resolve().parents[2] / "templates/researchers/profile.html").read_text()
    assert "{% block your_calendar %}" in template


def test_export_downloads_everything_the_hub_holds_as_json(client):
    user = UserFactory(email="me@example.org")
    researcher = ResearcherFactory(user=user, email="me@example.org", name="Me Myself")
    talk = EventSpeakerFactory(researcher=researcher)
    client.force_login(user)
    response = client.get("/profile/my-data.json")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="hub-my-data-')
    data = json.loads(response.content)
    assert data["researchers"]["email_addresses"] == [
        {"id": user.emailaddress_set.get().pk, "email": "me@example.org", "verified": True, "primary": True}
    ]
    assert data["researchers"]["researcher"][0]["name"] == "Me Myself"
    assert data["researchers"]["researcher"][0]["email"] == "me@example.org"
    assert [row["id"] for row in data["events"]["talks"]] == [talk.pk]
    assert "password" not in json.dumps(data)


def reauthenticate(client, next_url):
    response = client.get(next_url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/reauthenticate/?next={next_url.replace('/', '%2F')}"
    response = client.post(response["Location"], {"password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == next_url


def test_delete_account_anonymises_the_researcher_and_keeps_their_talks(client):
    user = UserFactory()
    researcher = ResearcherFactory(user=user, email=user.email, orcid="0000-0002-1825-0097", bio="me")
    talk = EventSpeakerFactory(researcher=researcher)
    client.force_login(user)
    reauthenticate(client, "/profile/delete/")
    assert client.get("/profile/delete/").status_code == 200
    refused = client.post("/profile/delete/", {})
    assert refused.context["form"].errors == {
        "confirm": ["Tick the box to confirm that you want to delete your account."]
    }
    response = client.post("/profile/delete/", {"confirm": "on"})
    assert response.status_code == 302
    assert not get_user_model().objects.filter(pk=user.pk).exists()
    researcher.refresh_from_db()
    assert (researcher.name, researcher.email, researcher.orcid, researcher.bio, researcher.user) == (
        "Former researcher",
        "",
        "",
        "",
        None,
    )
    assert researcher.listed_publicly is False
    assert researcher.anonymised_at is not None
    assert EventSpeaker.objects.get(pk=talk.pk).researcher == researcher
    assert not client.get("/").context["user"].is_authenticated


def test_delete_account_without_a_recent_password_entry_asks_for_it_first(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post("/profile/delete/", {"confirm": "on"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/reauthenticate/?next=%2Fprofile%2Fdelete%2F"
    assert get_user_model().objects.filter(pk=user.pk).exists()


def test_profile_slugs_never_clash_and_korean_only_names_get_a_readable_slug(client):
    ResearcherFactory(slug="new-comer")
    first, second = UserFactory(), UserFactory()
    client.force_login(first)
    client.post("/profile/", {"name": "New Comer", "preferred_language": "en"})
    client.force_login(second)
    client.post("/profile/", {"name": "박지원", "preferred_language": "ko"})
    assert Researcher.objects.get(user=first).slug == "new-comer-2"
    assert Researcher.objects.get(user=second).slug == "researcher"


def test_confirming_an_address_does_not_take_over_a_researcher_linked_to_another_account(client):
    owner = UserFactory(email="owner@example.org")
    speaker = ResearcherFactory(email="shared@example.org", user=owner)
    user = UserFactory(email="shared@example.org")
    assert researcher_link_account(user=user, email_address=EmailAddress.objects.get(user=user)) is None
    speaker.refresh_from_db()
    assert speaker.user == owner
