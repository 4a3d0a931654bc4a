"""Every write on projects that has a rule. Keyword-only, typed, one transaction each.

Rules guarded here:
- the lead is a hub member and is always a member with the role "lead";
- co-leads (members with the role "lead") are hub members too, since leads edit the project;
- the lead cannot be removed or demoted from the site (staff name another lead in the admin);
- a DOI is recorded once on the whole site (a unique constraint on the normalised value; the
  loser of a race gets the same message as anyone else);
- a project does not end before it starts (a check constraint).
"""

from collections.abc import Iterable, Mapping

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


def _require_hub_member(researcher: Researcher, *, field: str) -> None:
    # Lock the person so that their hub membership cannot change under this write.
    locked = Researcher.objects.select_for_update().get(pk=researcher.pk)
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
    *, project: Project, changes: Mapping[str, object], themes: Iterable[Theme] | None = None
) -> Project:
    """Change what a lead may change from the site: texts, status, dates, links and themes."""
    unknown = set(changes) - set(PROJECT_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable from the site: {sorted(unknown)}")
    locked = Project.objects.select_for_update().get(pk=project.pk)
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
    *, project: Project, researcher: Researcher, role: str = ProjectMember.Role.MEMBER
) -> ProjectMember:
    Project.objects.select_for_update().get(pk=project.pk)
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
def project_member_change_role(*, membership: ProjectMember, role: str) -> ProjectMember:
    project = Project.objects.select_for_update().get(pk=membership.project_id)
    membership = ProjectMember.objects.select_related("researcher").get(pk=membership.pk)
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
def project_member_remove(*, membership: ProjectMember) -> None:
    project = Project.objects.select_for_update().get(pk=membership.project_id)
    if membership.researcher_id == project.lead_id:
        raise ValidationError(
            _("The project lead cannot be removed; staff can name another lead first."),
            code="lead_not_removable",
        )
    ProjectMember.objects.filter(pk=membership.pk).delete()


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
def project_output_add(*, project: Project, **values) -> ProjectOutput:
    """Record an output (paper, preprint, ...). Values are normalised, then validated."""
    return _save_output(ProjectOutput(project=project, **_output_values(values)))


@transaction.atomic
@changes_public_pages
def project_output_update(*, output: ProjectOutput, **values) -> ProjectOutput:
    output = ProjectOutput.objects.select_for_update().get(pk=output.pk)
    for name, value in _output_values(values).items():
        setattr(output, name, value)
    return _save_output(output)


@transaction.atomic
@changes_public_pages
def project_output_delete(*, output: ProjectOutput) -> None:
    ProjectOutput.objects.filter(pk=output.pk).delete()
