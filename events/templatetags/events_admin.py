"""The admin index's seminar agenda: the next 14 days, and drafts starting within 7 days still TBA."""

import datetime as dt
from urllib.parse import urlencode

from django import template
from django.db.models import Exists, OuterRef
from django.utils import timezone

from events.models import Event, EventSpeaker

register = template.Library()
AGENDA_ROWS = 12


@register.simple_tag
def events_admin_agenda() -> dict:
    now = timezone.now()
    has_speaker = Exists(EventSpeaker.objects.filter(event=OuterRef("pk")))
    horizon = now + dt.timedelta(days=14)
    next_14_days = list(
        Event.objects.exclude(status=Event.Status.DRAFT)
        .filter(end__gte=now, start__lt=horizon)
        .select_related("room", "series")
        .order_by("start")[: AGENDA_ROWS + 1]
    )
    return {
        "next_14_days": next_14_days[:AGENDA_ROWS],
        "more_in_14_days": len(next_14_days) > AGENDA_ROWS,
        "changelist_query": urlencode(
            {
                "status__in": "published,cancelled",
                "end__gte": now.isoformat(timespec="seconds"),
                "start__lt": horizon.isoformat(timespec="seconds"),
            }
        ),
        # Drafts about to happen with nobody on the programme yet (TBA ticked or not).
        "drafts_tba": list(
            Event.objects.filter(
                status=Event.Status.DRAFT, start__gte=now, start__lt=now + dt.timedelta(days=7)
            )
            .exclude(has_speaker)
            .select_related("room")
            .order_by("start")
        ),
    }
