"""Who may be named on a public page.

The rule for every list of people the public sees (project members and visitors, a partner's
stays): researchers who opted in to being listed are shown by name, everyone else is only
counted. It lives here, in the lowest room that has people, so that the partner pages and the
projects app (which re-exports it as projects.privacy) share one definition. A private project
shows nobody to the public at all; that is decided before this point (ProjectQuerySet.public()).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from .models import Researcher


def is_publicly_listed(researcher: Researcher) -> bool:
    """The in-memory twin of ResearcherQuerySet.listed(), for rows already fetched."""
    return bool(researcher.listed_publicly) and researcher.anonymised_at is None


@dataclass(frozen=True)
class PeopleShown:
    """People split by the privacy rule: `named` in their original order, the rest `unnamed_count`."""

    named: list = field(default_factory=list)
    unnamed_count: int = 0

    @property
    def total(self) -> int:
        return len(self.named) + self.unnamed_count


def people_shown(entries: Iterable, *, researcher=lambda entry: entry) -> PeopleShown:
    """Apply the rule to `entries` (researchers, or rows that name one through `researcher`).

    A person who appears twice (two stays, say) is named or counted once; the first entry wins.
    """
    named, seen, unnamed = [], set(), set()
    for entry in entries:
        person = researcher(entry)
        if person.pk in seen or person.pk in unnamed:
            continue
        if is_publicly_listed(person):
            seen.add(person.pk)
            named.append(entry)
        else:
            unnamed.add(person.pk)
    return PeopleShown(named=named, unnamed_count=len(unnamed))
