"""How much text each kind of field holds: limits no real person reaches, written down once.

One account must not be able to put megabytes into a page, a feed or another person's mailbox,
and nobody should meet a limit while writing what the field is for. One-line fields are
CharFields (names 200, titles 200 to 400, e-mail addresses 254, identifiers by their format);
their max_length is in the model and the database enforces it. Prose is a TextField with one of
the limits below, declared with `hubsite.fields.TextField(max_length=...)` (forms refuse one
character more with a message, as does `full_clean()`, e.g. for imports) and guarded in the
database by `length_check()` (a CHECK constraint on PostgreSQL and SQLite alike).

The demo data's longest texts are about 200 characters; a conference abstract is 1,500 to 3,000.
"""

from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

URL = 2_000  # a link: online meeting links carry long tokens (a Teams link is about 300 characters)
NOTE = 2_000  # a reason or a note: a cancellation, accessibility needs, a host's or staff's note
HISTORY_NOTE = NOTE + 200  # a line of a stay's history: a note with the words the site puts round it
PURPOSE = 5_000  # a stay's purpose and its project summary: about a page
LONG_TEXT = 10_000  # Markdown pages: abstracts, bios, descriptions, project summaries
PASTED_ADDRESSES = 100_000  # the invitation form's pasted list: a few thousand addresses

# Written by the site itself from the bounded text above, never typed: these document a size and
# keep the admin's forms bounded, with no database check (a mail must never fail to be queued).
MAIL_PART = 1_000_000
MAIL_ERROR = 10_000


def length_check(field: str, limit: int) -> models.CheckConstraint:
    """The database's own guard: `field` holds at most `limit` characters."""
    return models.CheckConstraint(
        condition=LessThanOrEqual(Length(field), limit),
        name=f"%(app_label)s_%(class)s_{field}_max_length",
    )
