from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from hubsite import forms as hub_forms
from hubsite import limits
from hubsite.forms import BoundedModelMultipleChoiceField, ReaderLanguageModelChoiceField
from projects.models import Project, ProjectMember
from researchers.models import Institution, Researcher, Theme

from . import services
from .models import Visit


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class ProjectSelect(forms.Select):
    """A select whose option groups belong to hosts: each option says whose group it is in
    (`data-host`), so static/js/visits.js can show only the chosen host's projects. Without
    JavaScript the groups are simply there."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.group_hosts: dict[int, int] = {}  # index of a group among the choices -> host pk

    def optgroups(self, name, value, attrs=None):
        groups = super().optgroups(name, value, attrs)
        for _group_name, options, index in groups:
            host = self.group_hosts.get(index)
            if host is not None:
                for option in options:
                    option["attrs"]["data-host"] = str(host)
        return groups


class VisitForm(forms.ModelForm):
    """Registering a stay. The date and host rules are the service's own, so the messages match."""

    name = forms.CharField(label=_("Your name"), max_length=200, required=False)
    home_institution = ReaderLanguageModelChoiceField(
        label=_("Your institution"), queryset=Institution.objects.all(), required=False
    )

    class Meta:
        model = Visit
        fields = [
            "host",
            "first_day",
            "last_day",
            "purpose",
            "project",
            "project_summary",
            "themes",
            "funding",
            "funding_note",
            "needs_desk",
            "needs_visa_letter",
            "nationality",
            "passport_name",
            "needs_housing_help",
            "accessibility_needs",
            "offers_seminar",
            "seminar_title",
            "seminar_abstract",
        ]
        field_classes = {"themes": BoundedModelMultipleChoiceField, "host": ReaderLanguageModelChoiceField}
        widgets = {
            "first_day": DateInput(attrs={"data-desk-check": "first"}),
            "last_day": DateInput(attrs={"data-desk-check": "last"}),
            "purpose": forms.Textarea(attrs={"rows": 3}),
            "project_summary": forms.Textarea(attrs={"rows": 5}),
            "accessibility_needs": forms.Textarea(attrs={"rows": 2}),
            "seminar_abstract": forms.Textarea(attrs={"rows": 5}),
            "themes": forms.CheckboxSelectMultiple,
            "project": ProjectSelect(attrs={"data-projects-by-host": ""}),
        }
        labels = {
            "needs_desk": _("I need a desk"),
            "needs_visa_letter": _("I need a visa invitation letter"),
            "needs_housing_help": _("I would like help finding housing"),
            "offers_seminar": _("I would like to give a seminar"),
        }
        help_texts = {
            "first_day": _("The first day you will be at the hub."),
            "last_day": _("The last day you will be at the hub (included)."),
            "accessibility_needs": _("Anything that would make the hub easier for you to use."),
            "passport_name": _("Exactly as written in your passport, for the invitation letter."),
        }

    def __init__(self, *args, researcher: Researcher | None, user=None, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.researcher = researcher
        self._offer_projects(user)
        self.fields["host"].queryset = Researcher.objects.filter(is_hub_member=True).order_by("name")
        self.fields["host"].error_messages["invalid_choice"] = _(
            "Choose a hub member as your host: only hub members can host a stay."
        )
        self.fields["host"].help_text = _("The hub member who invites you.")
        self.fields["themes"].queryset = Theme.objects.all()
        self.fields["themes"].required = False
        if researcher is not None:
            del self.fields["name"]
            del self.fields["home_institution"]
        else:
            self.fields["name"].required = True

    def _chosen_host(self) -> Researcher | None:
        """The host typed so far: the posted one, or the one kept when "Check desks" re-renders."""
        value = self.data.get("host") if self.is_bound else self.initial.get("host")
        if isinstance(value, Researcher):
            return value
        if not str(value or "").isdigit():
            return None
        return Researcher.objects.filter(pk=value, is_hub_member=True).first()

    def _offer_projects(self, user) -> None:
        """Without JavaScript the form cannot follow the host as it is chosen: before a host is
        known it offers every active project of a hub member, grouped by hub member; once a host is
        known (after "Check desks" or a refused submission) only that host's projects. Whatever
        was offered, the form and the service accept only a project of the host.
        """
        field = self.fields["project"]
        visible = Project.objects.visible_to(user) if user is not None else Project.objects.public()
        candidates = visible.active().filter(memberships__researcher__is_hub_member=True).distinct()
        field.queryset = candidates.order_by("title")
        field.required = False
        field.empty_label = _("No project (or not listed)")
        field.help_text = _("A project of your host that the stay is part of.")
        host = self._chosen_host()
        if host is not None:
            field.choices = [("", field.empty_label)] + [
                (project.pk, project.display_title)
                for project in candidates.for_member(host).order_by("title")
            ]
            return
        memberships = (
            ProjectMember.objects.filter(project__in=candidates, researcher__is_hub_member=True)
            .select_related("project", "researcher")
            .order_by("researcher__name", "project__title", "pk")
        )
        groups: dict[Researcher, list] = {}
        for membership in memberships:
            groups.setdefault(membership.researcher, []).append(
                (membership.project.pk, membership.project.display_title)
            )
        field.choices = [("", field.empty_label)] + [
            (host.display_name, choices) for host, choices in groups.items()
        ]
        field.widget.group_hosts = {index: host.pk for index, host in enumerate(groups, start=1)}

    def clean(self):
        data = super().clean()
        first_day, last_day = data.get("first_day"), data.get("last_day")
        if first_day and last_day:
            for problem in services.visit_date_problems(
                researcher=self.researcher, first_day=first_day, last_day=last_day
            ):
                self.add_error(None, problem)
        for problem in services.pending_stay_problems(researcher=self.researcher):
            self.add_error(None, problem)
        host = data.get("host")
        if host is not None:
            for problem in services.host_problems(researcher=self.researcher, host=host):
                self.add_error("host", problem)
            for problem in services.project_problems(host=host, project=data.get("project")):
                self.add_error("project", problem)
        if data.get("needs_visa_letter"):
            if not data.get("nationality"):
                self.add_error("nationality", _("The invitation letter needs your nationality."))
            if not data.get("passport_name"):
                self.add_error(
                    "passport_name", _("The invitation letter needs your name as in your passport.")
                )
        if data.get("offers_seminar") and not data.get("seminar_title"):
            self.add_error("seminar_title", _("Give a title for the seminar you offer."))
        return data

    def validate_constraints(self):
        # The date rules above already say everything the model's check constraints would.
        if not self.non_field_errors():
            super().validate_constraints()

    def service_arguments(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("name", None)
        data.pop("home_institution", None)
        return data


class AvailabilityForm(forms.Form):
    first_day = hub_forms.DateField(label=_("First day"))
    last_day = hub_forms.DateField(label=_("Last day"))

    def clean(self):
        data = super().clean()
        first_day, last_day = data.get("first_day"), data.get("last_day")
        if first_day and last_day:
            if last_day < first_day:
                raise ValidationError(_("The last day cannot be before the first day."))
            if (last_day - first_day).days > 400:
                raise ValidationError(_("Ask for at most 400 days at a time."))
        return data


class HostAnswerForm(forms.Form):
    """The host's answer through their link. There is no default: a post without exactly one of
    the two answers is refused with a message, and the link is not used up."""

    ENDORSE, DECLINE = "endorse", "decline"
    CHOOSE = _("Choose your answer: endorse the stay or decline it.")

    answer = forms.ChoiceField(
        label=_("Your answer"),
        choices=[(ENDORSE, _("Endorse the stay")), (DECLINE, _("Decline"))],
        error_messages={"required": CHOOSE, "invalid_choice": CHOOSE},
    )
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        max_length=limits.NOTE,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Staff and, if you decline, the visitor will read it."),
    )

    def clean_answer(self):
        # Two different answers in one post (a crafted request) are no answer at all.
        if len(set(self.data.getlist(self.add_prefix("answer")))) > 1:
            raise ValidationError(self.CHOOSE, code="two_answers")
        return self.cleaned_data["answer"]


class ExtensionForm(forms.Form):
    new_last_day = hub_forms.DateField(label=_("New last day"), widget=DateInput())
    reason = forms.CharField(
        label=_("Why you would like to stay longer"),
        max_length=limits.NOTE,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class WithdrawForm(forms.Form):
    note = forms.CharField(
        label=_("Reason (optional)"),
        required=False,
        max_length=limits.NOTE,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
