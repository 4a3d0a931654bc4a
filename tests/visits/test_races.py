"""Two approvals racing for the last desk, on PostgreSQL with real threads and connections."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from tests.factories import StaffFactory, VisitFactory, WorkspaceFactory
from visits import services
from visits.models import DeskAllocation, Visit

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
