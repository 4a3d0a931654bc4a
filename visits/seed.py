"""Demo workspaces and stays for `manage.py seed_demo`. Idempotent: workspaces by name, stays by
(visitor, host). Stays go through the services, so desks, history and mail rows are real.

The stays are laid out around the day the demo is seeded: each is hosted by a hub member who works
on its themes, belongs to the host's project where there is one, and holds the visitor's demo talk
(events/seed.py) when they give one, inside the stay. Seeded again on another day, a demo stay
whose dates no longer fit is laid out again (removed and registered anew), so a visitor is never
"checked in" to a stay that ended, nor does a talk fall outside its stay.
"""

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model

from events.models import Event
from hubsite.access import acting_from_the_shell
from projects.models import Project
from researchers.models import Researcher, Theme

from . import services
from .models import Visit, Workspace

WORKSPACES = [
    # name, area, desks, desk kind, floor, visitors allowed, notes
    (
        "Open lab",
        "open_lab",
        12,
        "hot_desk",
        "Floor 2",
        True,
        "Lockers by the window; ask the reception for a key.",
    ),
    (
        "Shared office 301",
        "shared_office",
        4,
        "assigned",
        "Floor 3",
        True,
        "A desk of your own with a monitor.",
    ),
    ("Project room B", "project_room", 2, "assigned", "Floor 3", True, "For the visitors of one project."),
    ("Staff office", "shared_office", 6, "assigned", "Floor 4", False, ""),
]


@dataclass(frozen=True)
class Stay:
    visitor: str
    host: str
    days: tuple[int, int]  # first and last day, in days from today
    themes: tuple[str, ...]
    status: str  # where the stay is today: submitted, approved or checked_in
    purpose: str
    project_summary: str
    project: str | None = None
    workspace: str = ""
    talk: str = ""  # the slug of the visitor's demo talk, which falls inside the stay
    offered_seminar: str = ""  # a seminar the visitor offers, drafted once the stay is approved
    visa: tuple[str, str] | None = None  # nationality, name as in the passport


STAYS = [
    Stay(
        visitor="sarah-chen",
        host="ji-won-park",
        days=(-4, 40),
        themes=("neural-scaling-laws",),
        status="checked_in",
        project="compute-optimal-korean-llms",
        workspace="Project room B",
        talk="demo-1",
        purpose="Fit data-constrained scaling laws with the Korean language model team.",
        project_summary="We measure **how far** repeated Korean data carries, on the hub's cluster.",
    ),
    Stay(
        visitor="louis-martin",
        host="seo-yeon-kim",
        days=(-2, 9),
        themes=("multilingual-nlp",),
        status="checked_in",
        workspace="Open lab",
        talk="demo-6",
        purpose="Write Korean reasoning benchmarks with the host's group, after our evaluation project.",
        project_summary="Reasoning benchmarks written natively in Korean, not translated from English.",
    ),
    Stay(
        visitor="amelie-tremblay",
        host="ji-won-park",
        days=(12, 70),
        themes=("ai-safety", "multilingual-nlp"),
        status="approved",
        project="compute-optimal-korean-llms",
        workspace="Project room B",
        purpose="Evaluate the safety of the project's Korean language models.",
        project_summary="Red-teaming and refusal tests for Korean models, written with native speakers.",
        visa=("CA", "AMELIE TREMBLAY"),
    ),
    Stay(
        visitor="omar-al-mansoori",
        host="min-jun-lee",
        days=(30, 120),
        themes=("robotics-foundation-models",),
        status="submitted",
        project="cross-embodiment-policies",
        offered_seminar="Robot data at scale",
        purpose="Collect manipulation trajectories on the hub's robot arms for the shared dataset.",
        project_summary="A second release of the cross-embodiment trajectories, with the hub's arms.",
        visa=("AE", "OMAR AL MANSOORI"),
    ),
]


def seed_visits() -> None:
    for name, area, desks, kind, floor, allowed, notes in WORKSPACES:
        Workspace.objects.update_or_create(
            name=name,
            defaults={
                "area": area,
                "desks": desks,
                "desk_kind": kind,
                "floor": floor,
                "visitors_allowed": allowed,
                "notes": notes,
            },
        )
    # seed_demo runs on the server: the demo's staff account acts from the shell (hubsite.access).
    staff = acting_from_the_shell(get_user_model().objects.filter(is_staff=True).order_by("pk").first())
    people = {r.slug: r for r in Researcher.objects.select_related("institution")}
    themes = {t.slug: t for t in Theme.objects.all()}
    projects = {p.slug: p for p in Project.objects.all()}
    talks = {e.slug: e for e in Event.objects.filter(slug__in=[s.talk for s in STAYS if s.talk])}
    workspaces = {w.name: w for w in Workspace.objects.all()}
    today = services.hub_today()
    for stay in STAYS:
        if stay.visitor not in people or stay.host not in people:
            continue
        first_day = today + dt.timedelta(days=stay.days[0])
        last_day = today + dt.timedelta(days=stay.days[1])
        existing = Visit.objects.filter(researcher=people[stay.visitor], host=people[stay.host]).first()
        if existing is not None:
            if (existing.first_day, existing.last_day) == (first_day, last_day):
                continue
            # Laid out for another day: the demo's own row, removed with its desks and history.
            existing.delete()
        seminar = talks.get(stay.talk)
        visit = services.visit_register(
            researcher=people[stay.visitor],
            host=people[stay.host],
            first_day=first_day,
            last_day=last_day,
            purpose=stay.purpose,
            project_summary=stay.project_summary,
            project=projects.get(stay.project) if stay.project else None,
            themes=[themes[t] for t in stay.themes if t in themes],
            needs_visa_letter=stay.visa is not None,
            nationality=stay.visa[0] if stay.visa else "",
            passport_name=stay.visa[1] if stay.visa else "",
            offers_seminar=bool(seminar or stay.offered_seminar),
            seminar_title=seminar.title if seminar else stay.offered_seminar,
            seminar_event=seminar,
            today=min(first_day, today),
        )
        if stay.status == "submitted":
            continue
        services.visit_host_answer(
            token=services.visit_endorsement_token(visit), endorse=True, note="Welcome!"
        )
        visit = services.visit_approve(visit=visit, by=staff, workspace=workspaces.get(stay.workspace))
        if stay.status == "checked_in":
            services.visit_check_in(visit=visit, by=staff)
