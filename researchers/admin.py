import datetime as dt

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_countries.filters import CountryFilter
from import_export.admin import ImportExportModelAdmin

from hubsite import dates

from .forms import ImportConfirmForm, ResearcherMergeForm
from .models import AGREEMENT_WARNING_DAYS, Institution, Researcher, Theme
from .resources import InstitutionResource, ResearcherResource
from .services import researcher_merge


class CheckedImportMixin:
    """The import's confirmation step checks the format, resource and file it is posted."""

    confirm_form_class = ImportConfirmForm

    def _stored(self, name: str) -> bool:
        if not name:
            return False
        storage_class = self.get_tmp_storage_class()
        storage = storage_class(name=name, read_mode="rb", **self.get_tmp_storage_class_kwargs())
        try:
            return storage.read() is not None
        except OSError:
            return False

    def get_confirm_form_kwargs(self, request, import_form=None):
        return {
            **super().get_confirm_form_kwargs(request, import_form),
            "formats": len(self.get_import_formats()),
            "resources": len(self.get_import_resource_classes(request)),
            "stored": self._stored,
        }


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ["name", "name_ko", "slug", "ordering"]
    list_editable = ["ordering"]
    search_fields = ["name", "name_ko", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class AgreementEndingFilter(admin.SimpleListFilter):
    title = _("agreement end")
    parameter_name = "agreement"

    def lookups(self, request, model_admin):
        return [
            ("soon", _("Ends within %(days)d days") % {"days": AGREEMENT_WARNING_DAYS}),
            ("ended", _("Ended")),
            ("none", _("No end date")),
        ]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "soon":
            return queryset.filter(
                agreement_end__gte=today, agreement_end__lte=today + dt.timedelta(days=AGREEMENT_WARNING_DAYS)
            )
        if self.value() == "ended":
            return queryset.filter(agreement_end__lt=today)
        if self.value() == "none":
            return queryset.filter(agreement_end__isnull=True)
        return queryset


@admin.register(Institution)
class InstitutionAdmin(CheckedImportMixin, ImportExportModelAdmin):
    resource_classes = [InstitutionResource]
    list_display = [
        "name",
        "name_ko",
        "country",
        "kind",
        "partnership_status",
        "agreement_end_column",
        "people_count",
        "is_public",
    ]
    list_filter = [
        "partnership_status",
        "kind",
        AgreementEndingFilter,
        "is_public",
        ("country", CountryFilter),
    ]
    search_fields = ["name", "name_ko", "short_name", "city", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["contacts"]
    fieldsets = [
        (None, {"fields": ["name", "name_ko", "short_name", "slug", "country", "city", "kind", "website"]}),
        (_("Public page"), {"fields": ["logo", "description", "is_public"]}),
        (
            _("Partnership"),
            {
                "fields": [
                    "partnership_status",
                    "partnership_start",
                    "agreement_kind",
                    "agreement_end",
                    "contacts",
                ]
            },
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(people=Count("researchers", distinct=True))

    @admin.display(description=_("people"), ordering="people")
    def people_count(self, obj):
        return obj.people

    @admin.display(description=_("agreement end"), ordering="agreement_end")
    def agreement_end_column(self, obj):
        if obj.agreement_end is None:
            return "—"
        if obj.agreement_ends_soon:
            return format_html(
                '<strong class="agreement-ending" style="color:#a11a1a">{} ⚠ {}</strong>',
                dates.fmt(obj.agreement_end, "day"),
                _("ends soon") if obj.agreement_end >= timezone.localdate() else _("ended"),
            )
        return dates.fmt(obj.agreement_end, "day")


@admin.register(Researcher)
class ResearcherAdmin(CheckedImportMixin, ImportExportModelAdmin):
    resource_classes = [ResearcherResource]
    list_display = [
        "name",
        "name_ko",
        "institution",
        "country",
        "is_hub_member",
        "is_visiting",
        "is_speaker",
        "listed_publicly",
        "has_account",
    ]
    list_select_related = ["institution", "user"]
    list_filter = [
        "is_hub_member",
        "is_visiting",
        "is_speaker",
        "listed_publicly",
        "themes",
        ("institution", admin.RelatedOnlyFieldListFilter),
        ("country", CountryFilter),
    ]
    search_fields = [
        "name",
        "name_ko",
        "email",
        "orcid",
        "slug",
        "institution__name",
        "institution__name_ko",
        "institution__short_name",
    ]
    autocomplete_fields = ["user", "institution", "themes"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["anonymised_at", "created", "updated"]
    actions = ["merge_researchers"]
    fieldsets = [
        (None, {"fields": ["name", "name_ko", "slug", "position", "institution", "country"]}),
        (_("Contact and links"), {"fields": ["email", "website", "orcid", "user"]}),
        (_("Profile"), {"fields": ["themes", "bio", "photo", "listed_publicly", "preferred_language"]}),
        (_("Roles"), {"fields": ["is_hub_member", "is_visiting", "is_speaker"]}),
        (_("Record"), {"fields": ["anonymised_at", "created", "updated"], "classes": ["collapse"]}),
    ]

    @admin.display(description=_("account"), boolean=True, ordering="user")
    def has_account(self, obj):
        return obj.user_id is not None

    @admin.action(description=_("Merge two records of the same person"), permissions=["change", "delete"])
    def merge_researchers(self, request, queryset):
        chosen = list(queryset.select_related("institution", "user").order_by("pk"))
        if len(chosen) != 2:
            self.message_user(
                request,
                _("Select exactly two researchers to merge (you selected %(count)d).")
                % {"count": len(chosen)},
                messages.ERROR,
            )
            return None
        form = ResearcherMergeForm(request.POST if "apply" in request.POST else None, researchers=chosen)
        if form.is_valid():
            keep, remove = form.cleaned_data["keep"], form.remove
            removed_label = f"{remove.name} (#{remove.pk})"
            try:
                kept = researcher_merge(keep=keep, remove=remove)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
                return None
            self.log_change(request, kept, f"Merged {removed_label} into this record.")
            self.message_user(
                request,
                _("%(removed)s was merged into %(kept)s.") % {"removed": removed_label, "kept": kept.name},
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Merge two researcher records"),
            "opts": self.model._meta,
            "form": form,
            "researchers": chosen,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "researchers/admin_merge.html", context)
