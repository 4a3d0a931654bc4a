"""Turning an outbox row into an e-mail and sending it."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.utils import timezone

from .models import OutboxMessage


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
        email.attach(attachment["filename"], attachment["content"], attachment["content_type"])
    return email


def outbox_claim(*, pk: int) -> OutboxMessage | None:
    """Move a queued row to sending; None when another worker has it or it is done."""
    claimed = OutboxMessage.objects.filter(Q(pk=pk) & Q(status=OutboxMessage.Status.QUEUED)).update(
        status=OutboxMessage.Status.SENDING, claimed_at=timezone.now()
    )
    return OutboxMessage.objects.get(pk=pk) if claimed else None
