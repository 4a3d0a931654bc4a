import threading

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import connection

from events.models import EventSpeaker
from researchers.models import Researcher
from researchers.services import _reverse_foreign_keys, researcher_merge, researcher_profile_create
from tests.factories import (
    EventFactory,
    EventSpeakerFactory,
    InstitutionFactory,
    ResearcherFactory,
    SeriesFactory,
    ThemeFactory,
    UserFactory,
)


def rows_pointing_at(pk: int) -> dict[str, int]:
    counts = {}
    for rel in _reverse_foreign_keys():
        count = rel.related_model._default_manager.filter(**{f"{rel.field.name}_id": pk}).count()
        if count:
            counts[f"{rel.related_model._meta.label}.{rel.field.name}"] = count
    return counts


@pytest.fixture
def duplicates(db):
    keep = ResearcherFactory(name="Sarah Chen", email="sarah@mit.example.edu", position="", bio="")
    user = UserFactory(email="s.chen@gmail.example.com")
    remove = ResearcherFactory(
        name="S. Chen",
        email="s.chen@gmail.example.com",
        user=user,
        position="Associate professor",
        orcid="0000-0002-1825-0097",
        is_speaker=True,
    )
    both_themes, own_theme = ThemeFactory(), ThemeFactory()
    keep.themes.add(both_themes)
    remove.themes.add(both_themes, own_theme)
    shared_partner, own_partner = InstitutionFactory(), InstitutionFactory()
    shared_partner.contacts.add(keep, remove)
    own_partner.contacts.add(remove)
    shared_event = EventFactory()
    EventSpeakerFactory(event=shared_event, researcher=keep)
    EventSpeakerFactory(event=shared_event, researcher=remove)
    own_talk = EventSpeakerFactory(researcher=remove)
    series = SeriesFactory()
    series.organisers.add(keep, remove)
    other_series = SeriesFactory()
    other_series.organisers.add(remove)
    return {
        "keep": keep,
        "remove": remove,
        "user": user,
        "themes": {both_themes, own_theme},
        "partners": (shared_partner, own_partner),
        "shared_event": shared_event,
        "own_talk": own_talk,
        "series": (series, other_series),
    }


@pytest.mark.django_db
def test_merge_repoints_every_relation_and_leaves_nothing_pointing_at_the_removed_record(duplicates):
    keep, remove = duplicates["keep"], duplicates["remove"]
    removed_pk = remove.pk
    assert rows_pointing_at(removed_pk) != {}

    merged = researcher_merge(keep=keep, remove=remove)

    assert rows_pointing_at(removed_pk) == {}
    assert not Researcher.objects.filter(pk=removed_pk).exists()
    assert merged.user == duplicates["user"]
    assert set(merged.themes.all()) == duplicates["themes"]
    assert set(merged.contact_for.all()) == set(duplicates["partners"])
    assert set(merged.organised_series.all()) == set(duplicates["series"])
    assert EventSpeaker.objects.filter(event=duplicates["shared_event"]).count() == 1
    assert set(EventSpeaker.objects.filter(researcher=merged).values_list("pk", flat=True)) == {
        EventSpeaker.objects.get(event=duplicates["shared_event"]).pk,
        duplicates["own_talk"].pk,
    }
    # Blank fields come from the removed record; the kept record's own values stay.
    assert (merged.name, merged.email, merged.position, merged.orcid, merged.is_speaker) == (
        "Sarah Chen",
        "sarah@mit.example.edu",
        "Associate professor",
        "0000-0002-1825-0097",
        True,
    )


@pytest.mark.django_db
def test_merge_on_an_event_both_were_on_keeps_the_first_role_and_the_earlier_place():
    """The events service moves the speaker links: the person is listed once, as speaker (not the
    chair that the kept record happened to be), in the earlier of the two places."""
    keep, remove = ResearcherFactory(), ResearcherFactory()
    event = EventFactory()
    EventSpeakerFactory(event=event, researcher=ResearcherFactory(), order=1)
    EventSpeakerFactory(event=event, researcher=keep, role=EventSpeaker.Role.CHAIR, order=2)
    EventSpeakerFactory(event=event, researcher=remove, role=EventSpeaker.Role.SPEAKER, order=0)
    researcher_merge(keep=keep, remove=remove)
    assert list(event.speaker_links.values_list("researcher", "role", "order")) == [
        (keep.pk, "speaker", 0),
        (event.speaker_links.exclude(researcher=keep).get().researcher_id, "speaker", 1),
    ]


@pytest.mark.django_db
def test_merge_of_a_record_with_itself_is_refused():
    researcher = ResearcherFactory()
    with pytest.raises(ValidationError) as error:
        researcher_merge(keep=researcher, remove=researcher)
    assert error.value.messages == ["Choose two different researchers to merge."]


@pytest.mark.django_db
def test_merge_of_two_records_with_their_own_accounts_is_refused():
    keep, remove = ResearcherFactory(user=UserFactory()), ResearcherFactory(user=UserFactory())
    with pytest.raises(ValidationError) as error:
        researcher_merge(keep=keep, remove=remove)
    assert error.value.messages == [
        "Both records have their own account, so they cannot be merged here: ask one person to delete "
        "the account they do not use, then merge."
    ]
    assert Researcher.objects.count() == 2


@pytest.mark.django_db
def test_merge_rolls_back_entirely_when_it_fails_half_way(duplicates, monkeypatch):
    keep, remove = duplicates["keep"], duplicates["remove"]

    def broken_delete(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Researcher, "delete", broken_delete)
    before = rows_pointing_at(remove.pk)
    with pytest.raises(RuntimeError):
        researcher_merge(keep=keep, remove=remove)
    assert rows_pointing_at(remove.pk) == before
    remove.refresh_from_db()
    assert remove.email == "s.chen@gmail.example.com"


@pytest.mark.django_db
def test_admin_merge_action_asks_which_record_to_keep_then_merges(admin_client, duplicates):
    keep, remove = duplicates["keep"], duplicates["remove"]
    url = "/admin/researchers/researcher/"
    chosen = {"action": "merge_researchers", "_selected_action": [keep.pk, remove.pk]}
    page = admin_client.post(url, chosen)
    assert page.status_code == 200
    assert [r.pk for r in page.context["researchers"]] == sorted([keep.pk, remove.pk])
    done = admin_client.post(url, {**chosen, "apply": "1", "keep": keep.pk})
    assert done.status_code == 302
    assert [str(m) for m in get_messages(done.wsgi_request)] == [
        f"S. Chen (#{remove.pk}) was merged into Sarah Chen."
    ]
    assert list(Researcher.objects.values_list("pk", flat=True)) == [keep.pk]
    assert rows_pointing_at(remove.pk) == {}


@pytest.mark.django_db
def test_admin_merge_action_needs_exactly_two_records(admin_client):
    chosen = [ResearcherFactory().pk for _ in range(3)]
    response = admin_client.post(
        "/admin/researchers/researcher/", {"action": "merge_researchers", "_selected_action": chosen}
    )
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Select exactly two researchers to merge (you selected 3)."
    ]
    assert Researcher.objects.count() == 3


def run_in_threads(*functions):
    results: list = [None] * len(functions)
    barrier = threading.Barrier(len(functions))

    def run(i, function):
        try:
            barrier.wait()
            results[i] = function()
        except Exception as error:  # noqa: BLE001 - the test inspects what each thread got
            results[i] = error
        finally:
            connection.close()  # each thread has its own connection; the test database must be free to drop

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_staff_merging_the_same_pair_at_once_merge_it_once():
    a, b = ResearcherFactory(), ResearcherFactory()
    EventSpeakerFactory(researcher=b)
    results = run_in_threads(
        lambda: researcher_merge(keep=a, remove=b), lambda: researcher_merge(keep=b, remove=a)
    )
    merged = [r for r in results if isinstance(r, Researcher)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(merged) == 1 and len(refused) == 1, results
    assert refused[0].messages == ["One of these researchers no longer exists."]
    assert Researcher.objects.count() == 1
    assert EventSpeaker.objects.get().researcher_id == merged[0].pk


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_double_submitted_profile_creates_one_researcher():
    user = UserFactory()
    results = run_in_threads(
        *[lambda: researcher_profile_create(user=user, fields={"name": "Me"}, themes=[]) for _ in range(2)]
    )
    assert sorted(type(r).__name__ for r in results) == ["Researcher", "ValidationError"], results
    assert Researcher.objects.filter(user=user).count() == 1
