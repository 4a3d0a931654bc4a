"""Every write of events' rows made by another room goes through the events services.

The test watches every way Django writes a row (save, delete, update, bulk create/update, and the
many-to-many managers, which use those) for the models of the events app, while the other rooms do
what writes seminars: the demo seed (people, seminars, projects and their seminars, stays with
offered seminars), a stay's approval with an offered seminar and a merge of two speakers. For each
write, the nearest frame of the project's own code must be in the events app.
"""

import sys

import pytest
from django.core.management import call_command
from django.db.models import Model, QuerySet

from researchers.services import researcher_merge
from tests.factories import (
    EventSpeakerFactory,
    ResearcherFactory,
    StaffFactory,
    VisitFactory,
    WorkspaceFactory,
)
from visits import services as visit_services
from visits.models import Visit

pytestmark = pytest.mark.django_db

PROJECT_APPS = {"hubsite", "researchers", "projects", "events", "visits", "reports"}


def nearest_project_module() -> str:
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        if name.partition(".")[0] in PROJECT_APPS:
            return name
        frame = frame.f_back
    return ""


@pytest.fixture
def events_writes(monkeypatch):
    writes: list[tuple[str, str, str]] = []

    def watch(owner, method):
        original = getattr(owner, method)

        def watched(self, *args, **kwargs):
            model = self.model if isinstance(self, QuerySet) else type(self)
            if model._meta.app_label == "events":
                writes.append((model._meta.label, method, nearest_project_module()))
            return original(self, *args, **kwargs)

        monkeypatch.setattr(owner, method, watched)

    for method in ("save_base", "delete"):
        watch(Model, method)
    for method in ("update", "bulk_create", "bulk_update", "delete"):
        watch(QuerySet, method)
    return writes


def test_writes_of_events_rows_by_other_rooms_all_go_through_events(events_writes):
    call_command("seed_demo")  # its stays with offered seminars make the visitor series and drafts
    staff = StaffFactory()
    WorkspaceFactory(desks=3)
    visit_services.visit_approve(
        visit=VisitFactory(status=Visit.Status.ENDORSED, offers_seminar=True, seminar_title="A talk"),
        by=staff,
    )
    keep, remove = ResearcherFactory(), ResearcherFactory()
    link = EventSpeakerFactory(researcher=keep)
    EventSpeakerFactory(researcher=remove, event=link.event, role="chair")
    EventSpeakerFactory(researcher=remove)
    researcher_merge(keep=keep, remove=remove)

    from_other_rooms = sorted(
        {write for write in events_writes if write[2] and not write[2].startswith("events.")}
    )
    assert from_other_rooms == []
    writers = {module for _label, _method, module in events_writes}
    assert {"events.services", "events.seed"} <= writers
