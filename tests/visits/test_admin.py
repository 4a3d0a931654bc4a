import datetime as dt

import pytest
from django.urls import reverse

from hubsite.models import OutboxMessage
from tests.factories import InstitutionFactory, VisitFactory, VisitorFactory
from visits import services
from visits.models import Extension, Visit

from .conftest import days

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:visits_visit_changelist"


def post_action(client, action, visits, url=CHANGELIST):
    return client.post(
        reverse(url),
        {"action": action, "_selected_action": [v.pk for v in visits]},
        follow=True,
    )


def messages_in(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_admin_approve_action_runs_the_desk_check_and_names_the_full_days(
    admin_client, endorsed, approved, today
):
    for _ in range(3):
        approved(**days(today, 10, 2))
    fits = endorsed(**days(today, 20, 2))
    full = endorsed(**days(today, 10, 2))
    response = post_action(admin_client, "approve", [fits, full])
    fits.refresh_from_db()
    full.refresh_from_db()
    assert (fits.status, full.status) == (Visit.Status.APPROVED, Visit.Status.ENDORSED)
    days_text = f"{today + dt.timedelta(days=10):%a %-d %b %Y}, {today + dt.timedelta(days=11):%a %-d %b %Y}"
    assert f"{full}: No free desk in Open lab on these days: {days_text}." in messages_in(response)
    assert f"{fits}: approved." in messages_in(response)


def test_admin_decline_action_refuses_a_withdrawn_stay(admin_client):
    visit = VisitFactory(status=Visit.Status.WITHDRAWN)
    response = post_action(admin_client, "decline", [visit])
    assert messages_in(response) == [f"{visit}: This stay is “Withdrawn”, so it cannot be declined."]


def test_admin_records_arrival_and_departure(admin_client, approved, today):
    visit = approved(**days(today, 0, 3))
    post_action(admin_client, "check_in", [visit])
    visit.refresh_from_db()
    assert visit.status == Visit.Status.CHECKED_IN
    post_action(admin_client, "check_out", [visit])
    visit.refresh_from_db()
    assert (visit.status, visit.last_day) == (Visit.Status.COMPLETED, today)


def test_admin_change_page_shows_history_and_warns_about_a_seminar_outside_the_stay(
    admin_client, endorsed, staff, workspace, today
):
    visit = services.visit_approve(
        visit=endorsed(offers_seminar=True, seminar_title="T", **days(today, 3, 5)), by=staff
    )
    event = visit.seminar_event
    event.start += dt.timedelta(days=40)
    event.end = event.start + dt.timedelta(hours=1)
    event.save()
    response = admin_client.get(reverse("admin:visits_visit_change", args=[visit.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "status history" in page.lower()
    warning = services.visit_seminar_warnings(event)[0]
    assert warning in messages_in(response)


def test_admin_filters_by_institution_and_month(admin_client, today):
    mila = InstitutionFactory(name="Mila")
    from_mila = VisitFactory(researcher=VisitorFactory(institution=mila), **days(today, 40, 3))
    VisitFactory(**days(today, 100, 3))
    response = admin_client.get(reverse(CHANGELIST), {"institution__id__exact": mila.pk})
    assert [v.pk for v in response.context["cl"].result_list] == [from_mila.pk]
    month = from_mila.first_day.strftime("%Y-%m")
    response = admin_client.get(reverse(CHANGELIST), {"month": month})
    assert from_mila.pk in [v.pk for v in response.context["cl"].result_list]
    assert (
        len(response.context["cl"].result_list)
        == Visit.objects.overlapping(
            from_mila.first_day.replace(day=1),
            services.add_months(from_mila.first_day.replace(day=1), 1) - dt.timedelta(days=1),
        ).count()
    )


@pytest.mark.parametrize("count", [1, 8])
def test_admin_changelist_query_count_is_the_same_for_one_and_many(
    admin_client, count, django_assert_num_queries
):
    VisitFactory.create_batch(count)
    admin_client.get(
        reverse(CHANGELIST)
    )  # warm the session and content types; the count includes the staff MFA check
    with django_assert_num_queries(11):
        assert admin_client.get(reverse(CHANGELIST)).status_code == 200


def test_admin_extension_actions(admin_client, approved, today):
    visit = approved(**days(today, 1, 20))
    extension = services.extension_request(
        visit=visit, new_last_day=visit.last_day + dt.timedelta(days=3), reason="x", by=visit.researcher.user
    )
    post_action(admin_client, "approve", [extension], url="admin:visits_extension_changelist")
    extension.refresh_from_db()
    visit.refresh_from_db()
    assert (extension.status, visit.last_day) == (Extension.Status.APPROVED, today + dt.timedelta(days=23))
    response = post_action(admin_client, "decline", [extension], url="admin:visits_extension_changelist")
    assert messages_in(response) == [f"{extension}: This extension request was already decided."]


def test_seminar_warning_for_a_withdrawn_visitor(endorsed, staff, workspace, today):
    visit = services.visit_approve(
        visit=endorsed(offers_seminar=True, seminar_title="T", **days(today, 3, 5)), by=staff
    )
    services.visit_withdraw(visit=visit, by=visit.researcher.user)
    assert services.visit_seminar_warnings(visit.seminar_event) == [
        f"{visit.researcher.name}'s stay is “Withdrawn”: they may not be at the hub for this seminar."
    ]


def test_admin_cancel_stays_asks_for_a_reason_then_frees_the_desks_and_tells_the_visitor(
    admin_client, approved, today
):
    """Instead of "Delete selected", which freed the desks and told nobody."""
    visit = approved(**days(today, 5, 3))
    assert visit.allocations.count() == 3
    changelist = reverse(CHANGELIST)
    asked = admin_client.post(changelist, {"action": "cancel_stays", "_selected_action": [visit.pk]})
    assert (asked.status_code, asked.template_name) == (200, "admin/visits/visit/cancel_confirmation.html")
    refused = admin_client.post(
        changelist, {"action": "cancel_stays", "_selected_action": [visit.pk], "apply": "1", "reason": ""}
    )
    assert refused.context["form"].errors == {
        "reason": ["Say why the stay is cancelled: the visitor will read it."]
    }
    response = admin_client.post(
        changelist,
        {
            "action": "cancel_stays",
            "_selected_action": [visit.pk],
            "apply": "1",
            "reason": "The lab is closed.",
        },
        follow=True,
    )
    assert messages_in(response) == [f"{visit}: cancelled; the visitor is told."]
    visit.refresh_from_db()
    assert (visit.status, visit.allocations.count()) == (Visit.Status.CANCELLED, 0)
    mail = OutboxMessage.objects.get(kind="visits.cancelled")
    assert (mail.recipient, "The lab is closed." in mail.body_text) == (
        services.email_of(visit.researcher),
        True,
    )


def test_admin_stays_and_extensions_cannot_be_deleted(admin_client, approved, today):
    visit = approved(**days(today, 5, 3))
    extension = services.extension_request(
        visit=visit, new_last_day=visit.last_day + dt.timedelta(days=2), reason="x", by=visit.researcher.user
    )
    for name, obj in (("visit", visit), ("extension", extension)):
        url = reverse(f"admin:visits_{name}_delete", args=[obj.pk])
        assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert (Visit.objects.filter(pk=visit.pk).count(), visit.allocations.count()) == (1, 3)
