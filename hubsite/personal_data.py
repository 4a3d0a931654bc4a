"""A person's own data, for their right of access ("My data", /profile/my-data.json): everything
the hub holds that is theirs, and nothing of anyone else's.

Each room contributes the person's rows of its own models through a `personal_data` module of its
own, found in every installed app the way Django finds `admin.py` (so this lowest room names no
higher one). A module has

- `SECTIONS`: a list of `Section(name, part, rows)`: `rows(person)` is a queryset of the person's
  own rows; `part` says which fields appear as stored (`fields`) and which references to other
  rows or people appear as a public identity only (`names`: a name or a title, never another
  person's private fields or any secret);
- `WITHHELD`: for each model it exports, `{field: why it never appears}` (secrets such as tokens,
  nonces, password hashes and authenticator keys; other people's details).

Every concrete field of every exported model is either shown by some section or withheld with a
reason, and every model with a foreign key to a person or an e-mail field is exported by some
module: tests/researchers/test_my_data.py walks them, so a new field or model cannot slip in or out
unnoticed.

This module is also hubsite's own contribution: the messages the outbox holds for the person.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from allauth.account.models import EmailAddress
from django.apps import apps
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.module_loading import module_has_submodule
from django_countries.fields import Country

MODULE_NAME = "personal_data"


@dataclass(frozen=True)
class Person:
    """Whose data: the account and the addresses it has proven (verified), in lower case."""

    user: Any
    addresses: tuple[str, ...]

    @classmethod
    def of(cls, user) -> Person:
        verified = EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)
        return cls(user=user, addresses=tuple(sorted({address.strip().lower() for address in verified})))

    def with_address(self, queryset: models.QuerySet, field_name: str = "email") -> models.QuerySet:
        """Rows of `queryset` whose `field_name` is one of the person's verified addresses."""
        return queryset.alias(_address=Lower(field_name)).filter(_address__in=self.addresses)


def _plain(value):
    """A value JSON can carry (the view's encoder does dates, decimals and UUIDs)."""
    if isinstance(value, models.fields.files.FieldFile):
        return value.name or ""
    if isinstance(value, Country):
        return value.code or ""
    return value


@dataclass(frozen=True)
class Part:
    """How rows of one model appear in the export."""

    model: str  # "app_label.ModelName"
    fields: tuple[str, ...] = ()  # shown as stored: the person's own data
    names: Mapping[str, Callable[[Any], Any]] = field(default_factory=dict)  # field -> public identity

    def row(self, obj) -> dict[str, Any]:
        data = {name: _plain(getattr(obj, name)) for name in self.fields}
        data.update({name: identity(obj) for name, identity in self.names.items()})
        return data


@dataclass(frozen=True)
class Section:
    name: str
    part: Part
    rows: Callable[[Person], Iterable]


def contributors() -> list:
    """Every app's personal_data module, in INSTALLED_APPS order."""
    found = []
    for config in apps.get_app_configs():
        if module_has_submodule(config.module, MODULE_NAME):
            found.append(import_module(f"{config.name}.{MODULE_NAME}"))
    return found


def personal_data_export(*, user) -> dict[str, Any]:
    """{"exported_at": ..., "<app label>": {"<section>": [rows]}} for one person."""
    person = Person.of(user)
    data: dict[str, Any] = {"exported_at": timezone.now().isoformat()}
    for module in contributors():
        label = apps.get_containing_app_config(module.__name__).label
        data[label] = {
            section.name: [section.part.row(obj) for obj in section.rows(person)]
            for section in module.SECTIONS
        }
    return data


# --- hubsite's own: the messages the outbox holds for the person --------------------------------

SECTIONS = [
    Section(
        "messages",
        Part(
            "hubsite.OutboxMessage",
            fields=(
                "id",
                "kind",
                "recipient",
                "recipient_name",
                "language",
                "subject",
                "status",
                "created",
                "sent_at",
                "failed_at",
            ),
        ),
        lambda person: person.with_address(
            apps.get_model("hubsite", "OutboxMessage").objects, "recipient"
        ).order_by("pk"),
    ),
]

WITHHELD = {
    "hubsite.OutboxMessage": {
        "content_type": "what the message is about: often another person's row (a hosted stay)",
        "object_id": "what the message is about: often another person's row (a hosted stay)",
        "revision": "an internal number that keeps a message from being sent twice",
        "body_text": "the message as sent: one-time links (secrets) and, for hosts, the visitor's details",
        "body_html": "the message as sent: one-time links (secrets) and, for hosts, the visitor's details",
        "attachments": "the calendar files sent, which carry other attendees and one-time links",
        "headers": "the unsubscribe link (a secret)",
        "attempts": "delivery internals",
        "last_error": "delivery internals (the mail server's reply)",
        "next_attempt_at": "delivery internals",
        "claimed_at": "delivery internals",
    },
}
