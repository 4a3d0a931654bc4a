"""Writes with rules for people and partner institutions.

Every function is keyword-only and transactional. Views, forms, the admin and allauth's adapter
call these; none of them change a Researcher's links or identity on their own.
"""

import itertools
from typing import Any

from allauth.account.models import EmailAddress
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.text import slugify
from django.utils.translation import gettext as _

from hubsite.pagecache import changes_public_pages
from hubsite.personal_data import personal_data_export

from .models import Institution, Researcher, Theme

# Fields the person fills in on their own profile (everything else is staff's or the system's).
PROFILE_FIELDS = (
    "name",
    "name_ko",
    "position",
    "institution",
    "country",
    "website",
    "orcid",
    "bio",
    "photo",
    "listed_publicly",
    "preferred_language",
)


class LinkRefused(ValidationError):
    """An account may be linked to a researcher only through a verified address of its own."""


def unique_slug(*, model: type[models.Model], text: str, fallback: str, exclude_pk: int | None = None) -> str:
    """A slug made from `text` (or `fallback` when that gives nothing) that no row uses yet."""
    max_length = model._meta.get_field("slug").max_length
    base = (slugify(text) or fallback)[: max_length - 6].strip("-") or fallback
    taken = set(
        model._default_manager.filter(slug__startswith=base)
        .exclude(pk=exclude_pk)
        .values_list("slug", flat=True)
    )
    if base not in taken:
        return base
    for n in itertools.count(2):
        candidate = f"{base}-{n}"
        if candidate not in taken:
            return candidate
    raise AssertionError("unreachable")


def _verified_primary_email(user: AbstractBaseUser) -> str:
    address = EmailAddress.objects.filter(user=user, verified=True).order_by("-primary", "pk").first()
    if address is None:
        raise ValidationError(
            _("Verify your e-mail address first; your profile uses the verified address."),
            code="email_unverified",
        )
    return address.email


@transaction.atomic
@changes_public_pages
def researcher_link_account(*, user: AbstractBaseUser, email_address: EmailAddress) -> Researcher | None:
    """Link `user` to the researcher record that carries the verified `email_address`.

    Staff often create researchers (speakers, visitors) before they ever sign in; when they
    then sign up and prove they own the address, the account takes over that record. An
    unverified address never links: anyone can type anyone's address at sign-up.
    Returns the linked researcher, or None when there is nothing to link.
    """
    if email_address.user_id != user.pk:
        raise LinkRefused(
            _("This e-mail address belongs to another account."), code="email_of_another_account"
        )
    if not email_address.verified:
        raise LinkRefused(
            _("An account is linked to a researcher only through a verified e-mail address."),
            code="email_unverified",
        )
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    if Researcher.objects.filter(user=user).exists():
        return None
    researcher = (
        Researcher.objects.select_for_update()
        .filter(user__isnull=True, anonymised_at__isnull=True)
        .with_email(email_address.email)
        .first()
    )
    if researcher is None:
        return None
    researcher.user = user
    researcher.save(update_fields=["user", "updated"])
    return researcher


def researcher_link_verified_account(*, user: AbstractBaseUser) -> Researcher | None:
    """Try every verified address of `user` (primary first): the sign-in paths that verify an
    address without allauth's confirmation step (e.g. ORCID) end up here."""
    existing = Researcher.objects.filter(user=user).first()
    if existing is not None:
        return existing
    for address in EmailAddress.objects.filter(user=user, verified=True).order_by("-primary", "pk"):
        researcher = researcher_link_account(user=user, email_address=address)
        if researcher is not None:
            return researcher
    return None


@transaction.atomic
@changes_public_pages
def researcher_profile_create(
    *, user: AbstractBaseUser, fields: dict[str, Any], themes: list[Theme]
) -> Researcher:
    """A new researcher record for a signed-in person, with their verified address."""
    # The account row is the parent: a double-submitted form waits here, then sees the profile.
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    if Researcher.objects.filter(user=user).exists():
        raise ValidationError(_("You already have a profile."), code="profile_exists")
    email = _verified_primary_email(user)
    if Researcher.objects.with_email(email).exists():
        # The verified address belongs to a record linked to another account (or anonymised).
        raise ValidationError(
            _(
                "A researcher record with your e-mail address already exists and belongs to another "
                "account. Please write to the hub's staff so they can sort it out."
            ),
            code="email_taken",
        )
    values = {name: value for name, value in fields.items() if name in PROFILE_FIELDS}
    researcher = Researcher(user=user, email=email, **values)
    researcher.full_clean(exclude=["slug"])
    _save_with_free_slug(researcher, text=researcher.name, fallback="researcher")
    researcher.themes.set(themes)
    return researcher


def _save_with_free_slug(researcher: Researcher, *, text: str, fallback: str) -> Researcher:
    """Save a new researcher under a slug no row uses. Two people of the same name signing up at
    the same moment both find the same slug free: the unique index lets one through, and the
    other takes the next slug (in a savepoint, so the caller's transaction goes on)."""
    for _attempt in range(5):
        researcher.slug = unique_slug(model=Researcher, text=text, fallback=fallback)
        try:
            with transaction.atomic():
                researcher.save()
        except IntegrityError:
            if not Researcher.objects.filter(slug=researcher.slug).exists():
                raise
        else:
            return researcher
    raise ValidationError(_("Many people are signing up at this moment; please try again."), code="busy")


@transaction.atomic
def researcher_profile_ensure(
    *, user: AbstractBaseUser, name: str = "", institution: Institution | None = None
) -> Researcher:
    """The researcher behind an account, for people who act before they have made a profile (a
    visitor's first stay): their own; else the unlinked record that carries their verified
    address (staff made it), now linked; else a new visiting researcher.

    Decided under the account row's lock, so a form sent twice at once makes one profile.
    """
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    existing = Researcher.objects.filter(user=user).first()
    if existing is not None:
        return existing
    verified = EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()
    if verified:
        match = (
            Researcher.objects.select_for_update()
            .filter(user__isnull=True, anonymised_at__isnull=True)
            .with_email(user.email)
            .first()
        )
        if match is not None:
            match.user = user
            match.save(update_fields=["user", "updated"])
            return match
    researcher = Researcher(
        user=user,
        name=name or user.email,
        email="" if Researcher.objects.with_email(user.email).exists() else user.email,
        institution=institution,
        is_visiting=True,
    )
    return _save_with_free_slug(researcher, text=name or user.email.split("@")[0], fallback="visitor")


@transaction.atomic
@changes_public_pages
def researcher_profile_update(
    *, researcher: Researcher, fields: dict[str, Any], themes: list[Theme]
) -> Researcher:
    """The person's own edits: only PROFILE_FIELDS; e-mail, roles and slug stay with staff."""
    locked = Researcher.objects.select_for_update().get(pk=researcher.pk)
    for name, value in fields.items():
        if name in PROFILE_FIELDS:
            setattr(locked, name, value)
    locked.full_clean()
    locked.save()
    locked.themes.set(themes)
    return locked


def _reverse_foreign_keys() -> list[models.ForeignObjectRel]:
    """Every foreign key in the project that points at Researcher, including the hidden ones in
    many-to-many through tables (Researcher.themes, Institution.contacts, Series.organisers, …),
    so relations that other apps add later are covered without changing this code."""
    return [
        rel
        for rel in Researcher._meta.get_fields(include_hidden=True)
        if rel.auto_created and not rel.concrete and (rel.one_to_many or rel.one_to_one)
    ]


def _repoint(*, rel: models.ForeignObjectRel, keep: Researcher, remove: Researcher) -> None:
    model = rel.related_model
    field_name = rel.field.name
    rows = model._default_manager.filter(**{field_name: remove})
    try:
        with transaction.atomic():
            rows.update(**{field_name: keep})
        return
    except IntegrityError:
        pass
    # Some rows would break a unique constraint (the same researcher twice on one event, a
    # theme both records had): move them one at a time and drop the duplicates.
    for pk in list(rows.values_list("pk", flat=True)):
        try:
            with transaction.atomic():
                model._default_manager.filter(pk=pk).update(**{field_name: keep})
        except IntegrityError:
            model._default_manager.filter(pk=pk).delete()


def _repoint_generic(*, keep: Researcher, remove: Researcher) -> None:
    content_type = ContentType.objects.get_for_model(Researcher)
    for model in apps.get_models():
        for gfk in model._meta.private_fields:
            if isinstance(gfk, GenericForeignKey):
                rows = model._default_manager.filter(**{gfk.ct_field: content_type, gfk.fk_field: remove.pk})
                for pk in list(rows.values_list("pk", flat=True)):
                    try:
                        with transaction.atomic():
                            model._default_manager.filter(pk=pk).update(**{gfk.fk_field: keep.pk})
                    except IntegrityError:
                        model._default_manager.filter(pk=pk).delete()


def _merge_services() -> dict[str, Any]:
    """{app label: service} of the rooms above that move their own rows from one record to the other.

    A room names its service in its AppConfig (`researcher_merge_service`, a dotted path taking
    keep= and remove=), so its rules hold in a merge and this room imports none of them. Rows of
    rooms that name none are moved by the generic repointing below."""
    return {
        config.label: import_string(config.researcher_merge_service)
        for config in apps.get_app_configs()
        if getattr(config, "researcher_merge_service", "")
    }


MERGE_FILL_FIELDS = ("name_ko", "position", "institution", "country", "website", "orcid", "bio", "photo")


@transaction.atomic
@changes_public_pages
def researcher_merge(*, keep: Researcher, remove: Researcher) -> Researcher:
    """Merge two records of the same person: everything that pointed at `remove` points at
    `keep`, blank fields of `keep` are filled from `remove`, and `remove` is deleted."""
    if keep.pk == remove.pk:
        raise ValidationError(_("Choose two different researchers to merge."), code="same_record")
    locked = {
        r.pk: r
        for r in Researcher.objects.select_for_update().filter(pk__in=[keep.pk, remove.pk]).order_by("pk")
    }
    if len(locked) != 2:
        raise ValidationError(_("One of these researchers no longer exists."), code="missing")
    keep, remove = locked[keep.pk], locked[remove.pk]
    if keep.user_id and remove.user_id:
        raise ValidationError(
            _(
                "Both records have their own account, so they cannot be merged here: ask one person "
                "to delete the account they do not use, then merge."
            ),
            code="two_accounts",
        )

    services = _merge_services()
    for merge_rows in services.values():
        merge_rows(keep=keep, remove=remove)
    for rel in _reverse_foreign_keys():
        # A room that names a merge service moved its own rows above; the rest are moved here.
        if rel.related_model._meta.app_label not in services:
            _repoint(rel=rel, keep=keep, remove=remove)
    _repoint_generic(keep=keep, remove=remove)

    # Values only `remove` has. Unique ones (e-mail, ORCID, account) leave `remove` first.
    user = keep.user or remove.user
    email = keep.email or remove.email
    filled = {name: getattr(remove, name) for name in MERGE_FILL_FIELDS if not getattr(keep, name)}
    Researcher.objects.filter(pk=remove.pk).update(user=None, email="", orcid="")
    for name, value in filled.items():
        setattr(keep, name, value)
    keep.user = user
    keep.email = email
    keep.listed_publicly = keep.listed_publicly or remove.listed_publicly
    keep.is_hub_member = keep.is_hub_member or remove.is_hub_member
    keep.is_visiting = keep.is_visiting or remove.is_visiting
    keep.is_speaker = keep.is_speaker or remove.is_speaker
    keep.save()
    remove.delete()
    return keep


def researcher_export(*, user: AbstractBaseUser) -> dict[str, Any]:
    """Everything the hub holds that is the person's own, and nothing of anyone else's, as
    JSON-ready data (their right of access). Each room adds its own rows through its
    `personal_data` module (hubsite/personal_data.py); secrets never appear."""
    return personal_data_export(user=user)


ANONYMISED_NAME = "Former researcher"


@transaction.atomic
@changes_public_pages
def researcher_account_delete(*, user: AbstractBaseUser) -> None:
    """Delete the account; the researcher record stays, anonymised, so that past registrations,
    stays and seminars keep their history without naming the person."""
    researcher = Researcher.objects.select_for_update().filter(user=user).first()
    if researcher is not None:
        researcher_anonymise(researcher=researcher)
    user.delete()


@transaction.atomic
@changes_public_pages
def researcher_anonymise(*, researcher: Researcher) -> Researcher:
    if researcher.photo:
        researcher.photo.delete(save=False)
    researcher.user = None
    researcher.name = ANONYMISED_NAME
    researcher.name_ko = ""
    researcher.slug = f"anonymised-{researcher.pk}"
    researcher.position = ""
    researcher.email = ""
    researcher.website = ""
    researcher.orcid = ""
    researcher.bio = ""
    researcher.photo = ""
    researcher.listed_publicly = False
    researcher.anonymised_at = timezone.now()
    researcher.save()
    researcher.themes.clear()
    researcher.contact_for.clear()
    return researcher
