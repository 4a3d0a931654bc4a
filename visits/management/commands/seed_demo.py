"""`manage.py seed_demo`: the demo data a newcomer sees. Safe to run again (idempotent).

It lives in the top app (visits) because it seeds every app below it.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from events.seed import seed_bulk_events, seed_project_seminars, seed_seminars
from projects.seed import seed_projects
from researchers.seed import DEMO_STAFF_EMAIL, DEMO_STAFF_PASSWORD, seed_people
from visits.seed import seed_visits


class Command(BaseCommand):
    help = "Load demo themes, partners, researchers, rooms, series and seminars (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--events", type=int, default=0, metavar="N", help="Also add N published demo events (bulk)."
        )

    def handle(self, *args, **options):
        with transaction.atomic():
            seed_people()
            seed_seminars()
            seed_projects()
            seed_project_seminars()
            seed_visits()
            if options["events"]:
                created, refused = seed_bulk_events(options["events"])
                self.stdout.write(f"Bulk events: {created} added, {refused} skipped for a room clash.")
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready. Staff sign-in: {DEMO_STAFF_EMAIL} / {DEMO_STAFF_PASSWORD}")
        )
