# A room holds one event at a time: on PostgreSQL the database refuses an overlap itself.
#
# 1. `btree_gist` lets one GiST index compare the room (equality on a bigint) and the time span
#    (overlap of a tstzrange). Django's BtreeGistExtension does nothing on other databases. The
#    extension is "trusted" since PostgreSQL 13, so the database's owner may create it.
# 2. Rows written before this rule held in the database (a visitor's seminar drafted straight into a
#    booked room) would stop the constraint from being added: a draft that overlaps another event in
#    its room gives the room up (staff choose one before publishing, as for any draft without a
#    room). Published events that overlap cannot be changed behind their attendees' backs: the
#    migration stops and names them, so staff move or cancel one first.
# 3. The constraint itself (hubsite.constraints.PostgresExclusionConstraint): no SQL on SQLite.

import django.contrib.postgres.fields.ranges
from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations, models
from django.db.models import Case, Exists, OuterRef, Value, When

import hubsite.constraints

HOLDS_ROOM = models.Q(("room__isnull", False), models.Q(("status", "cancelled"), _negated=True))


def release_rooms_of_clashing_drafts(apps, schema_editor):
    Event = apps.get_model("events", "Event")
    holding = Event.objects.filter(HOLDS_ROOM)
    other = holding.filter(
        room=OuterRef("room"), start__lt=OuterRef("end"), end__gt=OuterRef("start")
    ).exclude(pk=OuterRef("pk"))
    clashing = holding.filter(Exists(other)).order_by(
        # Published events keep their room first, then the drafts made earliest.
        Case(When(status="published", then=Value(0)), default=Value(1)),
        "created",
        "pk",
    )
    kept: dict[int, list] = {}
    released, stuck = [], []
    for event in clashing.select_related("room"):
        booked = kept.setdefault(event.room_id, [])
        in_the_way = next((b for b in booked if b.start < event.end and b.end > event.start), None)
        if in_the_way is None:
            booked.append(event)
        elif event.status == "draft":
            released.append(event.pk)
        else:
            stuck.append((event, in_the_way))
    if stuck:
        lines = [
            f"“{event.title}” ({event.slug}) and “{other.title}” ({other.slug}) are both in "
            f"{event.room.name} at overlapping times ({event.start.isoformat()} and {other.start.isoformat()})"
            for event, other in stuck
        ]
        raise RuntimeError(
            "A room can hold one event at a time, and these published events overlap: move or cancel "
            "one of each pair in the admin, then migrate again.\n" + "\n".join(lines)
        )
    Event.objects.filter(pk__in=released).update(room=None)


class Migration(migrations.Migration):

    dependencies = [
        ("events", "0003_event_update_notice_due"),
    ]

    operations = [
        BtreeGistExtension(),
        migrations.RunPython(release_rooms_of_clashing_drafts, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="event",
            constraint=hubsite.constraints.PostgresExclusionConstraint(
                condition=HOLDS_ROOM,
                expressions=[
                    (
                        hubsite.constraints.TsTzRange(
                            "start", "end", django.contrib.postgres.fields.ranges.RangeBoundary()
                        ),
                        "&&",
                    ),
                    ("room", "="),
                ],
                name="event_room_no_overlap",
            ),
        ),
    ]
