import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from events.models import Event, Room, Series
from researchers.models import Institution, Researcher, Theme

pytestmark = pytest.mark.django_db


def counts():
    return [
        m.objects.count() for m in (Theme, Institution, Researcher, Room, Series, Event, get_user_model())
    ]


def test_seed_demo_is_idempotent_and_shows_on_the_home_page(client):
    call_command("seed_demo")
    first = counts()
    call_command("seed_demo")
    assert counts() == first
    assert first[0] >= 2 and first[5] >= 4
    html = client.get("/").content.decode()
    assert "Next seminars" in html
    assert Event.objects.public().upcoming().first().title in html


def test_seed_demo_staff_user_can_sign_in(client):
    from researchers.seed import DEMO_STAFF_EMAIL, DEMO_STAFF_PASSWORD

    call_command("seed_demo")
    response = client.post("/accounts/login/", {"login": DEMO_STAFF_EMAIL, "password": DEMO_STAFF_PASSWORD})
    assert response.status_code == 302
    assert client.get("/").context["user"].is_staff
