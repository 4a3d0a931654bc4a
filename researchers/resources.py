"""CSV import and export of institutions and researchers (django-import-export).

Staff upload a file, see a preview with every row's changes and errors, and only then confirm;
a file with any bad row cannot be confirmed, so nothing is half-imported. No exported cell starts
a formula, in any format (hubsite/spreadsheets.py); the import reads such cells back as they were.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django_countries import countries
from import_export import fields, resources, widgets

from hubsite.spreadsheets import neutralise, restore

from .models import Institution, Researcher, Theme


class CountryWidget(widgets.CharWidget):
    def clean(self, value, row=None, **kwargs):
        code = (value or "").strip().upper()
        if not code:
            return ""
        if code not in dict(countries):
            raise ValueError(
                _("Unknown country code “%(code)s”: use a two-letter ISO 3166 code such as KR or US.")
                % {"code": value}
            )
        return code

    def render(self, value, obj=None, **kwargs):
        return getattr(value, "code", value) or ""


class SlugForeignKeyWidget(widgets.ForeignKeyWidget):
    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row, **kwargs)
        except self.model.DoesNotExist:
            raise ValueError(
                _("No %(model)s has the slug “%(slug)s”.")
                % {"model": self.model._meta.verbose_name, "slug": value}
            ) from None


class SlugManyToManyWidget(widgets.ManyToManyWidget):
    def clean(self, value, row=None, **kwargs):
        slugs = [s.strip() for s in str(value or "").split(self.separator) if s.strip()]
        found = list(self.model.objects.filter(slug__in=slugs))
        missing = sorted(set(slugs) - {obj.slug for obj in found})
        if missing:
            raise ValueError(
                _("Unknown %(model)s: %(slugs)s.")
                % {"model": self.model._meta.verbose_name, "slugs": ", ".join(missing)}
            )
        return found


class HubResource(resources.ModelResource):
    required_columns: tuple[str, ...] = ()

    def export_field(self, field, instance, **kwargs):
        value = super().export_field(field, instance, **kwargs)
        # Numbers stay numbers ("-3" is a number); any text that would start a formula is made text.
        return value if isinstance(field.widget, widgets.NumberWidget) else neutralise(value)

    def get_export_headers(self, selected_fields=None):
        return [neutralise(header) for header in super().get_export_headers(selected_fields)]

    def before_import_row(self, row, **kwargs):
        for column, value in row.items():
            row[column] = restore(value)
        super().before_import_row(row, **kwargs)

    def before_import(self, dataset, **kwargs):
        headers = [h.strip() for h in (dataset.headers or [])]
        missing = [c for c in self.required_columns if c not in headers]
        if missing:
            raise ValidationError(
                _("The file has no column named: %(columns)s. The first line must name the columns.")
                % {"columns": ", ".join(missing)}
            )
        super().before_import(dataset, **kwargs)


class InstitutionResource(HubResource):
    required_columns = ("slug", "name", "country")
    country = fields.Field(attribute="country", column_name="country", widget=CountryWidget())

    class Meta:
        model = Institution
        import_id_fields = ("slug",)
        fields = (
            "slug",
            "name",
            "name_ko",
            "short_name",
            "country",
            "city",
            "kind",
            "website",
            "description",
            "partnership_status",
            "partnership_start",
            "agreement_kind",
            "agreement_end",
            "is_public",
        )
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True


class ResearcherResource(HubResource):
    required_columns = ("slug", "name")
    country = fields.Field(attribute="country", column_name="country", widget=CountryWidget())
    institution = fields.Field(
        attribute="institution", column_name="institution", widget=SlugForeignKeyWidget(Institution, "slug")
    )
    themes = fields.Field(
        attribute="themes",
        column_name="themes",
        widget=SlugManyToManyWidget(Theme, separator="|", field="slug"),
    )

    class Meta:
        model = Researcher
        import_id_fields = ("slug",)
        fields = (
            "slug",
            "name",
            "name_ko",
            "position",
            "institution",
            "country",
            "email",
            "website",
            "orcid",
            "themes",
            "bio",
            "listed_publicly",
            "is_hub_member",
            "is_visiting",
            "is_speaker",
            "preferred_language",
        )
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def before_import_row(self, row, **kwargs):
        super().before_import_row(row, **kwargs)
        # Addresses are compared without letter case; keep them as written but trimmed.
        if row.get("email"):
            row["email"] = str(row["email"]).strip()
        if row.get("orcid"):
            row["orcid"] = str(row["orcid"]).strip().upper()
