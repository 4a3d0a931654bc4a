"""Thin Celery tasks with stable names; the work is in hubsite.services."""

from celery import shared_task

from .services import heartbeat_record, outbox_send_batch, outbox_sweep


@shared_task(name="hubsite.heartbeat")
def heartbeat(name: str = "celery") -> None:
    heartbeat_record(name=name)


@shared_task(name="hubsite.send_outbox_batch")
def send_outbox_batch(pks: list[int]) -> dict:
    result = outbox_send_batch(pks=pks)
    return {"sent": len(result.sent), "failed": len(result.failed), "retrying": len(result.retrying)}


@shared_task(name="hubsite.send_outbox_message")
def send_outbox_message(pk: int) -> None:
    # Kept so that messages queued by an older release are still delivered.
    outbox_send_batch(pks=[pk])


@shared_task(name="hubsite.sweep_outbox")
def sweep_outbox() -> dict:
    result = outbox_sweep()
    return {
        "requeued_sending": result.requeued_sending,
        "failed_sending": result.failed_sending,
        "redispatched": result.redispatched,
    }
