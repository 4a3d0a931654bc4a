from celery import shared_task

from .services import visit_reminders_send


@shared_task(name="visits.send_reminders")
def send_reminders() -> int:
    """Hourly: every reminder that is due and not yet in the outbox (each is sent once)."""
    return len(visit_reminders_send())
