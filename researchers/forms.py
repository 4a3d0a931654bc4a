from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from import_export.forms import ConfirmImportForm

from hubsite.forms import BoundedModelMultipleChoiceField, ReaderLanguageModelChoiceField

from .models import Institution, Researcher, Theme
from .services import PROFILE_FIELDS


class ProfileForm(forms.ModelForm):
    """What a person edits on their own profile. E-mail, roles and slug are staff's."""

    themes = BoundedModelMultipleChoiceField(
        queryset=Theme.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Research themes"),
    )

    orcid = forms.CharField(
        label=_("ORCID iD"),
        required=False,
        max_length=60,
        help_text=_("For example 0000-0002-1825-0097; the orcid.org address works too."),
        widget=forms.TextInput(attrs={"placeholder": "0000-0002-1825-0097", "autocomplete": "off"}),
    )

    class Meta:
        model = Researcher
        fields = [*PROFILE_FIELDS, "themes"]
        field_classes = {"institution": ReaderLanguageModelChoiceField}
        widgets = {
            "bio": forms.Textarea(attrs={"rows": 6}),
            "website": forms.URLInput(attrs={"placeholder": "https://"}),
        }
        help_texts = {
            "bio": _("Markdown: *italics*, **bold**, [links](https://example.org). No HTML scripts."),
            "listed_publicly": _(
                "Show your profile on the hub's public researcher pages. Your e-mail is never shown."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = Institution.objects.public().order_by("name")

    def clean_orcid(self):
        value = (self.cleaned_data.get("orcid") or "").strip()
        for prefix in ("https://orcid.org/", "http://orcid.org/", "orcid.org/"):
            if value.lower().startswith(prefix):
                value = value[len(prefix) :]
        return value.upper()


def _country_choices(codes) -> list[tuple[str, str]]:
    named = sorted(((code, countries.name(code)) for code in set(codes) if code), key=lambda c: c[1])
    return [("", _("All countries")), *named]


class ResearcherFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Name"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("English or Korean")}),
    )
    theme = forms.ChoiceField(label=_("Theme"), required=False)
    institution = forms.ChoiceField(label=_("Institution"), required=False)
    country = forms.ChoiceField(label=_("Country"), required=False)

    def __init__(self, *args, themes, institutions, country_codes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["theme"].choices = [("", _("All themes"))] + [(t.slug, t.display_name) for t in themes]
        self.fields["institution"].choices = [("", _("All institutions"))] + [
            (i.slug, i.display_name) for i in institutions
        ]
        self.fields["country"].choices = _country_choices(country_codes)


class PartnerFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *Institution.Kind.choices]
    )
    country = forms.ChoiceField(label=_("Country"), required=False)

    def __init__(self, *args, country_codes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = _country_choices(country_codes)


class AccountDeleteForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand that my account will be deleted and cannot be restored."),
        required=True,
        error_messages={"required": _("Tick the box to confirm that you want to delete your account.")},
    )


class ResearcherMergeForm(forms.Form):
    """Staff choose which of two records survives the merge."""

    keep = forms.ModelChoiceField(
        queryset=Researcher.objects.none(),
        widget=forms.RadioSelect,
        label=_("Keep this record"),
        empty_label=None,
    )

    def __init__(self, *args, researchers, **kwargs):
        super().__init__(*args, **kwargs)
        self.researchers = list(researchers)
        self.fields["keep"].queryset = Researcher.objects.filter(pk__in=[r.pk for r in self.researchers])
        self.fields["keep"].label_from_instance = lambda r: f"{r.name} <{r.email or '—'}> (#{r.pk})"

    @property
    def remove(self) -> Researcher:
        keep = self.cleaned_data["keep"]
        return next(r for r in self.researchers if r.pk != keep.pk)


class ImportConfirmForm(ConfirmImportForm):
    """django-import-export's confirmation step, refusing what its own form never posts: a format
    or resource that is not one of those offered, or a file that is not waiting in the import
    storage. django-import-export would take them as they are and fail with a server error."""

    import_file_name = forms.CharField(widget=forms.HiddenInput(), max_length=255)
    original_file_name = forms.CharField(widget=forms.HiddenInput(), max_length=255)
    format = forms.CharField(widget=forms.HiddenInput(), max_length=10)
    resource = forms.CharField(widget=forms.HiddenInput(), required=False, max_length=10)

    def __init__(self, *args, formats: int, resources: int, stored, **kwargs):
        super().__init__(*args, **kwargs)
        self.format_count = formats
        self.resource_count = resources
        self.stored = stored  # file name -> whether the upload is still in the import storage

    @staticmethod
    def _index(value: str, count: int) -> bool:
        return value.isdigit() and int(value) < count

    def clean_format(self):
        value = self.cleaned_data["format"]
        if not self._index(value, self.format_count):
            raise forms.ValidationError(_("Choose one of the offered formats."), code="format")
        return value

    def clean_resource(self):
        value = self.cleaned_data.get("resource") or ""
        if value and not self._index(value, self.resource_count):
            raise forms.ValidationError(_("Choose one of the offered kinds of rows."), code="resource")
        return value

    def clean_import_file_name(self):
        name = super().clean_import_file_name()
        if not self.stored(name):
            raise forms.ValidationError(
                _("The uploaded file is no longer here; upload it again."), code="file_gone"
            )
        return name
