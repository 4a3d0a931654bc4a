"""Thin Celery tasks with stable names; the work is in events.services."""

from celery import shared_task

from .services import (
    event_reminders_send,
    event_update_notices_send,
    event_update_notices_send_due,
    registration_fill_all_free_seats,
)


@shared_task(name="events.registration_fill_free_seats")
def registration_fill_free_seats() -> None:
    """Seats held for guests who never confirmed are freed after 30 minutes: give them to those waiting."""
    registration_fill_all_free_seats()


@shared_task(name="events.send_event_update")
def send_event_update(event_id: int) -> int:
    """Scheduled for when the update of a moved event is due: one per person, once its time has come."""
    return event_update_notices_send(event_id=event_id)


@shared_task(name="events.send_due_event_updates")
def send_due_event_updates() -> int:
    """Every minute: the updates whose due time has come and whose own task was lost or early."""
    return event_update_notices_send_due()


@shared_task(name="events.send_reminders")
def send_reminders() -> int:
    """Every few minutes: the reminders whose time has come (24 h and 1 h before, by default)."""
    return event_reminders_send()
