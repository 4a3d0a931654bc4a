import datetime as dt
import threading

import pytest
from django.db import connection

from hubsite.models import OutboxMessage
from visits import services, tasks
from visits.models import Visit

from .conftest import days

pytestmark = pytest.mark.django_db


def kinds():
    return sorted(
        OutboxMessage.objects.filter(kind__startswith="visits.reminder").values_list("kind", "recipient")
    )


def test_arrival_reminder_goes_seven_days_before_once(approved, today):
    visit = approved(**days(today, 7, 30))
    OutboxMessage.objects.all().delete()
    services.visit_reminders_send(today=today - dt.timedelta(days=1))
    assert kinds() == []
    services.visit_reminders_send(today=today)
    services.visit_reminders_send(today=today)
    services.visit_reminders_send(today=today + dt.timedelta(days=1))
    assert kinds() == [("visits.reminder_arrival", visit.researcher.email)]
    message = OutboxMessage.objects.get()
    assert message.revision == visit.first_day.toordinal()
    assert message.subject == f"Your stay at the hub starts on {visit.first_day:%-d %b}"


def test_host_is_reminded_on_the_first_day(approved, today):
    visit = approved(**days(today, 0, 30))
    OutboxMessage.objects.all().delete()
    services.visit_reminders_send(today=today)
    assert kinds() == [("visits.reminder_host", visit.host.email)]
    assert OutboxMessage.objects.get().subject == f"{visit.researcher.name} arrives today"


def test_checkout_reminder_goes_five_days_before_the_last_day(approved, today, staff):
    visit = approved(**days(today, 0, 30))
    services.visit_check_in(visit=visit, by=staff)
    OutboxMessage.objects.all().delete()
    services.visit_reminders_send(today=visit.last_day - dt.timedelta(days=6))
    assert kinds() == []
    services.visit_reminders_send(today=visit.last_day - dt.timedelta(days=5))
    services.visit_reminders_send(today=visit.last_day - dt.timedelta(days=2))
    assert kinds() == [("visits.reminder_checkout", visit.researcher.email)]


def test_extension_reminder_while_an_extension_can_still_be_asked(approved, today):
    visit = approved(**days(today, 0, 40))
    OutboxMessage.objects.all().delete()
    services.visit_reminders_send(today=visit.last_day - dt.timedelta(days=15))
    assert kinds() == []
    services.visit_reminders_send(today=visit.last_day - dt.timedelta(days=14))
    services.visit_reminders_send(today=visit.last_day - dt.timedelta(days=7))
    assert kinds() == [("visits.reminder_extension", visit.researcher.email)]
    deadline = visit.last_day - dt.timedelta(days=7)
    assert f"ask for an extension by {deadline:%a %-d %b %Y}" in OutboxMessage.objects.get().body_text


def test_no_reminders_for_withdrawn_stays(approved, today):
    visit = approved(**days(today, 3, 30))
    services.visit_withdraw(visit=visit, by=visit.researcher.user)
    OutboxMessage.objects.all().delete()
    assert services.visit_reminders_send(today=today) == []


def test_the_beat_task_sends_what_is_due(approved, today):
    approved(**days(today, 0, 6))
    OutboxMessage.objects.all().delete()
    assert tasks.send_reminders.delay().get() == 2  # host today, check-out within five days
    assert tasks.send_reminders.delay().get() == 2
    assert OutboxMessage.objects.count() == 2


def test_reminders_are_in_the_beat_schedule(settings):
    assert settings.CELERY_BEAT_SCHEDULE["visits-reminders"]["task"] == "visits.send_reminders"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_beat_runs_at_the_same_moment_send_each_reminder_once(today):
    from tests.factories import StaffFactory, VisitFactory, WorkspaceFactory

    WorkspaceFactory(desks=5)
    staff = StaffFactory()
    for start in (0, 3, 5):
        services.visit_approve(
            visit=VisitFactory(status=Visit.Status.ENDORSED, **days(today, start, 6)), by=staff
        )
    OutboxMessage.objects.all().delete()
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait()
            services.visit_reminders_send(today=today)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    # arrivals of the stays starting in 3 and 5 days; the host and the check-out of the one starting today
    assert sorted(OutboxMessage.objects.values_list("kind", flat=True)) == [
        "visits.reminder_arrival",
        "visits.reminder_arrival",
        "visits.reminder_checkout",
        "visits.reminder_host",
    ]
