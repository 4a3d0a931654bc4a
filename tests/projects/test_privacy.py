from types import SimpleNamespace

from django.utils import timezone

from projects.privacy import PeopleShown, is_publicly_listed, people_shown


def person(pk, listed=True, anonymised=False):
    return SimpleNamespace(
        pk=pk, listed_publicly=listed, anonymised_at=timezone.now() if anonymised else None
    )


def test_people_shown_names_opt_in_people_in_order_and_counts_the_rest():
    a, b, c, d = person(1), person(2, listed=False), person(3), person(4, anonymised=True)
    shown = people_shown([a, b, c, d])
    assert shown == PeopleShown(named=[a, c], unnamed_count=2)
    assert shown.total == 4


def test_people_shown_counts_a_person_once_however_often_they_appear():
    a, b = person(1), person(2, listed=False)
    stays = [SimpleNamespace(researcher=p) for p in (a, b, a, b)]
    shown = people_shown(stays, researcher=lambda stay: stay.researcher)
    assert shown == PeopleShown(named=[stays[0]], unnamed_count=1)


def test_is_publicly_listed_needs_opt_in_and_no_anonymisation():
    assert [
        is_publicly_listed(p) for p in (person(1), person(2, listed=False), person(3, anonymised=True))
    ] == [
        True,
        False,
        False,
    ]
