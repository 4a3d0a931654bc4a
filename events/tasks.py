from celery import shared_task

from .services import registration_fill_all_free_seats


@shared_task(name="events.registration_fill_free_seats")
def registration_fill_free_seats() -> None:
    """Seats held for guests who never confirmed are freed after 30 minutes: give them to those waiting."""
    registration_fill_all_free_seats()
