"""Staff tools for registrations: the inline on the event, check-in, promote, CSV export, counts.

Every write goes through events.services; the admin only chooses rows and shows messages.
"""

from django.contrib import admin, messages
from django.db.models import Count, Q
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from hubsite.spreadsheets import csv_writer

from . import services
from .models import Registration

CSV_COLUMNS = [
    ("event", _("event")),
    ("name", _("name")),
    ("email", _("e-mail")),
    ("attendance", _("attendance")),
    ("status", _("status")),
    ("position", _("waiting position")),
    ("created", _("registered at")),
    ("confirmed_at", _("confirmed at")),
    ("checked_in_at", _("checked in at")),
]


def registrations_csv_response(registrations, *, filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # so that spreadsheet apps read UTF-8 names correctly
    writer = csv_writer(response)  # no cell starts a formula (hubsite/spreadsheets.py)
    writer.writerow([str(label) for _name, label in CSV_COLUMNS])
    for registration in registrations:
        writer.writerow(
            [
                registration.event.title,
                registration.name,
                registration.email,
                registration.get_attendance_display(),
                registration.get_status_display(),
                registration.position or "",
                timezone.localtime(registration.created).isoformat(timespec="minutes"),
                timezone.localtime(registration.confirmed_at).isoformat(timespec="minutes")
                if registration.confirmed_at
                else "",
                timezone.localtime(registration.checked_in_at).isoformat(timespec="minutes")
                if registration.checked_in_at
                else "",
            ]
        )
    return response


class RegistrationInline(admin.TabularInline):
    model = Registration
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ["name", "email", "attendance", "status", "position", "created", "checked_in_at"]
    readonly_fields = fields
    ordering = ["status", "queued_at", "created", "pk"]

    def get_queryset(self, request):
        return super().get_queryset(request).with_position()

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("waiting position"))
    def position(self, registration):
        return registration.position or "–"


def _run(modeladmin, request, registrations, action, done_message):
    done = 0
    for registration in registrations:
        try:
            action(registration=registration)
        except services.RegistrationError as error:
            modeladmin.message_user(request, f"{registration}: {error.messages[0]}", messages.ERROR)
        else:
            done += 1
    if done:
        modeladmin.message_user(request, done_message(done), messages.SUCCESS)


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "event", "attendance", "status", "position", "created", "checked_in_at"]
    list_filter = ["status", "attendance", ("checked_in_at", admin.EmptyFieldListFilter)]
    list_select_related = ["event"]
    search_fields = ["name", "email", "event__title", "event__slug"]
    autocomplete_fields = []
    date_hierarchy = "created"
    actions = ["check_in", "promote", "cancel_registrations", "export_csv"]
    readonly_fields = [
        "event",
        "user",
        "name",
        "email",
        "attendance",
        "status",
        "language",
        "hold_expires",
        "queued_at",
        "confirmed_at",
        "promoted_at",
        "cancelled_at",
        "checked_in_at",
        "created",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).with_position()

    def has_add_permission(self, request):
        # A registration is made through the site's rules (seats, waiting list, mail), never by hand.
        return False

    def has_delete_permission(self, request, obj=None):
        # Deleting would free a seat without promoting the waiting list or telling the person:
        # "Cancel the selected registrations" does both.
        return False

    @admin.display(description=_("waiting position"), ordering="queued_at")
    def position(self, registration):
        return registration.position or "–"

    @admin.action(description=_("Check in (attended)"))
    def check_in(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            services.registration_check_in,
            lambda n: ngettext("%(n)d person checked in.", "%(n)d people checked in.", n) % {"n": n},
        )

    @admin.action(description=_("Promote from the waiting list (needs a free seat)"))
    def promote(self, request, queryset):
        _run(
            self,
            request,
            queryset.order_by("queued_at", "pk"),
            services.registration_promote,
            lambda n: ngettext("%(n)d person promoted.", "%(n)d people promoted.", n) % {"n": n},
        )

    @admin.action(
        description=_("Cancel the selected registrations (the people are told)"), permissions=["change"]
    )
    def cancel_registrations(self, request, queryset):
        promoted = []

        def cancel(*, registration):
            promoted.extend(services.registration_cancel(registration=registration))

        _run(
            self,
            request,
            queryset.order_by("pk"),
            cancel,
            lambda n: (
                ngettext("%(n)d registration cancelled.", "%(n)d registrations cancelled.", n) % {"n": n}
            ),
        )
        if promoted:
            count = len(promoted)
            self.message_user(
                request,
                ngettext(
                    "%(n)d person was promoted from the waiting list.",
                    "%(n)d people were promoted from the waiting list.",
                    count,
                )
                % {"n": count},
                messages.SUCCESS,
            )

    @admin.action(description=_("Export as CSV"))
    def export_csv(self, request, queryset):
        return registrations_csv_response(
            queryset.select_related("event").order_by("event__start", "status", "queued_at", "created", "pk"),
            filename="registrations.csv",
        )


class EventRegistrationAdminMixin:
    """For the EventAdmin: registration counts in the list, the inline, export and refill actions."""

    registration_inline = RegistrationInline

    def get_queryset(self, request):
        confirmed = Q(registrations__status=Registration.Status.CONFIRMED)
        return (
            super()
            .get_queryset(request)
            .annotate(
                confirmed_count=Count("registrations", filter=confirmed, distinct=True),
                waiting_count=Count(
                    "registrations",
                    filter=Q(registrations__status=Registration.Status.WAITING),
                    distinct=True,
                ),
            )
        )

    @admin.display(description=_("registered"), ordering="confirmed_count")
    def registered_count(self, event):
        return event.confirmed_count

    @admin.display(description=_("waiting"), ordering="waiting_count")
    def waiting_list_count(self, event):
        return event.waiting_count

    @admin.action(description=_("Export registrations as CSV"))
    def export_registrations_csv(self, request, queryset):
        registrations = (
            Registration.objects.filter(event__in=queryset)
            .with_position()
            .select_related("event")
            .order_by("event__start", "event__pk", "status", "queued_at", "created", "pk")
        )
        slugs = list(queryset.values_list("slug", flat=True)[:2])
        filename = f"registrations-{slugs[0]}.csv" if len(slugs) == 1 else "registrations.csv"
        return registrations_csv_response(registrations, filename=filename)

    @admin.action(description=_("Fill free seats from the waiting list"))
    def fill_free_seats(self, request, queryset):
        promoted = sum(len(services.registration_fill_free_seats(event=event)) for event in queryset)
        self.message_user(
            request,
            ngettext("%(n)d person promoted.", "%(n)d people promoted.", promoted) % {"n": promoted},
            messages.SUCCESS,
        )
