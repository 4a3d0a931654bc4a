"""Delivering outbox rows to a real SMTP server on loopback (aiosmtpd): refusals, 421, outages, sweeps."""

import datetime as dt
import smtplib
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from hubsite import services
from hubsite.mail import classify_error, retry_countdown
from hubsite.models import OutboxMessage
from hubsite.services import outbox_send_batch, outbox_sweep, outbox_write
from tests import smtp
from tests.factories import ThemeFactory

# The loopback SMTP server's fixtures.
smtp_server, smtp_mailer = smtp.smtp_server, smtp.smtp_mailer

pytestmark = pytest.mark.django_db

Status = OutboxMessage.Status


def write_rows(*recipients, about=None, kind="notice"):
    """Rows written in a transaction of their own whose after-commit dispatch never runs (the test's
    transaction never commits), so each test sends them when it wants to."""
    about = about or ThemeFactory()
    with transaction.atomic():
        return [
            outbox_write(kind=kind, about=about, recipient=r, subject=f"To {r}", body_text=f"Hello {r}\n")
            for r in recipients
        ]


def statuses(rows):
    return [OutboxMessage.objects.get(pk=row.pk).status for row in rows]


def make_due():
    """Stand-in for waiting out the backoff."""
    OutboxMessage.objects.filter(status=Status.QUEUED).update(next_attempt_at=timezone.now())


@pytest.fixture
def dispatched(monkeypatch):
    """Every hand-over to Celery as (pks, countdown), instead of running it."""
    calls = []
    monkeypatch.setattr(
        services, "outbox_dispatch", lambda *, pks, countdown=None: calls.append((pks, countdown))
    )
    return calls


def test_a_batch_goes_out_over_one_connection_with_the_row_message_id(smtp_mailer):
    rows = write_rows("a@example.org", "b@example.org", "c@example.org")
    result = outbox_send_batch(pks=[row.pk for row in rows])
    assert result.sent == [row.pk for row in rows]
    assert statuses(rows) == [Status.SENT] * 3
    assert smtp_mailer.recipients() == ["a@example.org", "b@example.org", "c@example.org"]
    assert smtp_mailer.connections == 1
    assert [item.message_id for item in smtp_mailer.received] == [row.message_id for row in rows]
    assert smtp_mailer.received[0].message["Subject"] == "To a@example.org"
    assert [row.attempts for row in OutboxMessage.objects.order_by("pk")] == [1, 1, 1]


def test_a_refused_address_fails_with_the_reply_and_the_others_are_sent(smtp_mailer, dispatched):
    smtp_mailer.refuse("gone@example.org")
    rows = write_rows("a@example.org", "gone@example.org", "c@example.org")
    outbox_send_batch(pks=[row.pk for row in rows])
    assert statuses(rows) == [Status.SENT, Status.FAILED, Status.SENT]
    refused = OutboxMessage.objects.get(pk=rows[1].pk)
    assert refused.last_error == "550 5.1.1 <gone@example.org>: Recipient address rejected"
    assert refused.attempts == 1
    assert refused.failed_at is not None
    assert smtp_mailer.recipients() == ["a@example.org", "c@example.org"]
    assert smtp_mailer.connections == 1
    assert dispatched == []


def test_a_421_is_retried_with_backoff_and_sent_once(smtp_mailer, dispatched, settings):
    smtp_mailer.answer_next_data("421 4.3.2 Service busy, try later")
    (row,) = write_rows("a@example.org")
    before = timezone.now()
    outbox_send_batch(pks=[row.pk])
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (
        Status.QUEUED,
        1,
        "421 4.3.2 Service busy, try later",
    )
    ((pks, countdown),) = dispatched
    assert pks == [row.pk]
    assert 15 <= countdown <= 30
    assert before + dt.timedelta(seconds=countdown) <= row.next_attempt_at
    assert smtp_mailer.received == []

    # The retry task, arriving early, finds nothing due yet.
    assert outbox_send_batch(pks=[row.pk]).skipped == 1
    make_due()
    outbox_send_batch(pks=[row.pk])
    outbox_send_batch(pks=[row.pk])  # and a duplicate of it is harmless
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.SENT, 2)
    assert smtp_mailer.recipients() == ["a@example.org"]


def test_a_server_that_keeps_a_message_and_dies_before_its_reply_gets_it_twice_with_one_message_id(
    smtp_mailer, dispatched
):
    """The second possible duplicate (docs/architecture.md, "Duplicates"): the outbox cannot know the
    message was kept, so it retries; both copies carry the row's Message-ID for receivers to merge."""
    smtp_mailer.store_next_then_drop()
    (row,) = write_rows("a@example.org")
    outbox_send_batch(pks=[row.pk])
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (
        Status.QUEUED,
        1,
        "SMTPServerDisconnected: Connection unexpectedly closed",
    )
    make_due()
    outbox_send_batch(pks=[row.pk])
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.SENT, 2)
    assert [item.message_id for item in smtp_mailer.received] == [row.message_id, row.message_id]
    assert smtp_mailer.recipients() == ["a@example.org", "a@example.org"]


def test_a_4xx_for_one_recipient_retries_that_one_and_sends_the_others(smtp_mailer, dispatched):
    smtp_mailer.refuse("greylisted@example.org", "450 4.2.0 Greylisted, try again in 5 minutes")
    rows = write_rows("greylisted@example.org", "b@example.org")
    outbox_send_batch(pks=[row.pk for row in rows])
    assert statuses(rows) == [Status.QUEUED, Status.SENT]
    assert (
        OutboxMessage.objects.get(pk=rows[0].pk).last_error == "450 4.2.0 Greylisted, try again in 5 minutes"
    )
    assert [pks for pks, _ in dispatched] == [[rows[0].pk]]


def test_a_server_down_for_a_while_is_retried_then_sent(smtp_mailer, dispatched):
    smtp_mailer.stop()
    rows = write_rows("a@example.org", "b@example.org")
    pks = [row.pk for row in rows]
    outbox_send_batch(pks=pks)
    make_due()
    outbox_send_batch(pks=pks)
    assert statuses(rows) == [Status.QUEUED, Status.QUEUED]
    waiting = OutboxMessage.objects.get(pk=rows[1].pk)
    assert waiting.attempts == 2
    assert waiting.last_error.startswith("ConnectionRefusedError: ")
    assert [called_pks for called_pks, _ in dispatched] == [pks, pks]
    # The second wait is longer than the first (exponential), both far below the visibility timeout.
    assert 15 <= dispatched[0][1] <= 30 < dispatched[1][1] <= 60

    smtp_mailer.start()
    make_due()
    outbox_send_batch(pks=pks)
    assert statuses(rows) == [Status.SENT, Status.SENT]
    assert smtp_mailer.recipients() == ["a@example.org", "b@example.org"]
    assert [row.attempts for row in OutboxMessage.objects.order_by("pk")] == [3, 3]


def test_attempts_are_bounded(smtp_mailer, dispatched, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    smtp_mailer.stop()
    (row,) = write_rows("a@example.org")
    outbox_send_batch(pks=[row.pk])
    make_due()
    outbox_send_batch(pks=[row.pk])
    row.refresh_from_db()
    assert row.status == Status.FAILED
    assert row.attempts == 2
    assert row.last_error.startswith("Gave up after 2 attempts. Last error: ConnectionRefusedError: ")
    assert len(dispatched) == 1


def test_a_connection_closed_mid_batch_is_opened_again_for_the_rest(smtp_mailer, dispatched):
    smtp_mailer.answer_next_data("250 OK", "421 4.7.0 Too many messages on this connection")
    rows = write_rows("a@example.org", "b@example.org", "c@example.org", "d@example.org")
    outbox_send_batch(pks=[row.pk for row in rows])
    assert statuses(rows) == [Status.SENT, Status.QUEUED, Status.SENT, Status.SENT]
    assert smtp_mailer.recipients() == ["a@example.org", "c@example.org", "d@example.org"]
    assert smtp_mailer.connections == 2
    assert [pks for pks, _ in dispatched] == [[rows[1].pk]]


def test_a_server_failing_at_once_defers_the_whole_batch(smtp_mailer, dispatched):
    smtp_mailer.answer_next_data("421 4.3.0 Shutting down")
    rows = write_rows("a@example.org", "b@example.org", "c@example.org")
    outbox_send_batch(pks=[row.pk for row in rows])
    assert statuses(rows) == [Status.QUEUED] * 3
    assert [row.attempts for row in OutboxMessage.objects.order_by("pk")] == [1, 1, 1]
    assert smtp_mailer.connections == 1
    ((pks, _),) = dispatched
    assert pks == [row.pk for row in rows]
    assert OutboxMessage.objects.get(pk=rows[2].pk).last_error == "421 4.3.0 Shutting down"


def test_rows_not_queued_are_left_alone(smtp_mailer):
    sent, failed, sending = write_rows("a@example.org", "b@example.org", "c@example.org")
    OutboxMessage.objects.filter(pk=sent.pk).update(status=Status.SENT)
    OutboxMessage.objects.filter(pk=failed.pk).update(status=Status.FAILED)
    OutboxMessage.objects.filter(pk=sending.pk).update(status=Status.SENDING, claimed_at=timezone.now())
    result = outbox_send_batch(pks=[sent.pk, failed.pk, sending.pk, 999_999])
    assert (result.sent, result.skipped) == ([], 4)
    assert smtp_mailer.received == []


def test_the_sweep_requeues_stuck_rows_and_sends_rows_whose_task_never_ran(smtp_mailer):
    stuck, busy, lost, fresh = write_rows("stuck@x.org", "busy@x.org", "lost@x.org", "fresh@x.org")
    now = timezone.now()
    OutboxMessage.objects.filter(pk=stuck.pk).update(
        status=Status.SENDING, attempts=1, claimed_at=now - dt.timedelta(minutes=16)
    )
    OutboxMessage.objects.filter(pk=busy.pk).update(
        status=Status.SENDING, attempts=1, claimed_at=now - dt.timedelta(minutes=14)
    )
    OutboxMessage.objects.filter(pk=lost.pk).update(next_attempt_at=now - dt.timedelta(seconds=90))
    result = outbox_sweep()
    assert (result.requeued_sending, result.failed_sending, result.redispatched) == (1, 0, 2)
    assert statuses([stuck, busy, lost, fresh]) == [Status.SENT, Status.SENDING, Status.SENT, Status.QUEUED]
    assert sorted(smtp_mailer.recipients()) == ["lost@x.org", "stuck@x.org"]
    stuck.refresh_from_db()
    assert stuck.attempts == 2
    assert stuck.last_error.startswith("The worker stopped while sending (claimed at ")

    # Sweeping again sends nothing twice.
    assert outbox_sweep().redispatched == 0
    assert len(smtp_mailer.received) == 2


def test_the_sweep_fails_a_stuck_row_on_its_last_attempt(settings, smtp_mailer):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    (row,) = write_rows("a@example.org")
    OutboxMessage.objects.filter(pk=row.pk).update(
        status=Status.SENDING, attempts=3, claimed_at=timezone.now() - dt.timedelta(minutes=20)
    )
    assert outbox_sweep().failed_sending == 1
    row.refresh_from_db()
    assert row.status == Status.FAILED
    assert row.last_error.startswith("Gave up after 3 attempts. Last error: The worker stopped while sending")


def test_the_sweep_is_on_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["outbox-sweep"]
    assert entry["task"] == "hubsite.sweep_outbox"
    assert entry["schedule"] <= 60


def test_asking_twice_sends_once(smtp_mailer, django_capture_on_commit_callbacks):
    theme = ThemeFactory()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for _ in range(2):
            outbox_write(
                kind="invitation", about=theme, recipient="A@example.org", subject="S", body_text="B"
            )
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        outbox_write(kind="invitation", about=theme, recipient="a@example.org", subject="S", body_text="B")
    assert OutboxMessage.objects.count() == 1
    assert smtp_mailer.recipients() == ["a@example.org"]


def test_one_transaction_hands_its_rows_to_celery_in_few_batch_tasks(
    settings, monkeypatch, django_capture_on_commit_callbacks
):
    from hubsite.tasks import send_outbox_batch

    settings.OUTBOX_BATCH_SIZE = 2
    calls = []
    monkeypatch.setattr(send_outbox_batch, "apply_async", lambda args, countdown=None: calls.append(args[0]))
    theme = ThemeFactory()
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        rows = [
            outbox_write(kind="k", about=theme, recipient=f"{n}@x.org", subject="S", body_text="B")
            for n in range(5)
        ]
    pks = [row.pk for row in rows]
    assert len(callbacks) == 1
    assert calls == [pks[0:2], pks[2:4], pks[4:5]]


def test_rows_of_a_rolled_back_savepoint_are_not_handed_over(monkeypatch, django_capture_on_commit_callbacks):
    from hubsite.tasks import send_outbox_batch

    calls = []
    monkeypatch.setattr(send_outbox_batch, "apply_async", lambda args, countdown=None: calls.append(args[0]))
    theme = ThemeFactory()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        with pytest.raises(RuntimeError), transaction.atomic():
            outbox_write(kind="k", about=theme, recipient="gone@x.org", subject="S", body_text="B")
            raise RuntimeError("rolled back")
        kept = outbox_write(kind="k", about=theme, recipient="kept@x.org", subject="S", body_text="B")
    assert calls == [[kept.pk]]


def test_a_broker_outage_at_commit_leaves_the_rows_for_the_sweep(
    monkeypatch, django_capture_on_commit_callbacks
):
    from hubsite.tasks import send_outbox_batch

    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("redis is down")

    monkeypatch.setattr(send_outbox_batch, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        (row,) = write_rows("a@example.org")
    row.refresh_from_db()
    assert row.status == Status.QUEUED


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (
            smtplib.SMTPRecipientsRefused({"a@x.org": (550, b"5.1.1 No such user")}),
            ("550 5.1.1 No such user", False, False),
        ),
        (
            smtplib.SMTPRecipientsRefused({"a@x.org": (452, b"4.2.2 Mailbox full")}),
            ("452 4.2.2 Mailbox full", True, False),
        ),
        (smtplib.SMTPDataError(421, b"4.3.2 Busy"), ("421 4.3.2 Busy", True, True)),
        (
            smtplib.SMTPSenderRefused(553, b"5.7.1 Sender rejected", "hub@x.org"),
            ("553 5.7.1 Sender rejected", False, False),
        ),
        (
            smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
            ("SMTPServerDisconnected: Connection unexpectedly closed", True, True),
        ),
        (
            ConnectionResetError(104, "Connection reset by peer"),
            ("ConnectionResetError: [Errno 104] Connection reset by peer", True, True),
        ),
        (TimeoutError("timed out"), ("TimeoutError: timed out", True, True)),
        (ValueError("Invalid address 'a@'"), ("ValueError: Invalid address 'a@'", False, False)),
    ],
)
def test_delivery_errors_are_classified(exc, expected):
    error = classify_error(exc)
    assert (error.reason, error.transient, error.connection_lost) == expected


def test_retry_countdowns_grow_and_stay_under_the_visibility_timeout(settings):
    for attempts in range(1, 40):
        countdown = retry_countdown(attempts)
        assert 10 <= countdown <= settings.CELERY_MAX_COUNTDOWN < settings.CELERY_VISIBILITY_TIMEOUT
    assert max(retry_countdown(1) for _ in range(50)) <= 30
    assert min(retry_countdown(6) for _ in range(50)) >= 450


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_sending_the_same_batch_send_each_message_once(smtp_mailer, dispatched):
    rows = write_rows(*[f"r{n}@example.org" for n in range(30)])
    pks = [row.pk for row in rows]
    barrier = threading.Barrier(2)

    def worker():
        try:
            barrier.wait()
            outbox_send_batch(pks=pks)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(smtp_mailer.recipients()) == sorted(f"r{n}@example.org" for n in range(30))
    assert set(statuses(rows)) == {Status.SENT}
    assert set(OutboxMessage.objects.values_list("attempts", flat=True)) == {1}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_asking_twice_at_the_same_time_writes_one_row(monkeypatch):
    monkeypatch.setattr(services, "outbox_dispatch", lambda *, pks, countdown=None: None)
    theme = ThemeFactory()
    barrier = threading.Barrier(4)
    pks = []

    def ask():
        try:
            barrier.wait()
            with transaction.atomic():
                row = outbox_write(
                    kind="invitation", about=theme, recipient="a@x.org", subject="S", body_text="B"
                )
            pks.append(row.pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert OutboxMessage.objects.count() == 1
    assert pks == [OutboxMessage.objects.get().pk] * 4


def test_an_eager_retry_task_does_not_send_before_its_time(smtp_mailer):
    # Celery runs tasks at once in eager mode, countdown or not: the row's own due time holds it back.
    smtp_mailer.answer_next_data("451 4.3.0 Try later")
    (row,) = write_rows("a@example.org")
    outbox_send_batch(pks=[row.pk])
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.QUEUED, 1)
    assert smtp_mailer.received == []


def test_the_sweep_task_reports_what_it_did(smtp_mailer):
    from hubsite.tasks import sweep_outbox

    (row,) = write_rows("a@example.org")
    OutboxMessage.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now() - dt.timedelta(minutes=5))
    assert sweep_outbox.delay().get() == {"requeued_sending": 0, "failed_sending": 0, "redispatched": 1}
    assert smtp_mailer.recipients() == ["a@example.org"]


def test_a_message_queued_by_an_older_release_is_still_sent(smtp_mailer):
    from hubsite.tasks import send_outbox_message

    (row,) = write_rows("a@example.org")
    send_outbox_message.delay(row.pk)
    row.refresh_from_db()
    assert row.status == Status.SENT
    assert smtp_mailer.recipients() == ["a@example.org"]
