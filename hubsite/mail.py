"""Turning an outbox row into an e-mail, and telling a transient delivery failure from a permanent one.

The writes (claiming, marking sent or failed, scheduling retries) are in hubsite.services.
"""

import random
import smtplib
from dataclasses import dataclass
from email.message import MIMEPart

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.core.mail.backends.base import BaseEmailBackend

from .ical import calendar_method
from .models import OutboxMessage


def outbox_mailer() -> BaseEmailBackend:
    """A fresh connection object for the MAILERS entry the outbox sends through."""
    return mailers[settings.OUTBOX_MAILER]


def build_email(message: OutboxMessage) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.recipient],
        headers={"Message-ID": message.message_id, **message.headers},
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    for attachment in message.attachments:
        if attachment["content_type"].split(";")[0].strip().lower() == "text/calendar":
            email.attach(calendar_part(attachment["filename"], attachment["content"]))
        else:
            email.attach(attachment["filename"], attachment["content"], attachment["content_type"])
    return email


def calendar_part(filename: str, content: str) -> MIMEPart:
    """An .ics attachment whose Content-Type carries the file's METHOD (`text/calendar;
    charset=utf-8; method=REQUEST`), as iMIP asks, read from the file itself so the two always agree."""
    method = calendar_method(content)
    params = {"charset": "utf-8", **({"method": method} if method else {})}
    part = MIMEPart()
    # As bytes (base64), so the file keeps the CRLF line ends RFC 5545 asks for.
    part.set_content(
        content.encode("utf-8"),
        maintype="text",
        subtype="calendar",
        params=params,
        disposition="attachment",
        filename=filename,
    )
    return part


@dataclass(frozen=True)
class DeliveryError:
    reason: str
    # Worth trying again later (4xx, refused, reset, timeout) rather than failed at once (5xx).
    transient: bool
    # The SMTP session is gone, so the next message needs a new connection.
    connection_lost: bool


def _from_reply(code: int, reply: bytes | str) -> DeliveryError:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    reason = f"{code} {text}".strip()
    if 500 <= code < 600:
        return DeliveryError(reason=reason, transient=False, connection_lost=False)
    # 4xx is "try again later"; 421 also closes the session. Anything else (smtplib's -1 for a
    # garbled reply) is treated as a broken session.
    return DeliveryError(reason=reason, transient=True, connection_lost=code == 421 or not 400 <= code < 500)


def classify_error(exc: BaseException) -> DeliveryError:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        # One recipient per message, so exactly one entry: (code, server reply).
        code, reply = next(iter(exc.recipients.values()))
        return _from_reply(code, reply)
    if isinstance(exc, smtplib.SMTPResponseException):
        return _from_reply(exc.smtp_code, exc.smtp_error)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return DeliveryError(reason=f"SMTP: {exc}", transient=False, connection_lost=False)
    # SMTPServerDisconnected, and what the socket says: refused, reset, timed out, no route.
    # (smtplib's errors are OSErrors too, so this comes after them.)
    if isinstance(exc, OSError):
        return DeliveryError(reason=f"{type(exc).__name__}: {exc}", transient=True, connection_lost=True)
    # A malformed address (ValueError from the backend) or a message that cannot be encoded:
    # sending it again would fail the same way.
    return DeliveryError(reason=f"{type(exc).__name__}: {exc}", transient=False, connection_lost=False)


def retry_countdown(attempts: int) -> int:
    """Seconds to wait before attempt number `attempts + 1`: exponential, capped, with jitter.

    "Equal jitter": half the delay is certain, half random, so retries of many batches spread out
    yet none comes back at once. The cap keeps every countdown well under the broker's visibility
    timeout, after which Redis would hand the waiting task to a second worker.
    """
    ceiling = min(settings.CELERY_MAX_COUNTDOWN, settings.CELERY_VISIBILITY_TIMEOUT // 4)
    delay = min(ceiling, settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0))
    return max(10, round(delay / 2 + random.uniform(0, delay / 2)))
