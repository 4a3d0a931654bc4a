"""Names in the reader's language: one rule for every page, form, feed, JSON-LD and e-mail.

Rows named in both languages (themes, institutions, researchers, series, events, projects) keep
the English name in `name` or `title` (every row has it) and the Korean one in `name_ko` or
`title_ko` (often empty). A reader whose active language is Korean sees the Korean name when there
is one; everyone else, and Korean readers of a row without one, sees the English name. Mail is
rendered under the recipient's language (`translation.override`), so it follows the same rule.

`__str__` stays the English name on purpose: it is the row's identity in logs, the admin's change
history and CSV exports. Surfaces a reader sees use `display_name` (or the `reader_label` of a form
option), never `name`, `title` or `str()`.
"""

from django.conf import settings
from django.utils import translation
from django.utils.translation import get_language, gettext_noop

# Django's own words that its Korean catalogue (Django 6.1) leaves untranslated, on the site's forms
# (a select's empty choice) and in the admin; ours comes first (LOCALE_PATHS) and gives them. Named
# here so that `make messages` keeps them in locale/ko.
DJANGO_UNTRANSLATED = (
    gettext_noop("- Select an option -"),
    gettext_noop("Filter by %(field_name)s"),
)


def reader_reads_korean() -> bool:
    return (get_language() or "").startswith("ko")


def in_reader_language(english: str, korean: str | None) -> str:
    """`korean` for a Korean reader when there is one, else `english`."""
    return korean if korean and reader_reads_korean() else english


def in_language(language: str, english: str, korean: str | None) -> str:
    """The same rule for someone who reads `language` (a mail's recipient) outside their request."""
    with translation.override(language or settings.LANGUAGE_CODE):
        return in_reader_language(english, korean)


def hub_name() -> str:
    """The hub's own name in the reader's language (settings HUB_NAME and HUB_NAME_KO)."""
    return in_reader_language(settings.HUB_NAME, settings.HUB_NAME_KO)


class ReaderLanguageName:
    """For models named in both languages: `display_name` is the name in the reader's language.

    `NAME_FIELD` is the English field; its Korean twin is `<NAME_FIELD>_ko`.
    """

    NAME_FIELD = "name"

    @property
    def display_name(self) -> str:
        return in_reader_language(getattr(self, self.NAME_FIELD), getattr(self, f"{self.NAME_FIELD}_ko"))


def reader_label(obj) -> str:
    """The label of a row offered in a form (select options, checkboxes): its `display_name` when
    the model has one, else `str()`."""
    return obj.display_name if isinstance(obj, ReaderLanguageName) else str(obj)
