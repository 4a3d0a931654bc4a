"""The person's seminars for "My data" (hubsite/personal_data.py): registrations (signed in, or as
a guest with an address they have verified), series subscriptions, their private calendar, talks
and series they organise. Events and series appear by their title, tokens never.
"""

from django.db.models import Q

from hubsite.personal_data import Part, Section

from .models import EventSpeaker, PersonalCalendar, Registration, Series, SeriesSubscription

SeriesOrganisers = Series.organisers.through


def event_identity(event) -> dict:
    return {"title": event.title, "slug": event.slug, "start": event.start}


def _registrations(person):
    # Made signed in, or as a guest with one of the addresses the person has verified.
    guest = Q(pk__in=person.with_address(Registration.objects.all()).values("pk"))
    return Registration.objects.filter(Q(user=person.user) | guest).select_related("event").order_by("pk")


SECTIONS = [
    Section(
        "registrations",
        Part(
            "events.Registration",
            fields=(
                "id",
                "name",
                "email",
                "attendance",
                "status",
                "language",
                "hold_expires",
                "queued_at",
                "confirmed_at",
                "promoted_at",
                "cancelled_at",
                "checked_in_at",
                "created",
                "updated",
            ),
            names={"event": lambda row: event_identity(row.event)},
        ),
        _registrations,
    ),
    Section(
        "series_subscriptions",
        Part(
            "events.SeriesSubscription",
            fields=(
                "id",
                "email",
                "language",
                "requested_at",
                "confirmations_sent",
                "confirmed_at",
                "unsubscribed_at",
            ),
            names={"series": lambda row: row.series.title},
        ),
        lambda person: person.with_address(SeriesSubscription.objects.select_related("series")).order_by(
            "pk"
        ),
    ),
    Section(
        "personal_calendar",
        Part("events.PersonalCalendar", fields=("id", "created", "replaced_at")),
        lambda person: PersonalCalendar.objects.filter(user=person.user).order_by("pk"),
    ),
    Section(
        "talks",
        Part(
            "events.EventSpeaker",
            fields=("id", "role", "order"),
            names={"event": lambda row: event_identity(row.event)},
        ),
        lambda person: (
            EventSpeaker.objects.filter(researcher__user=person.user).select_related("event").order_by("pk")
        ),
    ),
    Section(
        "series_organised",
        Part("events.Series_organisers", names={"series": lambda row: row.series.title}),
        lambda person: (
            SeriesOrganisers.objects.filter(researcher__user=person.user)
            .select_related("series")
            .order_by("pk")
        ),
    ),
]

SELF = "the person themself"

WITHHELD = {
    "events.Registration": {"user": SELF},
    "events.SeriesSubscription": {"token": "the secret of the confirmation and unsubscribe links"},
    "events.PersonalCalendar": {"user": SELF, "token": "the secret in the calendar's private address"},
    "events.EventSpeaker": {"researcher": SELF},
    "events.Series_organisers": {"id": "the number of a link row", "researcher": SELF},
}
