"""Edges: the host's language, a chosen workspace, links to stays that moved on, admin lists."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from hubsite.models import OutboxMessage
from tests.factories import MemberFactory, VisitFactory, VisitorFactory, WorkspaceFactory
from visits import services
from visits.models import Visit

from .conftest import days

pytestmark = pytest.mark.django_db


def test_the_host_gets_the_endorsement_request_in_korean(today):
    host = MemberFactory(preferred_language="ko")
    visitor = VisitorFactory(name="Vera")
    services.visit_register(researcher=visitor, host=host, purpose="x", **days(today, 3, 3))
    message = OutboxMessage.objects.get(kind="visits.endorse_request")
    assert message.language == "ko"
    assert message.subject == "Vera 님의 방문을 추천해 주세요"


def test_approval_in_a_chosen_workspace_names_it_when_full(approved, endorsed, staff, workspace, today):
    office = WorkspaceFactory(name="Office 301", desks=1)
    first = services.visit_approve(visit=endorsed(**days(today, 5, 2)), by=staff, workspace=office)
    assert first.workspace == office
    with pytest.raises(ValidationError) as error:
        services.visit_approve(visit=endorsed(**days(today, 6, 2)), by=staff, workspace=office)
    assert error.value.messages == [
        f"No free desk in Office 301 on these days: {today + dt.timedelta(days=6):%a %-d %b %Y}."
    ]


def test_a_workspace_set_by_staff_before_approval_is_used(endorsed, staff, workspace, today):
    office = WorkspaceFactory(name="Office 301", desks=1)
    visit = services.visit_approve(visit=endorsed(workspace=office, **days(today, 5, 2)), by=staff)
    assert visit.workspace == office
    assert set(visit.allocations.values_list("workspace", flat=True)) == {office.pk}


def test_the_host_link_of_a_withdrawn_stay_says_so(client):
    visit = VisitFactory()
    url = reverse("visits:endorse", args=[services.visit_endorsement_token(visit)])
    services.visit_withdraw(visit=visit, by=visit.researcher.user)
    response = client.post(url, {"answer": "endorse"})
    assert response.status_code == 400
    assert "This stay is “Withdrawn”, so it cannot be endorsed." in response.content.decode()


def test_no_extension_reminder_while_a_request_is_waiting(approved, today):
    visit = approved(**days(today, 0, 40))
    services.extension_request(
        visit=visit, new_last_day=visit.last_day + dt.timedelta(days=5), reason="x", by=visit.researcher.user
    )
    OutboxMessage.objects.all().delete()
    services.visit_reminders_send(today=visit.last_day - dt.timedelta(days=10))
    assert OutboxMessage.objects.count() == 0


def test_the_visits_page_in_korean(client):
    member = MemberFactory()
    client.force_login(member.user)
    page = client.get(reverse("visits:index"), HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "<h2>내 방문</h2>" in page
    assert "방문 등록" in page


@pytest.mark.parametrize("count", [1, 6])
def test_workspace_and_extension_changelists_query_counts(
    admin_client, approved, today, count, django_assert_num_queries
):
    WorkspaceFactory.create_batch(count)
    for n in range(count):
        visit = approved(**days(today, 1 + n * 30, 20))
        services.extension_request(
            visit=visit,
            new_last_day=visit.last_day + dt.timedelta(days=1),
            reason="x",
            by=visit.researcher.user,
        )
    admin_client.get(reverse("admin:visits_workspace_changelist"))  # the counts include the staff MFA check
    with django_assert_num_queries(5):
        assert admin_client.get(reverse("admin:visits_workspace_changelist")).status_code == 200
    with django_assert_num_queries(5):
        assert admin_client.get(reverse("admin:visits_extension_changelist")).status_code == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_overlapping_registrations_of_one_person_at_once_only_one_is_kept(today):
    from .test_races import race

    visitor, host = VisitorFactory(), MemberFactory()
    results = race(
        lambda: services.visit_register(researcher=visitor, host=host, purpose="a", **days(today, 5, 5)),
        lambda: services.visit_register(researcher=visitor, host=host, purpose="b", **days(today, 7, 5)),
    )
    assert sorted(type(r).__name__ for r in results) == ["ValidationError", "Visit"]
    assert Visit.objects.filter(researcher=visitor).count() == 1
