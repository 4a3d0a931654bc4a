"""'My data' (/profile/my-data.json) holds all of the person's own data and nothing of anyone else's.

One person with every kind of relation the hub has (account, addresses, ORCID, authenticator,
groups, admin actions, researcher record, themes, contact of a partner, registrations signed in
and as a guest, series subscriptions, private calendar, talks, series organised, projects led and
joined, stays as visitor with history and extensions, stays hosted and endorsed, staff decisions
on other stays, arrivals calendar, mail addressed to them), surrounded by other people's rows.
Then: every own row is there; every model with a person or an address is exported by some room,
every field of it shown or withheld with a reason; no withheld value (tokens, nonces, keys) and no
value of a row that is not the person's appears.
"""

import datetime as dt
import json

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from allauth.socialaccount.models import SocialAccount
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from events.services import personal_calendar_get, series_subscription_request
from hubsite.personal_data import Person, contributors
from researchers.models import Researcher
from tests.factories import (
    EventFactory,
    EventSpeakerFactory,
    InstitutionFactory,
    ProjectFactory,
    ProjectMemberFactory,
    RegistrationFactory,
    ResearcherFactory,
    SeriesFactory,
    SeriesSubscriptionFactory,
    StaffFactory,
    ThemeFactory,
    UserFactory,
    VisitFactory,
)
from visits import services as visit_services
from visits.models import ArrivalsFeedToken, Extension, Visit, VisitStatusChange

pytestmark = pytest.mark.django_db
User = get_user_model()


# --- the walk: which models hold people, and how each is exported ------------------------------


def person_models() -> set[str]:
    """Every model (link tables included) with a foreign key to a person or an e-mail field."""
    found = set()
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.concrete_fields:
            points_at_person = field.is_relation and field.related_model in (User, Researcher)
            if points_at_person or isinstance(field, models.EmailField):
                found.add(model._meta.label)
    return found


def sections():
    return [(module, section) for module in contributors() for section in module.SECTIONS]


def withheld() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    for module in contributors():
        for label, fields in module.WITHHELD.items():
            merged.setdefault(label, {}).update(fields)
    return merged


def test_every_model_with_a_person_or_an_address_is_exported_by_the_room_that_owns_it():
    exported = {section.part.model for _module, section in sections()}
    assert sorted(person_models() - exported) == []
    for module, section in sections():
        model = apps.get_model(section.part.model)
        # A room exports its own models (and researchers the accounts'): no room reaches upwards.
        owner = module.__name__.split(".")[0]
        assert model._meta.app_label == owner or owner == "researchers", (owner, section.part.model)


def test_every_field_of_an_exported_model_is_shown_or_withheld_with_a_reason():
    shown: dict[str, set[str]] = {}
    for _module, section in sections():
        shown.setdefault(section.part.model, set()).update(section.part.fields, section.part.names)
    reasons = withheld()
    problems = []
    for label, names in sorted(shown.items()):
        model = apps.get_model(label)
        concrete = {field.name for field in model._meta.concrete_fields}
        m2m = {field.name for field in model._meta.many_to_many}
        hidden = set(reasons.get(label, {}))
        if unknown := (names | hidden) - concrete - m2m:
            problems.append(f"{label}: no such field {sorted(unknown)}")
        if unclassified := concrete - names - hidden:
            problems.append(f"{label}: neither shown nor withheld {sorted(unclassified)}")
        if both := names & hidden:
            problems.append(f"{label}: shown and withheld {sorted(both)}")
        if empty := [name for name, why in reasons.get(label, {}).items() if not why.strip()]:
            problems.append(f"{label}: withheld without a reason {empty}")
    assert sorted(set(reasons) - set(shown)) == []
    assert problems == []


# --- one person with every relation, among other people ------------------------------------


@pytest.fixture
def world(db):
    """(person's user, {what: expected ids}) with other people's rows all around."""
    user = StaffFactory(username="pat-person", email="pat@example.org", totp=False, first_name="Pat")
    EmailAddress.objects.create(user=user, email="Pat.Alt@example.org", verified=True, primary=False)
    EmailAddress.objects.create(user=user, email="pat.unproven@example.org", verified=False, primary=False)
    TOTP.activate(user, generate_totp_secret())
    RecoveryCodes.activate(user)
    SocialAccount.objects.create(
        user=user, provider="orcid", uid="0000-0002-1825-0097", extra_data={"k": "v"}
    )
    user.groups.add(Group.objects.create(name="Desk"))
    user.user_permissions.add(Permission.objects.get(codename="view_visit"))
    theme = ThemeFactory(name="Robotics")
    me = ResearcherFactory(user=user, email="pat@example.org", name="Pat Person", is_hub_member=True)
    me.themes.add(theme)
    partner = InstitutionFactory(name="Partner U")
    partner.contacts.add(me)

    other = UserFactory(email="olga@example.org")
    staff = StaffFactory(email="sam.staff@example.org", first_name="Sam", last_name="Staff")
    visitor = ResearcherFactory(user=other, email="olga@example.org", name="Olga Other")

    # Seminars: signed in, as a guest with a proven address, and one with an unproven address.
    event, event2, event3 = EventFactory(), EventFactory(), EventFactory()
    mine_signed_in = RegistrationFactory(event=event, user=user, email="pat@example.org", name="Pat P.")
    mine_as_guest = RegistrationFactory(event=event2, email="pat.alt@example.org", name="Pat as guest")
    RegistrationFactory(event=event3, email="pat.unproven@example.org", name="Not proven")
    RegistrationFactory(event=event, user=other, email="olga@example.org", name="Olga at the same talk")
    series, series2 = SeriesFactory(), SeriesFactory()
    subscriptions = [
        SeriesSubscriptionFactory(series=series, email="pat@example.org"),
        SeriesSubscriptionFactory(series=series2, email="pat.alt@example.org"),
    ]
    SeriesSubscriptionFactory(series=series, email="olga@example.org")
    series.organisers.add(me)
    calendar = personal_calendar_get(user=user)
    personal_calendar_get(user=other)
    talk = EventSpeakerFactory(researcher=me, event=event)
    EventSpeakerFactory(researcher=visitor, event=event)

    # Projects: one led, one joined.
    led = ProjectFactory(lead=me)
    joined = ProjectMemberFactory(researcher=me)

    # Stays: Pat's own (hosted by Olga's host), Olga's hosted by Pat, and one Pat decided on as staff.
    host = ResearcherFactory(user=UserFactory(), is_hub_member=True, name="Hana Host")
    own = VisitFactory(researcher=me, host=host, passport_name="PAT PASSPORT", nationality="KR")
    VisitStatusChange.objects.create(
        visit=own, from_status="submitted", to_status="endorsed", by=staff, by_name="sam.staff@example.org"
    )
    own_extension = Extension.objects.create(
        visit=own, new_last_day=own.last_day + dt.timedelta(days=3), reason="More data", decided_by=staff
    )
    hosted = VisitFactory(
        researcher=visitor,
        host=me,
        passport_name="OLGA SECRETNAME",
        nationality="FR",
        purpose="Olga's private purpose",
        accessibility_needs="Olga's access needs",
        funding_note="Olga's grant",
        seminar_title="Olga's talk",
    )
    token = visit_services.visit_endorsement_token(hosted)
    hosted = visit_services.visit_host_answer(token=token, endorse=True, note="Glad to host", by=user)
    third = VisitFactory(researcher=ResearcherFactory(name="Tim Third"), passport_name="TIM SECRETNAME")
    made = VisitStatusChange.objects.create(
        visit=third, from_status="endorsed", to_status="approved", by=user, by_name="Pat", note="Tim's file"
    )
    decided = Extension.objects.create(
        visit=third, new_last_day=third.last_day, reason="Tim's reason", decided_by=user, status="declined"
    )
    arrivals = ArrivalsFeedToken.objects.create(user=user)
    LogEntry.objects.create(
        user=user,
        content_type=ContentType.objects.get_for_model(Visit),
        object_id=str(third.pk),
        object_repr="Tim Third's stay",
        action_flag=CHANGE,
        change_message="Changed passport name",
    )

    # Mail: to both proven addresses (and one to Olga).
    asked_for = SeriesFactory()
    series_subscription_request(series=asked_for, email="Pat.Alt@example.org", language="en")
    series_subscription_request(series=SeriesFactory(), email="olga@example.org", language="en")
    requested = asked_for.subscriptions.get()

    expected = {
        "registrations": sorted([mine_signed_in.pk, mine_as_guest.pk]),
        "series_subscriptions": sorted([*(s.pk for s in subscriptions), requested.pk]),
        "personal_calendar": [calendar.pk],
        "talks": [talk.pk],
        "memberships": sorted([led.memberships.get().pk, joined.pk]),
        "projects_led": [led.pk],
        "stays": [own.pk],
        "stay_history": list(own.history.values_list("pk", flat=True)),
        "extensions": [own_extension.pk],
        "stays_hosted": [hosted.pk],
        "status_changes_made": list(VisitStatusChange.objects.filter(by=user).values_list("pk", flat=True)),
        "extensions_decided": [decided.pk],
        "arrivals_calendar": [arrivals.pk],
    }
    assert made.pk in expected["status_changes_made"]
    return user, expected


def my_data(client, user) -> tuple[dict, str]:
    client.force_login(user)
    response = client.get("/profile/my-data.json")
    assert response.status_code == 200
    text = response.content.decode()
    return json.loads(text), text


def test_my_data_holds_every_row_of_the_persons_own(client, world):
    user, expected = world
    data, _text = my_data(client, user)
    ids = {
        name: sorted(row["id"] for row in rows)
        for room in data.values()
        if isinstance(room, dict)
        for name, rows in room.items()
        if rows and "id" in rows[0]
    }
    assert {name: ids.get(name, []) for name in expected} == expected
    assert data["researchers"]["account"][0]["username"] == "pat-person"
    assert [a["email"] for a in data["researchers"]["email_addresses"]] == [
        "pat@example.org",
        "Pat.Alt@example.org",
        "pat.unproven@example.org",
    ]
    assert [m["type"] for m in data["researchers"]["two_factor_methods"]] == ["totp", "recovery_codes"]
    assert [s["uid"] for s in data["researchers"]["social_accounts"]] == ["0000-0002-1825-0097"]
    assert data["researchers"]["groups"] == [{"group": "Desk"}]
    assert data["researchers"]["permissions"] == [{"permission": "view_visit"}]
    assert data["researchers"]["researcher"][0]["name"] == "Pat Person"
    assert data["researchers"]["themes"] == [{"theme": "Robotics"}]
    assert data["researchers"]["contact_for_institutions"] == [{"institution": "Partner U"}]
    assert [a["content_type"] for a in data["researchers"]["admin_actions"]] == ["visit"]
    assert len(data["events"]["series_organised"]) == 1
    (stay,) = data["visits"]["stays"]
    assert (stay["passport_name"], stay["nationality"], stay["host"]) == ("PAT PASSPORT", "KR", "Hana Host")
    assert [m["recipient"] for m in data["hubsite"]["messages"]] == ["pat.alt@example.org"]


def test_stays_a_person_hosts_show_what_hosting_is_and_nothing_of_the_visitor(client, world):
    user, _expected = world
    data, text = my_data(client, user)
    (hosted,) = data["visits"]["stays_hosted"]
    assert set(hosted) == {
        "id",
        "first_day",
        "last_day",
        "status",
        "host_note",
        "endorsement_used_at",
        "researcher",
    }
    assert (hosted["researcher"], hosted["host_note"], hosted["status"]) == (
        "Olga Other",
        "Glad to host",
        "endorsed",
    )
    for private in [
        "OLGA SECRETNAME",
        "Olga's private purpose",
        "Olga's access needs",
        "Olga's grant",
        "Olga's talk",
    ]:
        assert private not in text
    assert "TIM SECRETNAME" not in text and "Tim's file" not in text and "Tim's reason" not in text


def test_no_withheld_value_appears_in_my_data(client, world):
    """Tokens, nonces, keys, hashes and other people's names on the person's rows: none appears."""
    user, _expected = world
    _data, text = my_data(client, user)
    person = Person.of(user)
    # A withheld field may hold the person's own name (`by_name` of a change they made): shown anyway.
    own_names = {user.get_full_name(), user.researcher.name, *person.addresses}
    leaked = []
    for _module, section in sections():
        hidden = withheld().get(section.part.model, {})
        for row in section.rows(person):
            for name in hidden:
                for value in strings(getattr(row, name, None)):
                    if len(value) >= 6 and value not in own_names and json.dumps(value)[1:-1] in text:
                        leaked.append(f"{section.part.model}.{name} of row {row.pk}")
    assert leaked == []
    assert "sam.staff@example.org" not in text  # the staff member who acted on Pat's stay


# What the export may name of a row that is not the person's: a person's name, a project's title.
PUBLIC_IDENTITY = {
    "researchers.Researcher": ("name", "name_ko"),
    "projects.Project": ("title", "title_ko", "slug"),
}


def test_nothing_of_a_row_that_is_not_the_persons_appears_in_my_data(client, world):
    """Every row of every person-holding model that the person's sections do not select gets a
    unique marker in each text field (names, which are a public identity, excepted): none may
    appear in the export."""
    user, _expected = world
    person = Person.of(user)
    own = {(section.part.model, row.pk) for _module, section in sections() for row in section.rows(person)}
    markers: list[tuple[str, str]] = []  # (marker, where it was put)
    for label in sorted(person_models()):
        model = apps.get_model(label)
        texts = [
            field
            for field in model._meta.concrete_fields
            if isinstance(field, models.CharField | models.TextField | models.JSONField)
            and not field.choices
            and (field.max_length or 8) >= 8
            and field.name not in PUBLIC_IDENTITY.get(label, ())
        ]
        for row in model._default_manager.all():
            if (label, row.pk) in own or not texts:
                continue
            values = {}
            for field in texts:
                marker = f"q{len(markers):06d}q"  # lower case: addresses must be
                markers.append((marker, f"{label}.{field.name} #{row.pk}"))
                values[field.name] = {"marker": marker} if isinstance(field, models.JSONField) else marker
            model._default_manager.filter(pk=row.pk).update(**values)
    marked_models = {where.split(".")[0] + "." + where.split(".")[1] for _marker, where in markers}
    assert {"visits.Visit", "events.Registration", "auth.User", "hubsite.OutboxMessage"} <= marked_models
    _data, text = my_data(client, user)
    assert [(marker, where) for marker, where in markers if marker in text] == []


def test_my_data_takes_the_same_number_of_queries_for_one_and_many_rows(client):
    user = UserFactory()
    me = ResearcherFactory(user=user, email=user.email, is_hub_member=True)

    def add_rows():
        event = EventFactory()
        RegistrationFactory(event=event, user=user, email=user.email)
        EventSpeakerFactory(researcher=me, event=event)
        own = VisitFactory(researcher=me)
        own.themes.add(ThemeFactory())
        VisitStatusChange.objects.create(visit=own, to_status="submitted")
        VisitFactory(host=me)
        ProjectMemberFactory(researcher=me)

    client.force_login(user)
    add_rows()
    client.get("/profile/my-data.json")  # warm the session
    with CaptureQueriesContext(connection) as one:
        client.get("/profile/my-data.json")
    for _ in range(4):
        add_rows()
    with CaptureQueriesContext(connection) as many:
        client.get("/profile/my-data.json")
    assert len(one) == len(many)


def strings(value):
    """The text in a value: itself, or the strings inside a JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings(item)


def test_export_keeps_its_old_address_and_answers_json(client):
    user = UserFactory(email="me@example.org")
    ResearcherFactory(user=user, email="me@example.org", name="Me Myself")
    client.force_login(user)
    response = client.get("/profile/my-data.json")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="hub-my-data-{timezone.localdate().isoformat()}.json"'
    )
    assert response["Cache-Control"] == "no-store"
