import datetime as dt

import pytest
import time_machine
from django.core import signing
from django.core.exceptions import ValidationError
from django.urls import reverse

from hubsite.models import OutboxMessage
from tests.factories import VisitFactory
from visits import services
from visits.models import Visit

pytestmark = pytest.mark.django_db


def endorse_url(visit):
    return reverse("visits:endorse", args=[services.visit_endorsement_token(visit)])


def test_host_endorses_through_the_signed_link_without_signing_in(client):
    visit = VisitFactory()
    url = endorse_url(visit)
    page = client.get(url)
    assert page.status_code == 200
    assert f"Will you host {visit.researcher.name}?" in page.content.decode()
    response = client.post(url, {"answer": "endorse", "note": "Happy to host"})
    assert response.status_code == 200
    visit.refresh_from_db()
    assert visit.status == Visit.Status.ENDORSED
    assert visit.host_note == "Happy to host"
    change = visit.history.get()
    assert (change.from_status, change.to_status, change.by_name, change.note) == (
        "submitted",
        "endorsed",
        visit.host.name,
        "Happy to host",
    )
    assert OutboxMessage.objects.get().kind == "visits.staff_host_answered"


def test_host_declines_with_a_note_and_the_visitor_is_told(client):
    visit = VisitFactory()
    client.post(endorse_url(visit), {"answer": "decline", "note": "I am away then"})
    visit.refresh_from_db()
    assert visit.status == Visit.Status.DECLINED
    declined = OutboxMessage.objects.get(kind="visits.declined")
    assert declined.recipient == visit.researcher.email
    assert "I am away then" in declined.body_text


def test_a_reused_endorsement_link_is_refused(client):
    visit = VisitFactory()
    url = endorse_url(visit)
    client.post(url, {"answer": "endorse"})
    for response in (client.get(url), client.post(url, {"answer": "decline"})):
        assert response.status_code == 400
        assert "This link has already been used: the stay was answered." in response.content.decode()
    visit.refresh_from_db()
    assert visit.status == Visit.Status.ENDORSED


def test_a_forged_endorsement_link_is_refused(client):
    visit = VisitFactory()
    forged = signing.dumps({"v": visit.pk, "n": visit.endorsement_nonce}, salt="another-salt")
    tampered = services.visit_endorsement_token(visit)[:-2] + "xx"
    wrong_nonce = signing.dumps({"v": visit.pk, "n": "guess"}, salt=services.ENDORSEMENT_SALT)
    for token in (forged, tampered, wrong_nonce, "nonsense"):
        response = client.post(reverse("visits:endorse", args=[token]), {"answer": "endorse"})
        assert response.status_code == 400
        assert "This link is not valid. Use the link from the e-mail as it is." in response.content.decode()
    visit.refresh_from_db()
    assert visit.status == Visit.Status.SUBMITTED


def test_an_expired_endorsement_link_is_refused(client):
    visit = VisitFactory()
    url = endorse_url(visit)
    with time_machine.travel(dt.datetime.now(tz=dt.UTC) + dt.timedelta(days=31)):
        response = client.get(url)
    assert response.status_code == 400
    assert "This link has expired. Ask the hub staff to send a new one." in response.content.decode()


def test_the_endorsement_request_mail_carries_the_working_link(client, today):
    from tests.factories import MemberFactory, VisitorFactory

    visit = services.visit_register(
        researcher=VisitorFactory(),
        host=MemberFactory(),
        first_day=today + dt.timedelta(days=3),
        last_day=today + dt.timedelta(days=5),
        purpose="x",
    )
    body = OutboxMessage.objects.get(kind="visits.endorse_request").body_text
    link = next(line for line in body.splitlines() if "/visits/endorse/" in line).strip()
    path = link.removeprefix("http://127.0.0.1:8000")
    assert client.post(path, {"answer": "endorse"}).status_code == 200
    visit.refresh_from_db()
    assert visit.status == Visit.Status.ENDORSED


def test_staff_send_a_new_host_link_and_the_old_one_stops_working(admin_client):
    visit = VisitFactory()
    old_url = endorse_url(visit)
    response = admin_client.post(
        reverse("admin:visits_visit_changelist"),
        {"action": "resend_host_link", "_selected_action": [visit.pk]},
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == [f"{visit}: new link sent to the host."]
    message = OutboxMessage.objects.get(kind="visits.endorse_request", revision=1)
    new_url = next(line for line in message.body_text.splitlines() if "/visits/endorse/" in line).strip()
    admin_client.logout()
    assert admin_client.get(old_url).status_code == 400
    assert admin_client.get(new_url.removeprefix("http://127.0.0.1:8000")).status_code == 200


def test_a_new_host_link_after_the_answer_is_refused(admin_client, admin_user):
    visit = VisitFactory(status=Visit.Status.ENDORSED)
    with pytest.raises(ValidationError) as error:
        services.visit_endorsement_resend(visit=visit, by=admin_user)
    assert error.value.messages == ["The host has already answered: this stay is “Endorsed by the host”."]


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"note": "Happy to host"},
        {"answer": ""},
        {"answer": "yes"},
        {"answer": "Endorse"},
        {"answer": " endorse "},
        {"answer": "endorsed"},
        {"answer": ["endorse", "decline"]},
        {"answer": ["decline", "endorse"], "note": "Which one?"},
    ],
    ids=[
        "nothing",
        "a-note-only",
        "empty",
        "unknown",
        "other-case",
        "spaces",
        "near-miss",
        "both",
        "both-reversed",
    ],
)
def test_an_endorsement_without_exactly_one_answer_is_refused_and_the_link_still_works(client, data):
    visit = VisitFactory()
    url = endorse_url(visit)
    response = client.post(url, data)
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "answer": ["Choose your answer: endorse the stay or decline it."]
    }
    assert "Choose your answer: endorse the stay or decline it." in response.content.decode()
    visit.refresh_from_db()
    assert (visit.status, visit.endorsement_used_at, visit.host_note) == (Visit.Status.SUBMITTED, None, "")
    assert visit.history.count() == 0
    assert OutboxMessage.objects.count() == 0
    # Nothing was used up: the same link still takes a real answer.
    assert client.post(url, {"answer": "endorse"}).status_code == 200
    visit.refresh_from_db()
    assert visit.status == Visit.Status.ENDORSED


def test_the_endorsement_page_offers_two_answers_and_no_default(client):
    page = client.get(endorse_url(VisitFactory())).content.decode()
    assert page.count('name="answer"') == 2
    assert 'value="endorse"' in page and 'value="decline"' in page
    assert "checked" not in page
