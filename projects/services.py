"""Every write on projects that has a rule. Keyword-only, typed, one transaction each.

Rules guarded here:
- the lead is a hub member and is always a member with the role "lead";
- co-leads (members with the role "lead") are hub members too, since leads edit the project;
- the lead cannot be removed or demoted from the site (staff name another lead in the admin);
- who may change a project (staff, its lead, its co-leads: `Project.objects.editable_by`) is
  decided inside each service, under the project row lock that every write here takes first, so
  of two co-leads who demote each other at the same moment the second is no longer a lead when
  its turn comes and is refused; the project always keeps its lead;
- a row that a concurrent request removed (a membership, an output) is answered with a message,
  never a server error;
- a DOI is recorded once on the whole site (a unique constraint on the normalised value; the
  loser of a race gets the same message as anyone else);
- a project does not end before it starts (a check constraint).
"""

from collections.abc import Iterable, Mapping

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from hubsite.pagecache import changes_public_pages
from researchers.models import Researcher, Theme

from .identifiers import normalise_arxiv_id, normalise_doi
from .models import Project, ProjectMember, ProjectOutput

PROJECT_EDITABLE_FIELDS = (
    "title",
    "title_ko",
    "summary",
    "status",
    "start_date",
    "end_date",
    "website",
    "repository_url",
)
OUTPUT_FIELDS = ("kind", "title", "authors", "venue", "year", "doi", "arxiv_id", "url")


NOT_A_LEAD_CODE = "not_a_lead"
GONE_CODE = "gone"


def not_a_lead_message() -> str:
    """What anyone who may not (or no longer) change a project is told, by a service or a view."""
    return _("You are not a lead of this project (any more), so you cannot change it.")


def membership_gone_message() -> str:
    return _("This person is no longer a member of this project.")


def output_gone_message() -> str:
    return _("This output no longer exists.")


def _lock_for_editing(project: Project, *, by: AbstractBaseUser | None) -> Project:
    """Lock the project row, then decide under that lock whether `by` may change it.

    Every write on a project's members, outputs and texts starts here, so the memberships read
    by `editable_by` cannot change before this transaction ends.
    """
    locked = Project.objects.select_for_update().filter(pk=project.pk).first()
    if locked is None:
        raise ValidationError(_("This project no longer exists."), code=GONE_CODE)
    if by is None or not Project.objects.editable_by(by).filter(pk=locked.pk).exists():
        raise ValidationError(not_a_lead_message(), code=NOT_A_LEAD_CODE)
    return locked


def _locked_membership(membership: ProjectMember, *, project: Project) -> ProjectMember:
    current = (
        ProjectMember.objects.select_for_update(of=("self",))
        .select_related("researcher")
        .filter(pk=membership.pk, project=project)
        .first()
    )
    if current is None:
        raise ValidationError(membership_gone_message(), code=GONE_CODE)
    return current


def _locked_output(output: ProjectOutput, *, project: Project) -> ProjectOutput:
    current = ProjectOutput.objects.select_for_update().filter(pk=output.pk, project=project).first()
    if current is None:
        raise ValidationError(output_gone_message(), code=GONE_CODE)
    return current


def _require_hub_member(researcher: Researcher, *, field: str) -> None:
    # Lock the person so that their hub membership cannot change under this write.
    locked = Researcher.objects.select_for_update().filter(pk=researcher.pk).first()
    if locked is None:
        raise ValidationError({field: _("This researcher no longer exists.")}, code=GONE_CODE)
    if not locked.is_hub_member:
        raise ValidationError(
            {
                field: _("%(name)s is not a hub member; only hub members can lead a project.")
                % {"name": locked.display_name}
            },
            code="lead_not_hub_member",
        )


def doi_taken_message(project: Project) -> str:
    return _("This DOI is already recorded for the project “%(project)s”.") % {
        "project": project.display_title
    }


def _doi_owner(doi: str, *, exclude_pk: int | None = None) -> ProjectOutput | None:
    if not doi:
        return None
    return (
        ProjectOutput.objects.select_related("project").filter(doi__iexact=doi).exclude(pk=exclude_pk).first()
    )


def output_doi_check(*, doi: str, exclude_pk: int | None = None) -> None:
    """Raise the user-facing error when `doi` (normalised) is already recorded elsewhere."""
    owner = _doi_owner(doi, exclude_pk=exclude_pk)
    if owner is not None:
        raise ValidationError({"doi": doi_taken_message(owner.project)}, code="doi_taken")


@transaction.atomic
@changes_public_pages
def project_create(
    *,
    title: str,
    slug: str,
    lead: Researcher,
    themes: Iterable[Theme] = (),
    **fields,
) -> Project:
    """A new project with its lead as a member (role "lead")."""
    _require_hub_member(lead, field="lead")
    project = Project(title=title, slug=slug, lead=lead, **fields)
    project.full_clean()
    project.save()
    project.themes.set(list(themes))
    ProjectMember.objects.create(project=project, researcher=lead, role=ProjectMember.Role.LEAD)
    return project


@transaction.atomic
@changes_public_pages
def project_lead_sync(*, project: Project) -> ProjectMember:
    """Make the project's lead a member with the role "lead" (after staff change the lead)."""
    project = Project.objects.select_for_update().get(pk=project.pk)
    _require_hub_member(project.lead, field="lead")
    membership, created = ProjectMember.objects.get_or_create(
        project=project, researcher=project.lead, defaults={"role": ProjectMember.Role.LEAD}
    )
    if not created and membership.role != ProjectMember.Role.LEAD:
        membership.role = ProjectMember.Role.LEAD
        membership.save(update_fields=["role"])
    return membership


@transaction.atomic
@changes_public_pages
def project_update(
    *,
    project: Project,
    by: AbstractBaseUser,
    changes: Mapping[str, object],
    themes: Iterable[Theme] | None = None,
) -> Project:
    """Change what a lead may change from the site: texts, status, dates, links and themes."""
    unknown = set(changes) - set(PROJECT_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable from the site: {sorted(unknown)}")
    locked = _lock_for_editing(project, by=by)
    for name, value in changes.items():
        setattr(locked, name, value)
    locked.full_clean(exclude=["lead", "slug"])
    locked.save()
    if themes is not None:
        locked.themes.set(list(themes))
    return locked


@transaction.atomic
@changes_public_pages
def project_member_add(
    *, project: Project, by: AbstractBaseUser, researcher: Researcher, role: str = ProjectMember.Role.MEMBER
) -> ProjectMember:
    project = _lock_for_editing(project, by=by)
    if not Researcher.objects.filter(pk=researcher.pk, anonymised_at__isnull=True).exists():
        raise ValidationError({"researcher": _("This researcher no longer exists.")}, code=GONE_CODE)
    if role == ProjectMember.Role.LEAD:
        _require_hub_member(researcher, field="role")
    if ProjectMember.objects.filter(project=project, researcher=researcher).exists():
        raise ValidationError(
            {
                "researcher": _("%(name)s is already a member of this project.")
                % {"name": researcher.display_name}
            },
            code="already_member",
        )
    try:
        with transaction.atomic():
            return ProjectMember.objects.create(project=project, researcher=researcher, role=role)
    except IntegrityError as error:
        # Only reachable when the project row lock was not taken (it always is here); kept so
        # that a constraint violation is never a server error.
        raise ValidationError(
            {
                "researcher": _("%(name)s is already a member of this project.")
                % {"name": researcher.display_name}
            },
            code="already_member",
        ) from error


@transaction.atomic
@changes_public_pages
def project_member_change_role(
    *, membership: ProjectMember, by: AbstractBaseUser, role: str
) -> ProjectMember:
    project = _lock_for_editing(membership.project, by=by)
    membership = _locked_membership(membership, project=project)
    if membership.researcher_id == project.lead_id and role != ProjectMember.Role.LEAD:
        raise ValidationError(
            {"role": _("The project lead keeps the role “Lead”; staff can name another lead.")},
            code="lead_role_fixed",
        )
    if role == ProjectMember.Role.LEAD:
        _require_hub_member(membership.researcher, field="role")
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
@changes_public_pages
def project_member_remove(*, membership: ProjectMember, by: AbstractBaseUser) -> None:
    project = _lock_for_editing(membership.project, by=by)
    membership = _locked_membership(membership, project=project)
    if membership.researcher_id == project.lead_id:
        raise ValidationError(
            _("The project lead cannot be removed; staff can name another lead first."),
            code="lead_not_removable",
        )
    membership.delete()


def _output_values(values: Mapping[str, object]) -> dict:
    unknown = set(values) - set(OUTPUT_FIELDS)
    if unknown:
        raise ValueError(f"unknown output fields: {sorted(unknown)}")
    cleaned = dict(values)
    if "doi" in cleaned:
        cleaned["doi"] = normalise_doi(str(cleaned["doi"] or ""))
    if "arxiv_id" in cleaned:
        cleaned["arxiv_id"] = normalise_arxiv_id(str(cleaned["arxiv_id"] or ""))
    return cleaned


def _save_output(output: ProjectOutput) -> ProjectOutput:
    output.full_clean(exclude=["project"], validate_constraints=False)
    output_doi_check(doi=output.doi, exclude_pk=output.pk)
    try:
        with transaction.atomic():
            output.save()
    except IntegrityError as error:
        # Two people recorded the same DOI at the same moment: the constraint let one through.
        owner = _doi_owner(output.doi, exclude_pk=output.pk)
        if owner is None:
            raise
        raise ValidationError({"doi": doi_taken_message(owner.project)}, code="doi_taken") from error
    return output


@transaction.atomic
@changes_public_pages
def project_output_add(*, project: Project, by: AbstractBaseUser, **values) -> ProjectOutput:
    """Record an output (paper, preprint, ...). Values are normalised, then validated."""
    project = _lock_for_editing(project, by=by)
    return _save_output(ProjectOutput(project=project, **_output_values(values)))


@transaction.atomic
@changes_public_pages
def project_output_update(*, output: ProjectOutput, by: AbstractBaseUser, **values) -> ProjectOutput:
    project = _lock_for_editing(output.project, by=by)
    output = _locked_output(output, project=project)
    for name, value in _output_values(values).items():
        setattr(output, name, value)
    return _save_output(output)


@transaction.atomic
@changes_public_pages
def project_output_delete(*, output: ProjectOutput, by: AbstractBaseUser) -> None:
    project = _lock_for_editing(output.project, by=by)
    _locked_output(output, project=project).delete()
