import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils.html import format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from hubsite import dates
from hubsite.validators import validate_calendar_date

from . import services
from .models import Extension, Visit, VisitStatusChange, Workspace


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ["name", "area", "desks", "desk_kind", "floor", "visitors_allowed"]
    list_filter = ["area", "desk_kind", "visitors_allowed"]
    search_fields = ["name", "floor"]


class StatusHistoryInline(admin.TabularInline):
    model = VisitStatusChange
    extra = 0
    can_delete = False
    fields = ["at", "from_status", "to_status", "by_name", "note"]
    readonly_fields = fields
    verbose_name_plural = _("status history")

    def has_add_permission(self, request, obj=None):
        return False


class ExtensionInline(admin.TabularInline):
    model = Extension
    extra = 0
    can_delete = False
    fields = ["requested_at", "new_last_day", "reason", "status", "decided_at", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class MonthFilter(admin.SimpleListFilter):
    """Stays that are at the hub on at least one day of a month (this month and the next eleven)."""

    title = _("month")
    parameter_name = "month"

    def lookups(self, request, model_admin):
        today = services.hub_today().replace(day=1)
        months = [services.add_months(today, n) for n in range(-3, 12)]
        return [(m.isoformat()[:7], dates.fmt(m, "month")) for m in months]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        try:
            first = dt.datetime.strptime(self.value(), "%Y-%m").date()
            validate_calendar_date(first)  # no month past the calendar's end (year 9999 + 1)
        except (ValueError, ValidationError):
            return queryset.none()
        last = services.add_months(first, 1) - dt.timedelta(days=1)
        return queryset.overlapping(first, last)


class VisitAdminForm(forms.ModelForm):
    class Meta:
        model = Visit
        fields = "__all__"  # noqa: DJ007 - the admin decides which fields show and which are read-only

    def clean(self):
        data = super().clean()
        host = data.get("host", self.instance.host if self.instance.host_id else None)
        if host is not None:
            for problem in services.project_problems(host=host, project=data.get("project")):
                self.add_error("project" if "project" in self.fields else None, problem)
        return data


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    form = VisitAdminForm
    list_display = [
        "researcher",
        "host",
        "institution_display",
        "first_day",
        "last_day",
        "status",
        "workspace",
        "project",
    ]
    list_filter = [
        "status",
        ("host", admin.RelatedOnlyFieldListFilter),
        ("project", admin.RelatedOnlyFieldListFilter),
        ("institution", admin.RelatedOnlyFieldListFilter),
        "themes",
        MonthFilter,
    ]
    list_select_related = ["researcher", "host", "institution", "workspace", "project"]
    search_fields = ["researcher__name", "host__name", "institution_name", "purpose"]
    date_hierarchy = "first_day"
    autocomplete_fields = ["project"]
    raw_id_fields = ["researcher", "host", "seminar_event"]
    inlines = [StatusHistoryInline, ExtensionInline]
    actions = ["approve", "decline", "cancel_stays", "check_in", "check_out", "resend_host_link"]
    readonly_fields = [
        "status",
        "desk_days",
        "seminar_warnings",
        "endorsement_used_at",
        "host_note",
        "calendar_uid",
        "sequence",
        "arrived_at",
        "departed_at",
    ]

    def has_add_permission(self, request):
        # A stay starts with its visitor at /visits/new/, so history, the host's link and mail follow.
        return False

    def has_delete_permission(self, request, obj=None):
        # Deleting would free the desks without telling the visitor (nor their calendar) and lose the
        # history the report counts: "Cancel the selected stays" does it through visit_cancel.
        return False

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.status not in (Visit.Status.SUBMITTED, Visit.Status.ENDORSED):
            # Once desks are held, dates and workspace change only through extensions and services.
            fields += ["first_day", "last_day", "workspace", "needs_desk", "researcher", "host"]
        return fields

    @admin.display(description=_("institution at the time"), ordering="institution_name")
    def institution_display(self, obj):
        return obj.institution_display

    @admin.display(description=_("desk-days allocated"))
    def desk_days(self, obj):
        return obj.allocations.count()

    @admin.display(description=_("seminar warnings"))
    def seminar_warnings(self, obj):
        if obj.seminar_event_id is None:
            return "–"
        warnings = services.visit_seminar_warnings(obj.seminar_event)
        return format_html_join("", "<p><strong>{}</strong></p>", ((w,) for w in warnings)) or gettext(
            "The seminar is within the stay."
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        visit = self.get_object(request, object_id)  # None for an id no stay can have
        if visit is not None and visit.seminar_event_id and request.method == "GET":
            for warning in services.visit_seminar_warnings(visit.seminar_event):
                self.message_user(request, warning, messages.WARNING)
        return super().change_view(request, object_id, form_url, extra_context)

    def _apply(self, request, queryset, action, done_message):
        done = []
        for visit in queryset.select_related("researcher"):
            try:
                done.append(action(visit=visit, by=request.user))
            except ValidationError as error:
                self.message_user(request, f"{visit}: {' '.join(error.messages)}", messages.ERROR)
            else:
                self.message_user(request, f"{visit}: {done_message}", messages.SUCCESS)
        return done

    @admin.action(description=_("Approve the selected stays (with the desk check)"))
    def approve(self, request, queryset):
        for visit in self._apply(request, queryset, services.visit_approve, gettext("approved.")):
            if visit.seminar_event_id is not None:
                for warning in services.visit_seminar_warnings(visit.seminar_event):
                    self.message_user(request, f"{visit}: {warning}", messages.WARNING)

    @admin.action(description=_("Decline the selected stays"))
    def decline(self, request, queryset):
        self._apply(request, queryset, services.visit_decline, gettext("declined."))

    @admin.action(description=_("Cancel the selected stays (with a reason)…"))
    def cancel_stays(self, request, queryset):
        form = CancelStaysForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            note = form.cleaned_data["reason"]
            self._apply(
                request,
                queryset,
                lambda visit, by: services.visit_cancel(visit=visit, by=by, note=note),
                gettext("cancelled; the visitor is told."),
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Cancel stays"),
            "form": form,
            "visits": queryset.select_related("researcher"),
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/visits/visit/cancel_confirmation.html", context)

    @admin.action(description=_("Send the host a new endorsement link"))
    def resend_host_link(self, request, queryset):
        self._apply(
            request, queryset, services.visit_endorsement_resend, gettext("new link sent to the host.")
        )

    @admin.action(description=_("Record arrival (check in)"))
    def check_in(self, request, queryset):
        self._apply(request, queryset, services.visit_check_in, gettext("checked in."))

    @admin.action(description=_("Record departure (check out)"))
    def check_out(self, request, queryset):
        self._apply(request, queryset, services.visit_check_out, gettext("checked out."))


class CancelStaysForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (the visitor reads it)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        error_messages={"required": _("Say why the stay is cancelled: the visitor will read it.")},
    )


@admin.register(Extension)
class ExtensionAdmin(admin.ModelAdmin):
    list_display = ["visit", "new_last_day", "status", "requested_at"]
    list_filter = ["status"]
    list_select_related = ["visit__researcher"]
    readonly_fields = [
        "visit",
        "new_last_day",
        "reason",
        "status",
        "requested_at",
        "decided_at",
        "decided_by",
    ]
    actions = ["approve", "decline"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # A request is answered (approve or decline, and the visitor is told), never deleted.
        return False

    def _apply(self, request, queryset, action, done_message):
        for extension in queryset.select_related("visit__researcher"):
            try:
                action(extension=extension, by=request.user)
            except ValidationError as error:
                self.message_user(request, f"{extension}: {' '.join(error.messages)}", messages.ERROR)
            else:
                self.message_user(request, f"{extension}: {done_message}", messages.SUCCESS)

    @admin.action(description=_("Approve the selected extensions (with the desk check)"))
    def approve(self, request, queryset):
        self._apply(request, queryset, services.extension_approve, gettext("approved."))

    @admin.action(description=_("Decline the selected extensions"))
    def decline(self, request, queryset):
        self._apply(request, queryset, services.extension_decline, gettext("declined."))
