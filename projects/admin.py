from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from . import services
from .forms import OutputForm, ProjectAdminForm, ProjectMemberAdminForm
from .models import Project, ProjectMember, ProjectOutput, ProjectPartner

# This branch has no ResearcherAdmin/InstitutionAdmin with search_fields, so people and
# institutions are picked by id (raw_id_fields) rather than with autocomplete.


class ProjectMemberInline(admin.TabularInline):
    model = ProjectMember
    form = ProjectMemberAdminForm
    extra = 0
    raw_id_fields = ["researcher"]
    fields = ["researcher", "role"]


class ProjectPartnerInline(admin.TabularInline):
    model = ProjectPartner
    extra = 0
    raw_id_fields = ["institution"]
    fields = ["institution", "role"]


class ProjectOutputInline(admin.StackedInline):
    model = ProjectOutput
    form = OutputForm
    extra = 0
    fields = ["kind", "title", "authors", "venue", "year", "doi", "arxiv_id", "url"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    form = ProjectAdminForm
    list_display = [
        "title",
        "status",
        "lead",
        "is_public",
        "member_count",
        "output_count",
        "start_date",
        "end_date",
    ]
    list_filter = ["status", "is_public", "themes"]
    list_select_related = ["lead"]
    search_fields = ["title", "title_ko", "slug", "lead__name", "summary"]
    prepopulated_fields = {"slug": ["title"]}
    raw_id_fields = ["lead"]
    filter_horizontal = ["themes"]
    date_hierarchy = "start_date"
    inlines = [ProjectMemberInline, ProjectPartnerInline, ProjectOutputInline]
    fieldsets = [
        (None, {"fields": ["title", "title_ko", "slug", "lead", "status", "is_public"]}),
        (
            _("Description"),
            {"fields": ["summary", "themes", "start_date", "end_date", "website", "repository_url"]},
        ),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                _member_count=Count("memberships", distinct=True),
                _output_count=Count("outputs", distinct=True),
            )
        )

    @admin.display(description=_("members"), ordering="_member_count")
    def member_count(self, obj):
        return obj._member_count

    @admin.display(description=_("outputs"), ordering="_output_count")
    def output_count(self, obj):
        return obj._output_count

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # The lead is always a member with the role "lead", whatever the inline said.
        services.project_lead_sync(project=form.instance)


@admin.register(ProjectOutput)
class ProjectOutputAdmin(admin.ModelAdmin):
    form = OutputForm
    list_display = ["title", "kind", "year", "project", "doi", "arxiv_id"]
    list_filter = ["kind", "year"]
    list_select_related = ["project"]
    search_fields = ["title", "authors", "doi", "arxiv_id", "project__title"]
    raw_id_fields = ["project"]
    fields = ["project", "kind", "title", "authors", "venue", "year", "doi", "arxiv_id", "url"]

    def delete_model(self, request, obj):
        services.project_output_delete(output=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for output in queryset:
            services.project_output_delete(output=output, by=request.user)
