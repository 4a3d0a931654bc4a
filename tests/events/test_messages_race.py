"""Two beat schedulers run the reminders at the same moment: each person still gets one reminder."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from events import services
from hubsite.models import OutboxMessage
from tests import smtp
from tests.factories import EventFactory, RegistrationFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
smtp_server, smtp_mailer = smtp.smtp_server, smtp.smtp_mailer

START = dt.datetime(2031, 7, 1, 5, 0, tzinfo=dt.UTC)
PEOPLE = 8


def run_at_once(work, times: int) -> list:
    barrier = threading.Barrier(times)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(work())
        except Exception as error:  # noqa: BLE001 - asserted below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


def test_a_reminder_goes_once_per_person_when_the_task_runs_twice_at_once(smtp_mailer):
    event = EventFactory(start=START, end=START + dt.timedelta(hours=1))
    emails = sorted(f"person{n}@example.org" for n in range(PEOPLE))
    for email in emails:
        RegistrationFactory(event=event, email=email)
    moment = START - dt.timedelta(minutes=59)
    run_at_once(lambda: services.event_reminders_send(now=moment), times=2)
    rows = OutboxMessage.objects.about(event).filter(kind="reminder-1h")
    assert sorted(rows.values_list("recipient", flat=True)) == emails
    assert sorted(smtp_mailer.recipients()) == emails


def test_two_update_tasks_at_once_send_one_update_per_person(smtp_mailer):
    event = EventFactory(
        start=START, end=START + dt.timedelta(hours=1), sequence=3, update_notice_due_at=timezone.now()
    )
    emails = sorted(f"person{n}@example.org" for n in range(PEOPLE))
    for email in emails:
        RegistrationFactory(event=event, email=email)
    run_at_once(lambda: services.event_update_notices_send(event_id=event.pk), times=2)
    assert sorted(smtp_mailer.recipients()) == emails
    assert set(OutboxMessage.objects.filter(kind="event_update").values_list("revision", flat=True)) == {3}
