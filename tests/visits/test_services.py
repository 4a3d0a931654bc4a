import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from events.models import Event, EventSpeaker
from hubsite.models import OutboxMessage
from tests.factories import (
    EventFactory,
    InstitutionFactory,
    MemberFactory,
    ResearcherFactory,
    ThemeFactory,
    VisitFactory,
    VisitorFactory,
    WorkspaceFactory,
)
from visits import services
from visits.models import DeskAllocation, Extension, Visit, VisitStatusChange

from .conftest import days

pytestmark = pytest.mark.django_db


def register(today, **overrides):
    arguments = {
        "researcher": VisitorFactory(),
        "host": MemberFactory(),
        "purpose": "Work with the host.",
        **days(today, 10, 14),
    }
    return services.visit_register(**(arguments | overrides))


def messages_of(error: ValidationError) -> list[str]:
    return error.value.messages


# --- registration -----------------------------------------------------------------------------


def test_register_submits_the_stay_keeps_the_institution_and_mails_host_and_staff(today):
    institution = InstitutionFactory(name="Mila")
    visitor = VisitorFactory(institution=institution)
    host = MemberFactory(email="Host@Example.org")
    visit = register(today, researcher=visitor, host=host)
    assert visit.status == Visit.Status.SUBMITTED
    assert visit.institution == institution
    assert visit.institution_name == "Mila"
    visitor.institution = InstitutionFactory(name="Elsewhere")
    visitor.save()
    visit.refresh_from_db()
    assert visit.institution_display == "Mila"
    assert list(VisitStatusChange.objects.values_list("from_status", "to_status")) == [("", "submitted")]
    kinds = sorted(OutboxMessage.objects.values_list("kind", "recipient"))
    assert kinds == [
        ("visits.endorse_request", "host@example.org"),
        ("visits.staff_submitted", "staff@hub.example.org"),
    ]


def test_register_refuses_last_day_before_first_day(today):
    with pytest.raises(ValidationError) as error:
        register(today, first_day=today + dt.timedelta(days=5), last_day=today + dt.timedelta(days=4))
    assert messages_of(error) == ["The last day cannot be before the first day."]


def test_register_refuses_a_stay_that_starts_in_the_past(today):
    with pytest.raises(ValidationError) as error:
        register(today, **days(today, -1, 5))
    assert messages_of(error) == [
        "The stay cannot start in the past: the first day can be today at the earliest."
    ]


def test_register_refuses_a_stay_longer_than_the_maximum(today):
    first = dt.date(today.year + 1, 1, 31)
    with pytest.raises(ValidationError) as error:
        register(today, first_day=first, last_day=dt.date(today.year + 2, 1, 31))
    assert messages_of(error) == [
        f"A stay can last at most 12 months: with this first day, the last day can be "
        f"{dt.date(today.year + 2, 1, 30):%a 30 Jan %Y}."
    ]
    assert register(today, first_day=first, last_day=dt.date(today.year + 2, 1, 30)).days == 365


@override_settings(VISIT_MAX_MONTHS=3)
def test_register_maximum_length_is_configurable(today):
    with pytest.raises(ValidationError) as error:
        register(today, **days(today, 1, 120))
    assert "at most 3 months" in messages_of(error)[0]


def test_register_refuses_a_stay_overlapping_another_of_the_same_person(today):
    visitor = VisitorFactory()
    register(today, researcher=visitor, **days(today, 10, 14))
    with pytest.raises(ValidationError) as error:
        register(today, researcher=visitor, **days(today, 20, 5))
    first, last = today + dt.timedelta(days=10), today + dt.timedelta(days=23)
    assert messages_of(error) == [
        f"You already have a stay from {first:%-d %b %Y} to {last:%-d %b %Y} that overlaps these dates."
    ]


def test_register_allows_a_new_stay_over_a_withdrawn_one(today, staff):
    visitor = VisitorFactory()
    first = register(today, researcher=visitor)
    services.visit_withdraw(visit=first, by=visitor.user)
    assert register(today, researcher=visitor).status == Visit.Status.SUBMITTED


def test_register_refuses_a_host_who_is_not_a_hub_member(today):
    host = ResearcherFactory(name="Pat Outsider", is_hub_member=False)
    with pytest.raises(ValidationError) as error:
        register(today, host=host)
    assert messages_of(error) == ["Pat Outsider is not a hub member, so they cannot host a stay."]


def test_register_refuses_hosting_oneself(today):
    member = MemberFactory()
    with pytest.raises(ValidationError) as error:
        register(today, researcher=member, host=member)
    assert messages_of(error) == ["You cannot host your own stay: choose another hub member."]


# --- approval and desks -----------------------------------------------------------------------


def test_approve_allocates_one_desk_per_day_and_mails_the_visitor_with_the_ics(
    endorsed, staff, workspace, today
):
    visit = endorsed(**days(today, 5, 4))
    visit = services.visit_approve(visit=visit, by=staff, note="Welcome")
    assert visit.status == Visit.Status.APPROVED
    assert visit.workspace == workspace
    assert list(visit.allocations.values_list("day", flat=True)) == [
        today + dt.timedelta(days=n) for n in range(5, 9)
    ]
    change = visit.history.last()
    assert (change.from_status, change.to_status, change.by, change.note) == (
        "endorsed",
        "approved",
        staff,
        "Welcome",
    )
    message = OutboxMessage.objects.get(kind="visits.approved")
    assert message.recipient == visit.researcher.email
    assert message.attachments[0]["filename"] == "stay.ics"
    assert (
        "DTSTART;VALUE=DATE:" + (today + dt.timedelta(days=5)).strftime("%Y%m%d")
        in message.attachments[0]["content"]
    )
    assert f"Host: {visit.host.name}" in message.body_text
    assert "Workspace: Open lab, Floor 2" in message.body_text


def test_fourth_approval_for_three_desks_is_refused_and_names_the_full_days(
    approved, endorsed, staff, workspace, today
):
    for _ in range(3):
        approved(**days(today, 10, 5))
    fourth = endorsed(**days(today, 12, 5))
    with pytest.raises(ValidationError) as error:
        services.visit_approve(visit=fourth, by=staff)
    full = ", ".join(f"{today + dt.timedelta(days=n):%a %-d %b %Y}" for n in (12, 13, 14))
    assert messages_of(error) == [f"No free desk in Open lab on these days: {full}."]
    fourth.refresh_from_db()
    assert fourth.status == Visit.Status.ENDORSED
    assert fourth.allocations.count() == 0
    assert DeskAllocation.objects.filter(day=today + dt.timedelta(days=12)).count() == 3


def test_approve_uses_the_next_workspace_when_the_first_is_full(approved, endorsed, staff, workspace, today):
    small = WorkspaceFactory(name="Project room", desks=1)
    for _ in range(3):
        approved(**days(today, 10, 2))
    visit = services.visit_approve(visit=endorsed(**days(today, 10, 2)), by=staff)
    assert visit.workspace == small


def test_approve_names_days_full_everywhere(approved, endorsed, staff, workspace, today):
    WorkspaceFactory(name="Project room", desks=1)
    for _ in range(4):
        approved(**days(today, 10, 1))
    with pytest.raises(ValidationError) as error:
        services.visit_approve(visit=endorsed(**days(today, 9, 3)), by=staff)
    assert messages_of(error) == [
        f"Every workspace is full on these days: {today + dt.timedelta(days=10):%a %-d %b %Y}."
    ]


def test_approve_skips_the_desk_check_when_no_desk_is_needed(approved, endorsed, staff, workspace, today):
    for _ in range(3):
        approved(**days(today, 10, 3))
    visit = services.visit_approve(visit=endorsed(needs_desk=False, **days(today, 10, 3)), by=staff)
    assert visit.status == Visit.Status.APPROVED
    assert visit.workspace is None
    assert visit.allocations.count() == 0


def test_approve_without_any_visitor_workspace_is_refused(endorsed, staff):
    WorkspaceFactory(visitors_allowed=False)
    with pytest.raises(ValidationError) as error:
        services.visit_approve(visit=endorsed(), by=staff)
    assert messages_of(error) == ["There is no workspace open to visitors."]


@pytest.mark.parametrize("status", [Visit.Status.WITHDRAWN, Visit.Status.DECLINED])
def test_approving_a_withdrawn_or_declined_stay_is_refused(status, staff, workspace):
    visit = VisitFactory(status=status)
    label = {"withdrawn": "Withdrawn", "declined": "Declined"}[status]
    with pytest.raises(ValidationError) as error:
        services.visit_approve(visit=visit, by=staff)
    assert messages_of(error) == [f"This stay is “{label}”, so it cannot be approved."]
    assert DeskAllocation.objects.count() == 0


def test_approving_a_stay_the_host_has_not_endorsed_is_refused(staff, workspace):
    with pytest.raises(ValidationError) as error:
        services.visit_approve(visit=VisitFactory(), by=staff)
    assert messages_of(error) == ["This stay is “Submitted”, so it cannot be approved."]


def test_checking_in_a_submitted_stay_is_refused(staff):
    with pytest.raises(ValidationError) as error:
        services.visit_check_in(visit=VisitFactory(), by=staff)
    assert messages_of(error) == ["This stay is “Submitted”, so it cannot be checked in."]


def test_withdrawing_an_approved_stay_frees_its_desks_and_tells_the_host(approved, staff, today):
    visit = approved(**days(today, 3, 3))
    visit = services.visit_withdraw(visit=visit, by=visit.researcher.user, note="Plans changed")
    assert visit.status == Visit.Status.WITHDRAWN
    assert visit.allocations.count() == 0
    assert visit.sequence == 1
    host_mail = OutboxMessage.objects.get(kind="visits.withdrawn")
    assert host_mail.recipient == visit.host.email
    assert "STATUS:CANCELLED" in host_mail.attachments[0]["content"]


def test_withdrawing_twice_is_refused(approved, today):
    visit = approved(**days(today, 3, 3))
    services.visit_withdraw(visit=visit, by=visit.researcher.user)
    with pytest.raises(ValidationError) as error:
        services.visit_withdraw(visit=visit, by=visit.researcher.user)
    assert messages_of(error) == ["This stay is “Withdrawn”, so it cannot be withdrawn."]


def test_cancel_needs_a_reason(approved, staff, today):
    visit = approved(**days(today, 3, 3))
    with pytest.raises(ValidationError) as error:
        services.visit_cancel(visit=visit, by=staff, note=" ")
    assert messages_of(error) == ["Say why the stay is cancelled: the visitor will read it."]
    visit = services.visit_cancel(visit=visit, by=staff, note="Building closed")
    assert (visit.status, visit.allocations.count()) == (Visit.Status.CANCELLED, 0)


def test_check_in_and_early_check_out_free_the_remaining_days(approved, staff, today):
    visit = approved(**days(today, 0, 10))
    with pytest.raises(ValidationError) as error:
        services.visit_check_in(visit=visit, by=staff, today=today - dt.timedelta(days=1))
    assert messages_of(error) == [
        f"A visitor can be checked in only during the stay ({today:%-d %b %Y} to "
        f"{today + dt.timedelta(days=9):%-d %b %Y})."
    ]
    visit = services.visit_check_in(visit=visit, by=staff, today=today)
    assert visit.status == Visit.Status.CHECKED_IN
    visit = services.visit_check_out(visit=visit, by=staff, today=today + dt.timedelta(days=3))
    assert visit.status == Visit.Status.COMPLETED
    assert visit.last_day == today + dt.timedelta(days=3)
    assert visit.allocations.count() == 4
    assert visit.sequence == 1
    assert list(visit.history.values_list("to_status", flat=True)) == ["approved", "checked_in", "completed"]


# --- seminars ---------------------------------------------------------------------------------


def test_approval_of_a_seminar_offer_creates_a_draft_event_in_the_visitor_series(
    endorsed, staff, workspace, today
):
    theme = ThemeFactory()
    visit = endorsed(
        offers_seminar=True,
        seminar_title="Scaling in the wild",
        seminar_abstract="*Hi*",
        **days(today, 3, 20),
    )
    visit.themes.set([theme])
    visit = services.visit_approve(visit=visit, by=staff)
    event = visit.seminar_event
    assert (event.status, event.speakers_tba, event.title, event.abstract) == (
        Event.Status.DRAFT,
        False,
        "Scaling in the wild",
        "*Hi*",
    )
    assert event.series.slug == "visitor-seminars"
    assert list(EventSpeaker.objects.filter(event=event).values_list("researcher", flat=True)) == [
        visit.researcher.pk
    ]
    assert list(event.themes.all()) == [theme]
    assert services.visit_seminar_warnings(event) == []


@override_settings(VISITOR_SERIES_SLUG="guests")
def test_the_visitor_series_slug_comes_from_settings(endorsed, staff, workspace, today):
    visit = services.visit_approve(
        visit=endorsed(offers_seminar=True, seminar_title="T", **days(today, 3, 9)), by=staff
    )
    assert visit.seminar_event.series.slug == "guests"


def test_seminar_warnings_when_scheduled_outside_the_stay(endorsed, staff, workspace, today):
    visit = services.visit_approve(
        visit=endorsed(offers_seminar=True, seminar_title="T", **days(today, 3, 9)), by=staff
    )
    event = visit.seminar_event
    event.start = event.start + dt.timedelta(days=30)
    event.end = event.start + dt.timedelta(hours=1)
    day = event.start.astimezone(dt.timezone(dt.timedelta(hours=9))).date()
    assert services.visit_seminar_warnings(event) == [
        f"This seminar is on {day:%-d %b %Y}, outside {visit.researcher.name}'s stay at the hub "
        f"({visit.first_day:%-d %b %Y} to {visit.last_day:%-d %b %Y})."
    ]


def test_seminar_warnings_are_empty_for_an_ordinary_event():
    assert services.visit_seminar_warnings(EventFactory()) == []


# --- extensions -------------------------------------------------------------------------------


def test_extension_goes_through_the_desk_check_and_approval(approved, endorsed, staff, workspace, today):
    visit = approved(**days(today, 1, 20))
    extension = services.extension_request(
        visit=visit,
        new_last_day=visit.last_day + dt.timedelta(days=5),
        reason="More experiments",
        by=visit.researcher.user,
    )
    for _ in range(2):
        approved(**days(today, 23, 3))
    blocker = approved(**days(today, 24, 1))
    assert blocker.workspace == workspace
    with pytest.raises(ValidationError) as error:
        services.extension_approve(extension=extension, by=staff)
    assert messages_of(error) == [
        f"No free desk in Open lab on these days: {today + dt.timedelta(days=24):%a %-d %b %Y}."
    ]
    services.visit_withdraw(visit=blocker, by=blocker.researcher.user)
    services.extension_approve(extension=extension, by=staff)
    visit.refresh_from_db()
    assert visit.last_day == today + dt.timedelta(days=25)
    assert visit.allocations.count() == 25
    assert visit.sequence == 1
    assert OutboxMessage.objects.get(kind="visits.extension_decided").attachments[0]["filename"] == "stay.ics"


def test_extension_request_refusals(approved, today):
    visit = approved(**days(today, 1, 20))
    with pytest.raises(ValidationError) as error:
        services.extension_request(
            visit=visit, new_last_day=visit.last_day, reason="x", by=visit.researcher.user
        )
    assert messages_of(error) == ["The new last day must be after the current last day."]
    services.extension_request(
        visit=visit, new_last_day=visit.last_day + dt.timedelta(days=1), reason="x", by=visit.researcher.user
    )
    with pytest.raises(ValidationError) as error:
        services.extension_request(
            visit=visit,
            new_last_day=visit.last_day + dt.timedelta(days=2),
            reason="x",
            by=visit.researcher.user,
        )
    assert messages_of(error) == ["This stay already has an extension request waiting."]
    assert Extension.objects.count() == 1


def test_extension_must_be_asked_before_the_deadline(approved, today):
    visit = approved(**days(today, 0, 10))
    late = visit.last_day - dt.timedelta(days=6)
    with pytest.raises(ValidationError) as error:
        services.extension_request(
            visit=visit,
            new_last_day=visit.last_day + dt.timedelta(days=3),
            reason="x",
            by=visit.researcher.user,
            today=late,
        )
    deadline = f"{visit.last_day - dt.timedelta(days=7):%a %-d %b %Y}"
    assert messages_of(error) == [f"Extensions must be asked by {deadline}, 7 days before the last day."]


def test_extension_of_a_submitted_stay_is_refused():
    visit = VisitFactory()
    with pytest.raises(ValidationError) as error:
        services.extension_request(
            visit=visit, new_last_day=dt.date(2100, 1, 1), reason="x", by=visit.researcher.user
        )
    assert messages_of(error)[0] == "Only an approved stay can be extended."


# --- reads for other rooms --------------------------------------------------------------------


def test_visitor_counts_by_institution_count_approved_stays_by_institution_at_the_time(
    approved, today, workspace
):
    mila, inria = InstitutionFactory(), InstitutionFactory()
    approved(researcher=VisitorFactory(institution=mila), **days(today, 1, 2))
    approved(researcher=VisitorFactory(institution=mila), **days(today, 1, 2))
    approved(researcher=VisitorFactory(institution=inria), **days(today, 1, 2))
    VisitFactory(researcher=VisitorFactory(institution=inria))  # submitted: not counted
    assert services.visitor_counts_by_institution() == {mila.pk: 2, inria.pk: 1}
    from researchers.models import Institution

    counted = Institution.objects.filter(pk__in=[mila.pk, inria.pk]).order_by("pk").with_stay_count()
    assert [i.stay_count for i in counted] == [2, 1]


# --- who may act, decided in the service under the lock of its write --------------------------

STAFF_DECISIONS = {
    "approve": lambda visit, by: services.visit_approve(visit=visit, by=by),
    "decline": lambda visit, by: services.visit_decline(visit=visit, by=by),
    "cancel": lambda visit, by: services.visit_cancel(visit=visit, by=by, note="No desks."),
    "check_in": lambda visit, by: services.visit_check_in(visit=visit, by=by),
    "check_out": lambda visit, by: services.visit_check_out(visit=visit, by=by),
    "resend_host_link": lambda visit, by: services.visit_endorsement_resend(visit=visit, by=by),
}


@pytest.mark.parametrize("decision", STAFF_DECISIONS)
def test_every_staff_decision_on_a_stay_refuses_anyone_but_staff(decision, today):
    visit = VisitFactory(status=Visit.Status.ENDORSED)
    for by in (None, visit.researcher.user, visit.host.user):
        with pytest.raises(ValidationError) as error:
            STAFF_DECISIONS[decision](visit, by)
        assert messages_of(error) == [
            "Only the hub staff, signed in with two-factor authentication, can decide this."
        ]
    visit.refresh_from_db()
    assert (visit.status, visit.history.count()) == (Visit.Status.ENDORSED, 0)


@pytest.mark.parametrize("decision", ["approve", "decline"])
def test_staff_decisions_on_an_extension_refuse_anyone_but_staff(decision, approved, today):
    visit = approved(**days(today, 1, 20))
    extension = services.extension_request(
        visit=visit, new_last_day=visit.last_day + dt.timedelta(days=2), reason="x", by=visit.researcher.user
    )
    action = services.extension_approve if decision == "approve" else services.extension_decline
    for by in (None, visit.researcher.user):
        with pytest.raises(ValidationError) as error:
            action(extension=extension, by=by)
        assert messages_of(error) == [
            "Only the hub staff, signed in with two-factor authentication, can decide this."
        ]
    extension.refresh_from_db()
    assert extension.status == Extension.Status.REQUESTED


def test_only_the_visitor_withdraws_or_extends_their_stay(approved, staff, today):
    visit = approved(**days(today, 1, 20))
    for by in (None, visit.host.user, staff):
        with pytest.raises(ValidationError) as error:
            services.visit_withdraw(visit=visit, by=by)
        assert messages_of(error) == ["Only the visitor can change their own stay."]
        with pytest.raises(ValidationError) as error:
            services.extension_request(
                visit=visit, new_last_day=visit.last_day + dt.timedelta(days=2), reason="x", by=by
            )
        assert messages_of(error) == ["Only the visitor can change their own stay."]
    visit.refresh_from_db()
    assert (visit.status, visit.extensions.count()) == (Visit.Status.APPROVED, 0)


def test_every_write_about_a_stay_that_no_longer_exists_says_so(staff, today):
    visit = VisitFactory(status=Visit.Status.APPROVED, **days(today, 0, 20))
    extension = Extension.objects.create(visit=visit, new_last_day=visit.last_day + dt.timedelta(days=2))
    visitor = visit.researcher.user
    token = services.visit_endorsement_token(visit)
    Visit.objects.filter(pk=visit.pk).delete()
    writes = [
        *(lambda call=call: call(visit, staff) for call in STAFF_DECISIONS.values()),
        lambda: services.visit_withdraw(visit=visit, by=visitor),
        lambda: services.extension_request(
            visit=visit, new_last_day=visit.last_day + dt.timedelta(days=5), reason="x", by=visitor
        ),
        lambda: services.extension_approve(extension=extension, by=staff),
        lambda: services.extension_decline(extension=extension, by=staff),
    ]
    for write in writes:
        with pytest.raises(ValidationError) as error:
            write()
        assert messages_of(error) == ["This stay no longer exists."]
    with pytest.raises(ValidationError) as error:
        services.visit_host_answer(token=token, endorse=True)
    assert messages_of(error) == ["This link is not valid. Use the link from the e-mail as it is."]
