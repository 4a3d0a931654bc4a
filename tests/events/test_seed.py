import pytest
from django.core.management import call_command
from django.db.models import Exists, OuterRef

from events.models import Event

pytestmark = pytest.mark.django_db


def test_seed_demo_events_adds_n_published_events_idempotently_without_room_clashes():
    call_command("seed_demo", events=300)
    bulk = Event.objects.filter(slug__startswith="demo-bulk-")
    assert bulk.count() == 300
    call_command("seed_demo", events=300)
    assert bulk.count() == 300
    assert bulk.filter(status=Event.Status.CANCELLED).exclude(cancellation_reason="").count() == 8
    assert bulk.filter(status=Event.Status.DRAFT).count() == 0
    clash = (
        Event.objects.occupying_rooms()
        .filter(room=OuterRef("room"), start__lt=OuterRef("end"), end__gt=OuterRef("start"))
        .exclude(pk=OuterRef("pk"))
    )
    assert Event.objects.occupying_rooms().filter(Exists(clash)).count() == 0
    assert bulk.filter(series__isnull=False).values("series").distinct().count() == 3
    assert bulk.filter(speaker_links__isnull=True).count() == 0
