import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.template.exceptions import TemplateDoesNotExist
from django.template.loader import get_template, render_to_string
from django.utils import timezone, translation

from .context_processors import hub as hub_context
from .mail import build_email, classify_error, outbox_mailer, retry_countdown
from .models import Heartbeat, OutboxMessage

logger = logging.getLogger(__name__)
Status = OutboxMessage.Status
# The template engine (settings.TEMPLATES) for plain-text mail and subjects: autoescape off.
TEXT_TEMPLATES = "text"


def heartbeat_record(*, name: str) -> Heartbeat:
    """Record that `name` is alive now (an upsert, so running it twice is harmless)."""
    heartbeat, _ = Heartbeat.objects.update_or_create(name=name, defaults={"last_seen": timezone.now()})
    return heartbeat


# --- Outbox: writing rows ----------------------------------------------------------------


def outbox_enqueue(
    *,
    kind: str,
    about: models.Model,
    recipient: str,
    template: str,
    context: dict,
    revision: int = 0,
    language: str = "en",
    attachments: Iterable[dict] = (),
    headers: dict | None = None,
    recipient_name: str = "",
) -> OutboxMessage:
    """Write one outgoing message as a row and send it after the surrounding transaction commits.

    `template` names `templates/email/<template>.subject.txt`, `.txt` and (optionally) `.html`,
    rendered now in `language`: the subject and `.txt` by the "text" engine, never HTML-escaped,
    the `.html` by the page engine, escaped. `attachments` are dicts with `filename`, `content_type` and
    `content` (text, e.g. an iCalendar file). Asking again for the same (kind, about, recipient,
    revision) returns the existing row and sends nothing more.
    """
    recipient = recipient.strip().lower()
    existing = OutboxMessage.objects.filter(**_key(kind, about, recipient, revision)).first()
    if existing is not None:
        return existing
    with translation.override(language):
        # What every page gets from the context processor, so mail templates can use it too.
        context = {**hub_context(None), **context, "recipient": recipient, "language": language}
        # Subject and text part through the text engine (no HTML escaping), the HTML part escaped.
        subject = render_to_string(f"email/{template}.subject.txt", context, using=TEXT_TEMPLATES)
        body_text = render_to_string(f"email/{template}.txt", context, using=TEXT_TEMPLATES)
        try:
            body_html = get_template(f"email/{template}.html").render(context)
        except TemplateDoesNotExist:
            body_html = ""
    return outbox_write(
        kind=kind,
        about=about,
        recipient=recipient,
        revision=revision,
        language=language,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        attachments=attachments,
        headers=headers,
        recipient_name=recipient_name,
    )


def outbox_write(
    *,
    kind: str,
    about: models.Model,
    recipient: str,
    subject: str,
    body_text: str,
    body_html: str = "",
    revision: int = 0,
    language: str = "en",
    attachments: Iterable[dict] = (),
    headers: dict | None = None,
    recipient_name: str = "",
) -> OutboxMessage:
    """Write a message rendered elsewhere (allauth renders its own); same contract as outbox_enqueue."""
    recipient = recipient.strip().lower()
    key = _key(kind, about, recipient, revision)
    try:
        with transaction.atomic():
            message = OutboxMessage.objects.create(
                **key,
                recipient_name=" ".join(recipient_name.split())[:200],
                language=language,
                subject=" ".join(subject.split())[:300],
                body_text=body_text,
                body_html=body_html,
                attachments=list(attachments),
                headers=headers or {},
            )
    except IntegrityError:
        # Another transaction wrote the same message first: that one is the message.
        return OutboxMessage.objects.get(**key)
    _dispatch_after_commit(message.pk)
    return message


def _key(kind: str, about: models.Model, recipient: str, revision: int) -> dict:
    return {
        "kind": kind,
        "content_type": ContentType.objects.get_for_model(about),
        "object_id": about.pk,
        "recipient": recipient,
        "revision": revision,
    }


class _PendingDispatch:
    """The rows one transaction wrote, handed to Celery in a few batch tasks once it commits."""

    def __init__(self):
        self.pks: list[int] = []
        self.fired = False

    def __call__(self):
        self.fired = True
        outbox_dispatch(pks=self.pks)


def _dispatch_after_commit(pk: int) -> None:
    connection = transaction.get_connection()
    # Outside any transaction of its own (a Django TestCase's wrapping transaction does not count:
    # in production the same code runs in autocommit), on_commit runs at once, as Django does.
    own_blocks = [b for b in connection.atomic_blocks if not getattr(b, "_from_testcase", False)]
    if not own_blocks:
        _safe_dispatch([pk])
        return
    pending = getattr(connection, "_outbox_pending", None)
    savepoints = set(connection.savepoint_ids)
    # Join the collector of an enclosing block; a rolled-back savepoint took its callback with it,
    # and one registered in a sibling savepoint belongs to other work.
    registered = pending is not None and any(
        func is pending and sids <= savepoints for sids, func, _robust in connection.run_on_commit
    )
    if registered and not pending.fired:
        pending.pks.append(pk)
        return
    pending = _PendingDispatch()
    pending.pks.append(pk)  # before on_commit, which runs the callback at once outside a transaction
    connection._outbox_pending = pending
    transaction.on_commit(pending, robust=True)


def _safe_dispatch(pks: list[int], countdown: int | None = None) -> None:
    try:
        outbox_dispatch(pks=pks, countdown=countdown)
    except Exception:  # the broker is down; the rows are safe and the sweep sends them
        logger.exception("Could not hand outbox rows %s to Celery; the sweep will.", pks)


def outbox_dispatch(*, pks: list[int], countdown: int | None = None) -> None:
    """Hand rows to Celery, OUTBOX_BATCH_SIZE to a task (one SMTP connection each)."""
    from .tasks import send_outbox_batch

    size = settings.OUTBOX_BATCH_SIZE
    for start in range(0, len(pks), size):
        send_outbox_batch.apply_async(args=[pks[start : start + size]], countdown=countdown)


# --- Outbox: delivering ------------------------------------------------------------------

# A retry task may start a little before the time written in its rows (clocks differ by a little).
EARLY_TOLERANCE = timedelta(seconds=5)


@dataclass
class BatchResult:
    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    skipped: int = 0


def outbox_send_batch(*, pks: list[int]) -> BatchResult:
    """Send the due, queued rows among `pks` over one SMTP connection.

    Each row is claimed just before it is sent (queued -> sending, a conditional update), so a row
    is sent by one worker only, and a worker killed mid-batch leaves at most the message it was
    sending in "sending" (re-queued by the sweep after OUTBOX_STUCK_SENDING_SECONDS); the rest are
    still queued. A 5xx reply fails that row at once with the reply; a transient failure (4xx,
    refused, reset, timeout) queues it again with backoff, up to OUTBOX_MAX_ATTEMPTS attempts.
    """
    result = BatchResult()
    due = list(
        OutboxMessage.objects.filter(
            pk__in=pks, status=Status.QUEUED, next_attempt_at__lte=timezone.now() + EARLY_TOLERANCE
        ).order_by("pk")
    )
    result.skipped = len(set(pks)) - len(due)
    retry: dict[int, tuple[int, str]] = {}  # claimed rows that failed transiently: pk -> (attempts, reason)
    unclaimed: list[OutboxMessage] = []  # rows left unattempted because the server is unreachable
    mailer = outbox_mailer()
    connected = False
    sent_on_connection = 0
    try:
        for index, message in enumerate(due):
            if not _claim(message):
                result.skipped += 1
                continue
            if not connected:
                try:
                    mailer.open()
                except Exception as exc:  # noqa: BLE001 - every delivery failure is classified
                    # Cannot reach (or log in to) the server: this row and the rest wait, each counting
                    # an attempt. Even a 5xx here (bad credentials) is about the server, not the message.
                    _close_quietly(mailer)
                    reason = classify_error(exc).reason
                    retry[message.pk] = (message.attempts, reason)
                    unclaimed = due[index + 1 :]
                    break
                connected, sent_on_connection = True, 0
            try:
                mailer.send_messages([build_email(message)])
            except Exception as exc:  # noqa: BLE001 - every delivery failure is classified
                error = classify_error(exc)
                if not error.transient:
                    _mark_failed(message, error.reason)
                    result.failed.append(message.pk)
                    continue
                retry[message.pk] = (message.attempts, error.reason)
                if error.connection_lost:
                    _close_quietly(mailer)
                    connected = False
                    if sent_on_connection == 0:
                        # Not a per-connection limit but a server in trouble: the rest wait too.
                        reason = error.reason
                        unclaimed = due[index + 1 :]
                        break
                continue
            _mark_sent(message)
            sent_on_connection += 1
            result.sent.append(message.pk)
    finally:
        if connected:
            _close_quietly(mailer)
    if unclaimed:
        retry.update(_count_attempt(unclaimed, reason))
    _schedule_retries(retry, result)
    return result


def _claim(message: OutboxMessage) -> bool:
    """queued -> sending, only if nobody changed the row since it was read."""
    now = timezone.now()
    claimed = OutboxMessage.objects.filter(
        pk=message.pk, status=Status.QUEUED, attempts=message.attempts
    ).update(status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if claimed:
        message.status, message.claimed_at, message.attempts = Status.SENDING, now, message.attempts + 1
    return bool(claimed)


def _mark_sent(message: OutboxMessage) -> None:
    # Whatever happened to the row meanwhile (the sweep took it back after a very slow send),
    # the message went out: say so, so nobody sends it again. `last_error` stays as the history of
    # an earlier attempt (the admin shows it as such on a sent message: it may explain a duplicate).
    OutboxMessage.objects.filter(pk=message.pk).exclude(status=Status.SENT).update(
        status=Status.SENT, sent_at=timezone.now()
    )


def _mark_failed(message: OutboxMessage, reason: str) -> None:
    OutboxMessage.objects.filter(pk=message.pk, status=Status.SENDING).update(
        status=Status.FAILED, failed_at=timezone.now(), last_error=reason
    )


def _gave_up(reason: str) -> str:
    attempts = settings.OUTBOX_MAX_ATTEMPTS
    return f"Gave up after {attempts} attempt{'' if attempts == 1 else 's'}. Last error: {reason}"


def _count_attempt(messages: list[OutboxMessage], reason: str) -> dict[int, tuple[int, str]]:
    """Claim the rows the batch could not try (the server is unreachable), so each counts an attempt.

    One conditional claim per row, as for sending: a row another worker holds is not touched."""
    return {m.pk: (m.attempts, reason) for m in messages if _claim(m)}


def _schedule_retries(retry: dict[int, tuple[int, str]], result: BatchResult) -> None:
    """Rows that failed transiently go back to queued, all due together, under one retry task."""
    if not retry:
        return
    now = timezone.now()
    countdown = retry_countdown(max(attempts for attempts, _ in retry.values()))
    retrying = []
    for pk, (attempts, reason) in sorted(retry.items()):
        mine = OutboxMessage.objects.filter(pk=pk, status=Status.SENDING)
        if attempts >= settings.OUTBOX_MAX_ATTEMPTS:
            mine.update(status=Status.FAILED, failed_at=now, last_error=_gave_up(reason))
            result.failed.append(pk)
        else:
            mine.update(
                status=Status.QUEUED, next_attempt_at=now + timedelta(seconds=countdown), last_error=reason
            )
            retrying.append(pk)
    result.retrying.extend(retrying)
    if retrying:
        _safe_dispatch(retrying, countdown=countdown)


def _close_quietly(mailer) -> None:
    try:
        mailer.close()
    except Exception:  # a QUIT the server no longer answers changes nothing
        logger.info("Closing the SMTP connection failed", exc_info=True)


@dataclass
class SweepResult:
    requeued_sending: int = 0
    failed_sending: int = 0
    redispatched: int = 0


def outbox_sweep(*, limit: int = 5000) -> SweepResult:
    """Pick up what a killed worker, a lost broker message or a Redis restart left behind.

    Rows in "sending" for longer than OUTBOX_STUCK_SENDING_SECONDS go back to queued (or fail, if
    that was their last attempt); queued rows due for longer than OUTBOX_DISPATCH_GRACE_SECONDS
    (their task never ran) are handed to Celery again. Running it twice, or on two beat schedulers
    at once, is harmless: a row is only ever sent by whoever claims it.
    """
    result = SweepResult()
    now = timezone.now()
    stuck = OutboxMessage.objects.filter(
        status=Status.SENDING, claimed_at__lt=now - timedelta(seconds=settings.OUTBOX_STUCK_SENDING_SECONDS)
    )
    reason = "The worker stopped while sending (claimed at {}); the message may have gone out once."
    requeued = []
    for pk, attempts, claimed_at in stuck.values_list("pk", "attempts", "claimed_at")[:limit]:
        row = OutboxMessage.objects.filter(pk=pk, status=Status.SENDING, claimed_at=claimed_at)
        error = reason.format(claimed_at.isoformat(timespec="seconds"))
        if attempts >= settings.OUTBOX_MAX_ATTEMPTS:
            result.failed_sending += row.update(
                status=Status.FAILED, failed_at=now, last_error=_gave_up(error)
            )
        elif row.update(status=Status.QUEUED, next_attempt_at=now, last_error=error):
            requeued.append(pk)
    result.requeued_sending = len(requeued)
    overdue = OutboxMessage.objects.filter(
        status=Status.QUEUED,
        next_attempt_at__lt=now - timedelta(seconds=settings.OUTBOX_DISPATCH_GRACE_SECONDS),
    )
    pks = sorted(
        set(overdue.order_by("next_attempt_at").values_list("pk", flat=True)[:limit]) | set(requeued)
    )
    if pks:
        # Due "now" again, so the next sweep leaves them to the tasks dispatched here for a while.
        OutboxMessage.objects.filter(pk__in=pks, status=Status.QUEUED).update(next_attempt_at=now)
        _safe_dispatch(pks)
    result.redispatched = len(pks)
    return result


# --- Outbox: staff actions and reads -----------------------------------------------------


def outbox_retry(*, pks: Iterable[int]) -> int:
    """Queue failed rows again with a fresh set of attempts (the admin's retry action)."""
    with transaction.atomic():
        failed = OutboxMessage.objects.select_for_update().filter(pk__in=list(pks), status=Status.FAILED)
        retried = list(failed.values_list("pk", flat=True))
        OutboxMessage.objects.filter(pk__in=retried).update(
            status=Status.QUEUED, attempts=0, next_attempt_at=timezone.now(), failed_at=None
        )
        for pk in retried:
            _dispatch_after_commit(pk)
    return len(retried)


def outbox_counts_for(obj: models.Model) -> dict[str, int]:
    """Delivery counts of the mail about `obj` (e.g. an event), by status, every status present."""
    return OutboxMessage.objects.about(obj).counts_by_status()
