"""Demo workspaces and stays for `manage.py seed_demo`. Idempotent: workspaces by name, stays by
(visitor, host). Stays go through the services, so desks, history and mail rows are real.
"""

import datetime as dt

from django.contrib.auth import get_user_model

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
    ("Project room B", "project_room", 2, "assigned", "Floor 3", True, ""),
    ("Staff office", "shared_office", 6, "assigned", "Floor 4", False, ""),
]

STAYS = [
    # visitor, host, days from today (first, last), themes, final status, seminar title
    ("sarah-chen", "ji-won-park", (-4, 40), ["neural-scaling-laws"], "checked_in", "Beyond power laws"),
    ("louis-martin", "seo-yeon-kim", (-2, 9), ["multilingual-nlp"], "approved", ""),
    ("amelie-tremblay", "min-jun-lee", (12, 70), ["ai-safety"], "approved", ""),
    (
        "omar-al-mansoori",
        "min-jun-lee",
        (30, 120),
        ["robotics-foundation-models"],
        "submitted",
        "Robot data at scale",
    ),
]

VISA_LETTERS = {"amelie-tremblay": ("CA", "AMELIE TREMBLAY"), "omar-al-mansoori": ("AE", "OMAR AL MANSOORI")}


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
    staff = get_user_model().objects.filter(is_staff=True).order_by("pk").first()
    people = {r.slug: r for r in Researcher.objects.select_related("institution")}
    themes = {t.slug: t for t in Theme.objects.all()}
    today = services.hub_today()
    for visitor, host, (first, last), theme_slugs, status, seminar in STAYS:
        if visitor not in people or host not in people:
            continue
        if Visit.objects.filter(researcher=people[visitor], host=people[host]).exists():
            continue
        first_day = today + dt.timedelta(days=first)
        visit = services.visit_register(
            researcher=people[visitor],
            host=people[host],
            first_day=first_day,
            last_day=today + dt.timedelta(days=last),
            purpose="Joint work with the host's group and a seminar for the hub.",
            project_summary="We study **how far** current methods carry, on the hub's cluster.",
            themes=[themes[t] for t in theme_slugs if t in themes],
            needs_visa_letter=visitor in VISA_LETTERS,
            nationality=VISA_LETTERS.get(visitor, ("", ""))[0],
            passport_name=VISA_LETTERS.get(visitor, ("", ""))[1],
            offers_seminar=bool(seminar),
            seminar_title=seminar,
            today=min(first_day, today),
        )
        if status == "submitted":
            continue
        services.visit_host_answer(
            token=services.visit_endorsement_token(visit), endorse=True, note="Welcome!"
        )
        visit = services.visit_approve(visit=visit, by=staff)
        if status == "checked_in":
            services.visit_check_in(visit=visit, by=staff)
