"""The person's stays for "My data" (hubsite/personal_data.py).

Their own stays in full (passport name and nationality included: theirs), with the history and
extensions their stay page shows them; the stays they host only as what hosting is (the visitor's
name, the dates, the status and their own answer), never the visitor's details; what they did as
staff (status changes, extension decisions) by the stay's number; their arrivals calendar by its
date. Tokens and the endorsement link's nonce never appear.
"""

from hubsite.personal_data import Part, Section

from .models import ArrivalsFeedToken, Extension, Visit, VisitStatusChange


def _name(obj) -> str:
    return obj.name if obj is not None else ""


SECTIONS = [
    Section(
        "stays",
        Part(
            "visits.Visit",
            fields=(
                "id",
                "first_day",
                "last_day",
                "status",
                "institution_name",
                "purpose",
                "project_summary",
                "funding",
                "funding_note",
                "needs_desk",
                "needs_visa_letter",
                "nationality",
                "passport_name",
                "needs_housing_help",
                "accessibility_needs",
                "offers_seminar",
                "seminar_title",
                "seminar_abstract",
                "arrived_at",
                "departed_at",
                "created",
                "updated",
            ),
            names={
                "host": lambda visit: _name(visit.host),
                "institution": lambda visit: _name(visit.institution),
                "workspace": lambda visit: _name(visit.workspace),
                "project": lambda visit: visit.project.title if visit.project else "",
                "seminar_event": lambda visit: visit.seminar_event.title if visit.seminar_event else "",
                "themes": lambda visit: [theme.name for theme in visit.themes.all()],
            },
        ),
        lambda person: (
            Visit.objects.filter(researcher__user=person.user)
            .select_related("host", "institution", "workspace", "project", "seminar_event")
            .prefetch_related("themes")
            .order_by("pk")
        ),
    ),
    Section(
        "stay_history",
        Part(
            "visits.VisitStatusChange",
            fields=("id", "from_status", "to_status", "at", "note"),
            names={"visit": lambda change: change.visit_id},
        ),
        lambda person: VisitStatusChange.objects.filter(visit__researcher__user=person.user).order_by("pk"),
    ),
    Section(
        "extensions",
        Part(
            "visits.Extension",
            fields=("id", "new_last_day", "reason", "status", "requested_at", "decided_at", "note"),
            names={"visit": lambda extension: extension.visit_id},
        ),
        lambda person: Extension.objects.filter(visit__researcher__user=person.user).order_by("pk"),
    ),
    Section(
        "stays_hosted",
        Part(
            "visits.Visit",
            # What hosting is: whom, when, where it stands, and the host's own answer.
            fields=("id", "first_day", "last_day", "status", "host_note", "endorsement_used_at"),
            names={"researcher": lambda visit: visit.researcher.name},
        ),
        lambda person: (
            Visit.objects.filter(host__user=person.user).select_related("researcher").order_by("pk")
        ),
    ),
    Section(
        "status_changes_made",
        Part(
            "visits.VisitStatusChange",
            fields=("id", "from_status", "to_status", "at"),
            names={"visit": lambda change: change.visit_id},
        ),
        lambda person: VisitStatusChange.objects.filter(by=person.user).order_by("pk"),
    ),
    Section(
        "extensions_decided",
        Part(
            "visits.Extension",
            fields=("id", "status", "decided_at"),
            names={"visit": lambda extension: extension.visit_id},
        ),
        lambda person: Extension.objects.filter(decided_by=person.user).order_by("pk"),
    ),
    Section(
        "arrivals_calendar",
        Part("visits.ArrivalsFeedToken", fields=("id", "created")),
        lambda person: ArrivalsFeedToken.objects.filter(user=person.user).order_by("pk"),
    ),
]

WITHHELD = {
    "visits.Visit": {
        "endorsement_nonce": "the secret of the host's signed endorsement link",
        "endorsement_round": "an internal counter of endorsement links",
        "calendar_uid": "the stay's internal calendar identifier",
        "sequence": "the stay's internal calendar revision",
    },
    "visits.VisitStatusChange": {
        "by": "the account of whoever made the change",
        "by_name": "names whoever made the change (for staff, possibly their e-mail address)",
    },
    "visits.Extension": {"decided_by": "the staff account that decided"},
    "visits.ArrivalsFeedToken": {
        "user": "the person themself",
        "token": "the secret in the calendar's private address",
    },
}
