from celery import shared_task
from django.utils import timezone

from .mail import build_email, outbox_claim
from .models import OutboxMessage
from .services import heartbeat_record


@shared_task(name="hubsite.heartbeat")
def heartbeat(name: str = "celery") -> None:
    heartbeat_record(name=name)


@shared_task(name="hubsite.send_outbox_message")
def send_outbox_message(pk: int) -> None:
    message = outbox_claim(pk=pk)
    if message is None:
        return
    build_email(message).send()
    OutboxMessage.objects.filter(pk=pk).update(
        status=OutboxMessage.Status.SENT, sent_at=timezone.now(), attempts=message.attempts + 1
    )
