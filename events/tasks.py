"""Thin Celery tasks with stable names; the work is in events.services."""

from celery import shared_task

from .services import event_reminders_send, event_update_notices_send, registration_fill_all_free_seats


@shared_task(name="events.registration_fill_free_seats")
def registration_fill_free_seats() -> None:
    """Seats held for guests who never confirmed are freed after 30 minutes: give them to those waiting."""
    registration_fill_all_free_seats()


@shared_task(name="events.send_event_update")
def send_event_update(event_id: int) -> int:
    """Scheduled a few minutes after a published event moved: one update per registered person."""
    return event_update_notices_send(event_id=event_id)


@shared_task(name="events.send_reminders")
def send_reminders() -> int:
    """Every few minutes: the reminders whose time has come (24 h and 1 h before, by default)."""
    return event_reminders_send()
