"""Stays as iCalendar: all-day VEVENTs (DTEND is the day after the last day, as RFC 5545 wants),
built on hubsite/ical.py's building blocks (PRODID, host, text cleaning, calendars)."""

import datetime as dt

from django.conf import settings
from django.db.models import Count, Max
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar
from icalendar import Event as VEvent

from events.feeds import PersonalFeed
from hubsite import ical

from .models import Visit

FEED_CANCELLED = (Visit.Status.WITHDRAWN, Visit.Status.CANCELLED)


def stay_uid(visit: Visit, suffix: str = "") -> str:
    return f"visit-{visit.calendar_uid}{suffix}@{ical.site_host()}"


def _clean(text: str) -> str:
    return ical.clean_text(text)


def stay_vevent(visit: Visit, *, as_host: bool = False) -> VEvent:
    """The stay as one all-day event, from the first day to the day after the last day."""
    event = VEvent()
    event.add("uid", stay_uid(visit))
    event.add("dtstamp", visit.updated or timezone.now())
    event.add("dtstart", visit.first_day)
    event.add("dtend", visit.last_day + dt.timedelta(days=1))
    event.add("sequence", visit.sequence)
    summary = f"Visitor at the hub: {visit.researcher.name}" if as_host else f"Stay at {settings.HUB_NAME}"
    event.add("summary", _clean(summary))
    lines = [f"Visitor: {visit.researcher.name}", f"Host: {visit.host.name}"]
    if visit.workspace_id:
        floor = f" ({visit.workspace.floor})" if visit.workspace.floor else ""
        lines.append(f"Workspace: {visit.workspace.name}{floor}")
    lines.append(settings.SITE_URL + reverse("visits:detail", args=[visit.pk]))
    event.add("description", _clean("\n".join(lines)))
    event.add("location", settings.HUB_NAME)
    event.add("transp", "TRANSPARENT")
    event.add("status", "CANCELLED" if visit.status in FEED_CANCELLED else "CONFIRMED")
    return event


def _calendar(name: str, *, subscription: bool = True) -> Calendar:
    return ical.new_calendar(name=name, method=None, subscription=subscription)


def stay_ics(visit: Visit, *, as_host: bool = False) -> str:
    """A whole calendar file with this one stay, for e-mail attachments and downloads."""
    calendar = ical.new_calendar(name=f"{settings.HUB_NAME}: stay", method="PUBLISH", subscription=False)
    calendar.add_component(stay_vevent(visit, as_host=as_host))
    return calendar.to_ical().decode()


def stay_vevents_for_user(user) -> list[VEvent]:
    """A person's own stays and the approved visitors they host, for their personal feed.

    Withdrawn or cancelled stays stay in as STATUS:CANCELLED, so calendars remove them.
    """
    visits = Visit.objects.in_calendar_of(user).select_related("researcher", "host", "workspace")
    return [stay_vevent(v, as_host=v.researcher.user_id != user.pk) for v in visits]


def arrivals_ics(visits) -> bytes:
    """Staff calendar: one all-day event on each arrival day and each departure day."""
    calendar = _calendar(f"{settings.HUB_NAME}: arrivals and departures")
    for visit in visits:
        institution = f" ({visit.institution_english})" if visit.institution_english else ""
        workspace = f" · {visit.workspace.name}" if visit.workspace_id else ""
        for suffix, label, day in (
            ("-arrival", "Arrival", visit.first_day),
            ("-departure", "Departure", visit.last_day),
        ):
            event = VEvent()
            event.add("uid", stay_uid(visit, suffix))
            event.add("dtstamp", visit.updated)
            event.add("dtstart", day)
            event.add("dtend", day + dt.timedelta(days=1))
            event.add("sequence", visit.sequence)
            event.add("summary", _clean(f"{label}: {visit.researcher.name}{institution}{workspace}"))
            event.add("description", _clean(f"Host: {visit.host.name}"))
            event.add("transp", "TRANSPARENT")
            event.add("status", "CANCELLED" if visit.status in FEED_CANCELLED else "CONFIRMED")
            calendar.add_component(event)
    return calendar.to_ical()


class PersonalFeedWithStays(PersonalFeed):
    """The personal calendar (settings.PERSONAL_CALENDAR_FEED): seminars, plus the person's own
    stays and the approved visitors they host."""

    def extra_version_of(self, user) -> tuple:
        stays = Visit.objects.in_calendar_of(user).aggregate(count=Count("pk"), last=Max("updated"))
        return (stays["count"], stays["last"])

    def extra_vevents(self) -> list[tuple[bytes, str | None, dt.datetime]]:
        return [
            (
                vevent.to_ical(),
                None,
                dt.datetime.combine(vevent.decoded("dtstart"), dt.time(), tzinfo=dt.UTC),
            )
            for vevent in stay_vevents_for_user(self.user)
        ]
