from django import forms
from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hubsite.forms import BoundedModelMultipleChoiceField, ReaderLanguageModelChoiceField
from hubsite.validators import http_url_validator
from researchers.models import Institution, Researcher, Theme

from .identifiers import normalise_arxiv_id, normalise_doi, validate_doi
from .models import OUTPUT_YEAR_MIN, Project, ProjectMember, ProjectOutput
from .services import PROJECT_EDITABLE_FIELDS, output_doi_check

# A stored DOI (255) with a resolver prefix such as "https://dx.doi.org/" in front of it.
DOI_INPUT_MAX_LENGTH = 300


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def _http_links_only(form: forms.BaseForm) -> None:
    """URL fields say what is wrong in words people understand: only http(s) links are taken."""
    for field in form.fields.values():
        if isinstance(field, forms.URLField):
            field.error_messages["invalid"] = http_url_validator.message


def _check_dates(cleaned_data: dict, form: forms.Form) -> None:
    start, end = cleaned_data.get("start_date"), cleaned_data.get("end_date")
    if start and end and end < start:
        form.add_error("end_date", _("A project cannot end before it starts."))


class ProjectFilterForm(forms.Form):
    """The filters of /projects/ (GET). Unknown values are ignored rather than failing the page."""

    STATUS_ALL = "all"

    theme = ReaderLanguageModelChoiceField(
        label=_("Theme"),
        queryset=Theme.objects.all(),
        to_field_name="slug",
        required=False,
        empty_label=_("All themes"),
    )
    partner = ReaderLanguageModelChoiceField(
        label=_("Partner institution"),
        queryset=Institution.objects.none(),
        to_field_name="slug",
        required=False,
        empty_label=_("All partners"),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        # Active first: it is what the page shows when no status is chosen.
        choices=[
            (Project.Status.ACTIVE, Project.Status.ACTIVE.label),
            (Project.Status.COMPLETED, Project.Status.COMPLETED.label),
            (Project.Status.PROPOSED, Project.Status.PROPOSED.label),
            (STATUS_ALL, _("Any status")),
        ],
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only institutions that are partners of a public project are worth offering.
        self.fields["partner"].queryset = (
            Institution.objects.public().filter(project_links__project__is_public=True).distinct()
        )

    def filter(self, projects):
        if not self.is_valid():
            return projects.active()
        data = self.cleaned_data
        status = data.get("status") or Project.Status.ACTIVE
        if status != self.STATUS_ALL:
            projects = projects.filter(status=status)
        if data.get("theme"):
            projects = projects.for_theme(data["theme"])
        if data.get("partner"):
            projects = projects.for_institution(data["partner"])
        return projects


class ProjectEditForm(forms.ModelForm):
    """What a lead edits from the site. The lead, the slug and publication stay with staff."""

    class Meta:
        model = Project
        fields = [*PROJECT_EDITABLE_FIELDS, "themes"]
        field_classes = {"themes": BoundedModelMultipleChoiceField}
        widgets = {
            "start_date": DateInput(),
            "end_date": DateInput(),
            "themes": forms.CheckboxSelectMultiple,
            "summary": forms.Textarea(attrs={"rows": 12}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _http_links_only(self)

    def clean(self):
        cleaned_data = super().clean()
        _check_dates(cleaned_data, self)
        return cleaned_data


class ProjectAdminForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = [
            "title", "title_ko", "slug", "summary", "themes", "lead", "status", "start_date", "end_date",
            "is_public", "website", "repository_url",
        ]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _http_links_only(self)

    def clean_lead(self):
        lead = self.cleaned_data["lead"]
        if lead is not None and not lead.is_hub_member:
            raise forms.ValidationError(
                _("%(name)s is not a hub member; only hub members can lead a project."),
                code="lead_not_hub_member",
                params={"name": lead.display_name},
            )
        return lead

    def clean(self):
        cleaned_data = super().clean()
        _check_dates(cleaned_data, self)
        return cleaned_data


class ResearcherChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        if obj.institution_id:
            return f"{obj.display_name} ({obj.institution.short_name or obj.institution.display_name})"
        return obj.display_name


def _check_lead_role(role: str, researcher: Researcher | None) -> str | None:
    if role == ProjectMember.Role.LEAD and researcher is not None and not researcher.is_hub_member:
        return _("Only hub members can be a lead of a project; choose another role for %(name)s.") % {
            "name": researcher.display_name
        }
    return None


class ProjectMemberAdminForm(forms.ModelForm):
    """The admin's member rows keep the same rule as the site: a co-lead is a hub member."""

    class Meta:
        model = ProjectMember
        fields = ["researcher", "role"]

    def clean(self):
        cleaned_data = super().clean()
        message = _check_lead_role(cleaned_data.get("role", ""), cleaned_data.get("researcher"))
        if message:
            self.add_error("role", message)
        return cleaned_data


class MemberAddForm(forms.Form):
    researcher = ResearcherChoiceField(
        label=_("Researcher"),
        queryset=Researcher.objects.filter(anonymised_at__isnull=True).select_related("institution"),
        empty_label=_("Choose a researcher"),
    )
    role = forms.ChoiceField(label=_("Role"), choices=ProjectMember.Role.choices, initial="member")

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project

    def clean(self):
        cleaned_data = super().clean()
        researcher = cleaned_data.get("researcher")
        if researcher is not None and self.project.memberships.filter(researcher=researcher).exists():
            self.add_error(
                "researcher",
                _("%(name)s is already a member of this project.") % {"name": researcher.display_name},
            )
        message = _check_lead_role(cleaned_data.get("role", ""), researcher)
        if message:
            self.add_error("role", message)
        return cleaned_data


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=ProjectMember.Role.choices)

    def __init__(self, *args, membership: ProjectMember, **kwargs):
        super().__init__(*args, **kwargs)
        self.membership = membership

    def clean_role(self):
        role = self.cleaned_data["role"]
        membership = self.membership
        if membership.researcher_id == membership.project.lead_id and role != ProjectMember.Role.LEAD:
            raise forms.ValidationError(
                _("The project lead keeps the role “Lead”; staff can name another lead."),
                code="lead_role_fixed",
            )
        message = _check_lead_role(role, membership.researcher)
        if message:
            raise forms.ValidationError(message, code="lead_not_hub_member")
        return role


class OutputForm(forms.ModelForm):
    """An output, with identifiers normalised before they are checked."""

    class Meta:
        model = ProjectOutput
        fields = ["kind", "title", "authors", "venue", "year", "doi", "arxiv_id", "url"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _http_links_only(self)
        self.fields["year"].widget.attrs.update({"min": OUTPUT_YEAR_MIN, "max": self.latest_year()})
        # Resolver prefixes are stripped first, so the stored length limit is checked in clean_doi;
        # what may be pasted is bounded with room for the longest prefix.
        self.fields["doi"].validators = [
            ProhibitNullCharactersValidator(),
            MaxLengthValidator(DOI_INPUT_MAX_LENGTH),
        ]
        self.fields["doi"].max_length = DOI_INPUT_MAX_LENGTH
        self.fields["doi"].widget.attrs["maxlength"] = str(DOI_INPUT_MAX_LENGTH)

    @staticmethod
    def latest_year() -> int:
        # Accepted papers carry next year's date often enough; anything later is a typo.
        return timezone.localdate().year + 1

    def clean_doi(self):
        doi = normalise_doi(self.cleaned_data.get("doi", ""))
        if doi:
            validate_doi(doi)
            if len(doi) > ProjectOutput._meta.get_field("doi").max_length:
                raise forms.ValidationError(_("This DOI is too long."), code="doi_too_long")
            try:
                output_doi_check(doi=doi, exclude_pk=self.instance.pk)
            except forms.ValidationError as error:
                raise forms.ValidationError(error.message_dict["doi"]) from error
        return doi

    def clean_arxiv_id(self):
        return normalise_arxiv_id(self.cleaned_data.get("arxiv_id", ""))

    def clean_year(self):
        year = self.cleaned_data.get("year")
        if year is not None and not OUTPUT_YEAR_MIN <= year <= self.latest_year():
            raise forms.ValidationError(
                _("Enter a year between %(first)s and %(last)s."),
                code="year_range",
                params={"first": OUTPUT_YEAR_MIN, "last": self.latest_year()},
            )
        return year
