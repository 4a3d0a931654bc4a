"""Races on stays, on PostgreSQL with real threads and connections: the services raced directly,
then real concurrent requests."""

import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from researchers.models import Researcher
from tests.concurrent_requests import at_once, signed_in_client
from tests.factories import (
    MemberFactory,
    StaffFactory,
    UserFactory,
    VisitFactory,
    VisitorFactory,
    WorkspaceFactory,
)
from visits import services
from visits.models import ArrivalsFeedToken, DeskAllocation, Visit

from .conftest import days

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(*callables):
    barrier = threading.Barrier(len(callables))
    results = [None] * len(callables)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except ValidationError as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(callables)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_approvals_racing_for_the_last_desk_exactly_one_wins(today):
    workspace = WorkspaceFactory(name="Open lab", desks=2)
    staff = StaffFactory()
    services.visit_approve(visit=VisitFactory(status=Visit.Status.ENDORSED, **days(today, 5, 5)), by=staff)
    first = VisitFactory(status=Visit.Status.ENDORSED, **days(today, 5, 3))
    second = VisitFactory(status=Visit.Status.ENDORSED, **days(today, 6, 3))
    results = race(
        lambda: services.visit_approve(visit=first, by=staff),
        lambda: services.visit_approve(visit=second, by=staff),
    )
    winners = [r for r in results if isinstance(r, Visit)]
    losers = [r for r in results if isinstance(r, ValidationError)]
    assert (len(winners), len(losers)) == (1, 1)
    assert losers[0].messages[0].startswith("No free desk in Open lab on these days: ")
    statuses = sorted(Visit.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True))
    assert statuses == ["approved", "endorsed"]
    for day in DeskAllocation.objects.values_list("day", flat=True).distinct():
        assert DeskAllocation.objects.filter(workspace=workspace, day=day).count() <= 2


def test_the_same_stay_approved_twice_at_once_is_approved_once(today):
    WorkspaceFactory(desks=5)
    staff = StaffFactory()
    visit = VisitFactory(status=Visit.Status.ENDORSED, **days(today, 5, 3))
    results = race(
        lambda: services.visit_approve(visit=visit, by=staff),
        lambda: services.visit_approve(visit=visit, by=staff),
    )
    assert sorted(type(r).__name__ for r in results) == ["ValidationError", "Visit"]
    assert DeskAllocation.objects.filter(visit=visit).count() == 3
    assert visit.history.filter(to_status="approved").count() == 1


def test_the_same_endorsement_link_used_twice_at_once_counts_once(today):
    visit = VisitFactory()
    token = services.visit_endorsement_token(visit)
    results = race(
        lambda: services.visit_host_answer(token=token, endorse=True),
        lambda: services.visit_host_answer(token=token, endorse=False),
    )
    assert sorted(type(r).__name__ for r in results) == ["ValidationError", "Visit"]
    assert visit.history.count() == 1


# --- Real concurrent requests (tests/concurrent_requests.py), each race TRIALS times ----------

TRIALS = 20


def _stay_form(host, first_day, last_day, **overrides):
    return {
        "host": host.pk,
        "first_day": first_day.isoformat(),
        "last_day": last_day.isoformat(),
        "purpose": "Work on scaling laws with the host's group.",
        "funding": "self",
        "needs_desk": "on",
        **overrides,
    }


def test_a_newcomer_sending_the_stay_form_twice_at_once_gets_one_stay_and_a_clear_answer(today):
    host = MemberFactory()
    first_day, last_day = today + dt.timedelta(days=10), today + dt.timedelta(days=20)
    overlap = (
        f"You already have a stay from {first_day:%-d %b %Y} to {last_day:%-d %b %Y} "
        "that overlaps these dates."
    )
    for trial in range(TRIALS):
        user = UserFactory()
        data = _stay_form(host, first_day, last_day, name=f"Newcomer {trial}")
        answers = at_once(
            (signed_in_client(user), "post", "/visits/new/", data),
            (signed_in_client(user), "post", "/visits/new/", data),
        )
        assert [a.error for a in answers] == [None, None], trial
        assert sorted(a.status for a in answers) == [200, 302], trial
        made, refused = sorted(answers, key=lambda a: a.status, reverse=True)
        visit = Visit.objects.get(researcher__user=user)
        assert made.redirect == f"/visits/{visit.pk}/", trial
        assert refused.says(overlap), trial
        assert Researcher.objects.filter(user=user).count() == 1


def test_two_newcomers_of_the_same_name_sending_the_form_at_once_both_get_a_profile(today):
    host = MemberFactory()
    for trial in range(TRIALS):
        users = [UserFactory(), UserFactory()]
        data = _stay_form(
            host, today + dt.timedelta(days=10), today + dt.timedelta(days=12), name=f"Ji-woo Kim {trial}"
        )
        answers = at_once(*[(signed_in_client(user), "post", "/visits/new/", data) for user in users])
        assert [(a.error, a.status) for a in answers] == [(None, 302), (None, 302)], trial
        slugs = sorted(Researcher.objects.filter(user__in=users).values_list("slug", flat=True))
        assert slugs == [f"ji-woo-kim-{trial}", f"ji-woo-kim-{trial}-2"], trial


def test_two_stays_sent_at_once_cannot_pass_the_bound_on_pending_stays(settings, today):
    settings.VISIT_MAX_PENDING_PER_PERSON = 2
    host = MemberFactory()
    refusal = (
        "You already have 2 stays waiting for an answer from your host or the hub staff, the most one "
        "person can have at once. Withdraw one, or wait for an answer, before you register another."
    )
    for trial in range(TRIALS):
        visitor = VisitorFactory()
        VisitFactory(researcher=visitor, host=host, **days(today, 100, 3))
        answers = at_once(
            *[
                (
                    signed_in_client(visitor.user),
                    "post",
                    "/visits/new/",
                    _stay_form(host, **days(today, start, 3)),
                )
                for start in (10, 20)
            ]
        )
        assert [a.error for a in answers] == [None, None], trial
        assert sorted(a.status for a in answers) == [200, 302], trial
        refused = next(a for a in answers if a.status == 200)
        assert refused.says(refusal), trial
        assert Visit.objects.filter(researcher=visitor).pending().count() == 2


def test_a_host_answering_with_a_link_that_staff_replace_at_that_moment_never_counts_both(today):
    staff = StaffFactory()
    for trial in range(TRIALS):
        visit = VisitFactory()
        old_link = f"/visits/endorse/{services.visit_endorsement_token(visit)}/"
        answer, resend = at_once(
            (signed_in_client(UserFactory()), "post", old_link, {"answer": "endorse"}),
            (
                signed_in_client(staff),
                "post",
                "/admin/visits/visit/",
                {"action": "resend_host_link", "_selected_action": [visit.pk]},
            ),
        )
        assert (answer.error, resend.error) == (None, None), trial
        visit.refresh_from_db()
        if visit.status == Visit.Status.ENDORSED:
            # The answer came first: staff are told, and no new link went out.
            assert answer.status == 200 and answer.says("You endorsed the stay"), trial
            assert resend.says("The host has already answered"), trial
            assert visit.endorsement_round == 0, trial
        else:
            # The new link came first: the old one no longer works, whenever it was read.
            assert visit.status == Visit.Status.SUBMITTED and visit.endorsement_round == 1, trial
            assert answer.status == 400, trial
            assert answer.says("This link was replaced by a newer one") or answer.says(
                "This link is not valid. Use the link from the e-mail as it is."
            ), trial
            assert resend.says("new link sent to the host."), trial


def test_a_visitor_withdrawing_while_staff_approve_ends_withdrawn_with_no_desk_held(today):
    staff = StaffFactory()
    WorkspaceFactory(desks=5)
    for trial in range(TRIALS):
        visit = VisitFactory(status=Visit.Status.ENDORSED, **days(today, 5 + trial, 3))
        withdraw, approve = at_once(
            (signed_in_client(visit.researcher.user), "post", f"/visits/{visit.pk}/withdraw/", {"note": ""}),
            (
                signed_in_client(staff),
                "post",
                "/admin/visits/visit/",
                {"action": "approve", "_selected_action": [visit.pk]},
            ),
        )
        assert (withdraw.error, approve.error) == (None, None), trial
        assert (withdraw.status, approve.status) == (302, 302), trial
        visit.refresh_from_db()
        assert visit.status == Visit.Status.WITHDRAWN, trial
        assert DeskAllocation.objects.filter(visit=visit).count() == 0, trial
        assert withdraw.says("Your stay is withdrawn."), trial
        assert approve.says(": approved.") or approve.says("so it cannot be approved."), trial


def test_staff_resetting_the_arrivals_address_twice_at_once_get_one_address():
    for trial in range(TRIALS):
        staff = StaffFactory()
        answers = at_once(
            *[(signed_in_client(staff), "post", "/visits/arrivals/token/", None) for _ in range(2)]
        )
        assert [(a.error, a.status) for a in answers] == [(None, 302), (None, 302)], trial
        assert ArrivalsFeedToken.objects.filter(user=staff).count() == 1
