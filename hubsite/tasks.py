from celery import shared_task

from .services import heartbeat_record


@shared_task(name="hubsite.heartbeat")
def heartbeat(name: str = "celery") -> None:
    heartbeat_record(name=name)
