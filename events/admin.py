"""Staff schedule seminars here. Every save and action goes through events.services."""

from django.contrib import admin, messages
from django.contrib.admin.options import ActionLocation
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from hubsite import dates
from hubsite.admin import outbox_changelist_url
from hubsite.models import OutboxMessage
from hubsite.services import outbox_counts_for

from .admin_registration import EventRegistrationAdminMixin, RegistrationInline
from .forms import (
    CancelEventsForm,
    EventForm,
    GenerateSessionsForm,
    InvitationForm,
    RoomForm,
    add_service_errors,
)
from .models import Event, EventSpeaker, Room, Series, SeriesSubscription
from .services import (
    INVITATION_KIND,
    UPDATABLE_FIELDS,
    InvitationError,
    event_cancel,
    event_create,
    event_delete,
    event_duplicate_next_week,
    event_invitations_send,
    event_publish,
    event_update,
    invitation_audience,
    invitation_check,
    invitation_plan,
    series_generate_sessions,
    series_subscription_unsubscribe,
)

# Actions offered on the changelist and on an event's own page.
BOTH_PLACES = [ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM]


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


class SubscriptionStateFilter(admin.SimpleListFilter):
    title = gettext_lazy("status")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("pending", gettext_lazy("Waiting for confirmation")),
            ("active", gettext_lazy("Confirmed")),
            ("unsubscribed", gettext_lazy("Unsubscribed")),
        ]

    def queryset(self, request, queryset):
        match self.value():
            case "pending":
                return queryset.filter(confirmed_at__isnull=True, unsubscribed_at__isnull=True)
            case "active":
                return queryset.active()
            case "unsubscribed":
                return queryset.filter(unsubscribed_at__isnull=False)
        return queryset


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    form = RoomForm
    list_display = ["name", "location", "capacity", "is_bookable"]
    list_filter = ["is_bookable"]
    search_fields = ["name", "location"]


@admin.register(Series)
class SeriesAdmin(admin.ModelAdmin):
    list_display = ["title", "default_weekday", "default_start_time", "default_room", "is_public"]
    list_select_related = ["default_room"]
    list_filter = ["is_public", "themes"]
    search_fields = ["title", "title_ko", "description"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["organisers"]
    filter_horizontal = ["themes"]
    actions = ["generate_sessions"]

    def get_urls(self):
        return [
            path(
                "<int:pk>/generate/",
                self.admin_site.admin_view(self.generate_sessions_view),
                name="events_series_generate",
            ),
            *super().get_urls(),
        ]

    @admin.action(description=gettext_lazy("Generate sessions for the selected series…"))
    def generate_sessions(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(
                request, _("Choose exactly one series to generate sessions for."), messages.ERROR
            )
            return None
        return HttpResponseRedirect(reverse("admin:events_series_generate", args=[queryset.get().pk]))

    def generate_sessions_view(self, request, pk):
        series = get_object_or_404(Series.objects.select_related("default_room"), pk=pk)
        if not self.has_change_permission(request, series) or not request.user.has_perm("events.add_event"):
            return HttpResponseRedirect(reverse("admin:index"))
        form = GenerateSessionsForm(request.POST or None, series=series)
        plan = None
        if request.method == "POST" and form.is_valid():
            arguments = {
                "series": series,
                "first_date": form.cleaned_data["first_date"],
                "last_date": form.cleaned_data["last_date"],
                "every_weeks": form.cleaned_data["every_weeks"],
                "by": request.user,
            }
            try:
                if "confirm" in request.POST:
                    plan = series_generate_sessions(**arguments)
                    self.message_user(
                        request,
                        ngettext(
                            "%(count)d draft session created.",
                            "%(count)d draft sessions created.",
                            len(plan.sessions),
                        )
                        % {"count": len(plan.sessions)},
                        messages.SUCCESS,
                    )
                    for day, reason in plan.skipped:
                        self.message_user(
                            request, f"{dates.fmt(day, 'day_weekday')}: {reason}", messages.WARNING
                        )
                    changelist = reverse("admin:events_event_changelist")
                    return HttpResponseRedirect(
                        f"{changelist}?series__id__exact={series.pk}&status__exact=draft"
                    )
                plan = series_generate_sessions(**arguments, dry_run=True)
            except ValidationError as error:
                add_service_errors(form, error)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Generate sessions: %(series)s") % {"series": series.display_title},
            "series": series,
            "form": form,
            "plan": plan,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/events/series/generate_sessions.html", context)


class EventSpeakerInline(admin.TabularInline):
    model = EventSpeaker
    extra = 0
    autocomplete_fields = ["researcher"]
    fields = ["researcher", "role", "order"]


@admin.register(Event)
class EventAdmin(EventRegistrationAdminMixin, admin.ModelAdmin):
    form = EventForm
    inlines = [EventSpeakerInline, RegistrationInline]
    list_display = [
        "local_start",
        "title",
        "series",
        "room",
        "status",
        "registrations_capacity",
        "waiting_list_count",
    ]
    list_display_links = ["local_start", "title"]
    list_select_related = ["series", "room"]
    list_filter = ["status", "series", "themes", "room", "kind", ("start", admin.DateFieldListFilter)]
    date_hierarchy = "start"
    search_fields = ["title", "title_ko", "abstract", "speaker_links__researcher__name"]
    ordering = ["-start"]
    list_per_page = 50
    readonly_fields = [
        "status",
        "cancellation_reason",
        "sequence",
        "calendar_uid",
        "published_at",
        "public_link",
        "delivery_counts",
        "visitor_stay",
    ]
    autocomplete_fields = ["project"]
    filter_horizontal = ["themes"]
    actions = [
        "publish_events",
        "cancel_events",
        "duplicate_next_week",
        "export_registrations_csv",
        "fill_free_seats",
        "invite_people",
    ]
    fieldsets = [
        (None, {"fields": ["kind", "series", "project", "title", "title_ko", "slug", "abstract"]}),
        (gettext_lazy("When"), {"fields": ["time_zone", "start", "end"]}),
        (gettext_lazy("Where"), {"fields": ["format", "room", "online_url", "capacity", "online_capacity"]}),
        (gettext_lazy("Registration"), {"fields": ["registration_opens", "registration_closes"]}),
        (
            gettext_lazy("Audience"),
            {"fields": ["visibility", "language", "themes", "speakers_tba", "recording_url", "slides_url"]},
        ),
        (
            gettext_lazy("Status"),
            {
                "fields": [
                    "status",
                    "cancellation_reason",
                    "published_at",
                    "sequence",
                    "calendar_uid",
                    "public_link",
                    "visitor_stay",
                ]
            },
        ),
        (gettext_lazy("Mail"), {"fields": ["delivery_counts"]}),
    ]

    # --- Columns -------------------------------------------------------------------------------

    @admin.display(description=gettext_lazy("start (local)"), ordering="start")
    def local_start(self, obj: Event) -> str:
        return dates.moment(obj.start, zone=obj.time_zone)

    def registration_count(self, obj: Event) -> int | None:
        """Confirmed registrations, annotated by EventRegistrationAdminMixin.get_queryset."""
        return getattr(obj, "confirmed_count", None)

    @admin.display(description=gettext_lazy("registrations / capacity"))
    def registrations_capacity(self, obj: Event) -> str:
        count = self.registration_count(obj)
        seats = obj.seats if obj.has_in_person_part else None
        left = "—" if count is None else str(count)
        right = "∞" if seats is None else str(seats)
        return f"{left} / {right}"

    @admin.display(description=gettext_lazy("public page"))
    def public_link(self, obj: Event) -> str:
        if not obj.pk or not obj.slug:  # a refused form may have emptied the slug (made on save)
            return "—"
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), obj.get_absolute_url())

    @admin.display(description=gettext_lazy("mail about this event"))
    def delivery_counts(self, obj: Event) -> str:
        """Delivery counts from the outbox (one query) and a link to those messages."""
        if not obj.pk:
            return "—"
        counts = outbox_counts_for(obj)
        labels = dict(OutboxMessage.Status.choices)
        summary = format_html_join(
            " · ", "{}: {}", ((labels[status], count) for status, count in counts.items())
        )
        return format_html(
            '{} — <a href="{}">{}</a>',
            summary,
            outbox_changelist_url(obj),
            _("Show these messages in the outbox"),
        )

    @staticmethod
    def stay_warning(event: Event) -> str:
        """The visitor's stay warning when `event` is a visitor's seminar (reached through the
        reverse relation `event.visit`; the stay model owns the rule), or ""."""
        if not event.pk:
            return ""
        visit = getattr(event, "visit", None)
        return visit.seminar_outside_stay_warning(event) if visit is not None else ""

    @admin.display(description=gettext_lazy("visitor's stay"))
    def visitor_stay(self, obj: Event) -> str:
        visit = getattr(obj, "visit", None) if obj.pk else None
        if visit is None:
            return "—"
        warning = visit.seminar_outside_stay_warning(obj)
        if warning:
            return format_html("<strong>{}</strong>", warning)
        return _("The seminar is within %(name)s's stay (%(first)s to %(last)s).") % {
            "name": visit.researcher.display_name,
            "first": dates.fmt(visit.first_day, "day"),
            "last": dates.fmt(visit.last_day, "day"),
        }

    # --- Saving through the services -------------------------------------------------------------

    def has_delete_permission(self, request, obj=None):
        # Nothing published is ever deleted: cancel it instead.
        if obj is not None and not obj.is_draft:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        # One draft at a time, on its own page, through event_delete.
        actions.pop("delete_selected", None)
        return actions

    def delete_model(self, request, obj):
        event_delete(event=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for event in queryset:
            event_delete(event=event, by=request.user)

    def delete_view(self, request, object_id, extra_context=None):
        event = self.get_object(request, unquote(object_id))
        try:
            if event is not None and not event.is_draft:
                # Published since the page was opened: say so rather than answer 403.
                event_delete(event=event, by=request.user)
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as error:
            self.message_user(request, _error_text(error), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:events_event_change", args=[event.pk]))

    def save_model(self, request, obj, form, change):
        values = {name: form.cleaned_data[name] for name in UPDATABLE_FIELDS if name in form.cleaned_data}
        if change:
            event_update(event=obj, by=request.user, **values)
            if warning := self.stay_warning(obj):
                self.message_user(request, warning, messages.WARNING)
            return
        created = event_create(by=request.user, **values)
        # The admin goes on with `obj` (themes, inlines, the redirect): make it the created row.
        obj.pk = created.pk
        for model_field in Event._meta.concrete_fields:
            setattr(obj, model_field.attname, getattr(created, model_field.attname))
        obj._state.adding = False
        obj._state.db = created._state.db

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            # The service refused under the room lock what the form had accepted a moment before:
            # someone else booked the room in between. Nothing was saved.
            self.message_user(request, _error_text(error), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    # --- Actions -----------------------------------------------------------------------------------

    def _run_each(self, request, queryset, service, done_message):
        done = 0
        for event in queryset:
            try:
                service(event=event, by=request.user)
                done += 1
            except ValidationError as error:
                self.message_user(request, f"{event.display_title}: {_error_text(error)}", messages.ERROR)
        if done:
            self.message_user(request, done_message(done), messages.SUCCESS)

    @admin.action(
        description=gettext_lazy("Publish the selected drafts"), permissions=["change"], location=BOTH_PLACES
    )
    def publish_events(self, request, queryset):
        self._run_each(
            request,
            queryset,
            event_publish,
            lambda n: ngettext("%(count)d event published.", "%(count)d events published.", n) % {"count": n},
        )

    @admin.action(
        description=gettext_lazy("Duplicate the selected events to the next week"),
        permissions=["add"],
        location=BOTH_PLACES,
    )
    def duplicate_next_week(self, request, queryset):
        self._run_each(
            request,
            queryset,
            event_duplicate_next_week,
            lambda n: (
                ngettext(
                    "%(count)d draft copy made a week later.", "%(count)d draft copies made a week later.", n
                )
                % {"count": n}
            ),
        )

    @admin.action(
        description=gettext_lazy("Cancel the selected events (with a reason)…"),
        permissions=["change"],
        location=BOTH_PLACES,
    )
    def cancel_events(self, request, queryset):
        form = CancelEventsForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            reason = form.cleaned_data["reason"]
            self._run_each(
                request,
                queryset,
                lambda event, by: event_cancel(event=event, reason=reason, by=by),
                lambda n: (
                    ngettext("%(count)d event cancelled.", "%(count)d events cancelled.", n) % {"count": n}
                ),
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Cancel events"),
            "form": form,
            "events": queryset.select_related("room"),
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/events/event/cancel_confirmation.html", context)

    # --- Invitations -------------------------------------------------------------------------------

    def get_urls(self):
        return [
            path(
                "<int:pk>/invite/", self.admin_site.admin_view(self.invite_view), name="events_event_invite"
            ),
            *super().get_urls(),
        ]

    @admin.action(
        description=gettext_lazy("Send invitations to the selected event…"),
        permissions=["change"],
        location=BOTH_PLACES,
    )
    def invite_people(self, request, queryset):
        events = list(queryset[:2])
        if len(events) != 1:
            self.message_user(request, _("Choose exactly one event to send invitations for."), messages.ERROR)
            return None
        return HttpResponseRedirect(reverse("admin:events_event_invite", args=[events[0].pk]))

    def invite_view(self, request, pk):
        event = get_object_or_404(Event.objects.select_related("series", "room"), pk=pk)
        if not self.has_change_permission(request, event):
            return HttpResponseRedirect(reverse("admin:index"))
        change_url = reverse("admin:events_event_change", args=[event.pk])
        try:
            invitation_check(event)
        except InvitationError as error:
            self.message_user(request, _error_text(error), messages.ERROR)
            return HttpResponseRedirect(change_url)
        form = InvitationForm(request.POST or None, event=event)
        plan = None
        if request.method == "POST" and form.is_valid():
            plan = invitation_plan(
                event=event, audiences=form.cleaned_data["audiences"], pasted=form.cleaned_data["pasted"]
            )
            if "confirm" in request.POST:
                try:
                    new = event_invitations_send(event=event, invitees=plan.new, by=request.user)
                except InvitationError as error:
                    self.message_user(request, _error_text(error), messages.ERROR)
                    return HttpResponseRedirect(change_url)
                already = len(plan.invitees) - len(plan.new)
                self.message_user(
                    request,
                    ngettext("%(count)d invitation queued.", "%(count)d invitations queued.", new)
                    % {"count": new}
                    + " "
                    + ngettext(
                        "%(count)d person had already been invited and got nothing more.",
                        "%(count)d people had already been invited and got nothing more.",
                        already,
                    )
                    % {"count": already},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(change_url)
        audience_counts = [
            (value, label, len(invitation_audience(event=event, audience=value)))
            for value, label in form.fields["audiences"].choices
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": _("Invitations: %(title)s") % {"title": event.display_title},
            "event": event,
            "form": form,
            "plan": plan,
            "audience_counts": audience_counts,
            "change_url": change_url,
            "sent_url": outbox_changelist_url(event, kind__exact=INVITATION_KIND),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/events/event/invite.html", context)

    formfield_overrides = {models.TextField: {"widget": admin.widgets.AdminTextareaWidget(attrs={"rows": 6})}}


@admin.register(SeriesSubscription)
class SeriesSubscriptionAdmin(admin.ModelAdmin):
    """Who asked for a series' announcements. Addresses come and go through the double opt-in
    pages only (events.services), so staff read here and cannot add or edit."""

    list_display = ["email", "series", "state", "language", "requested_at", "confirmed_at", "unsubscribed_at"]
    list_select_related = ["series"]
    list_filter = [SubscriptionStateFilter, "series", "language"]
    search_fields = ["email", "series__title"]
    date_hierarchy = "requested_at"
    ordering = ["series__title", "email"]
    fields = [
        "email",
        "series",
        "language",
        "requested_at",
        "confirmations_sent",
        "confirmed_at",
        "unsubscribed_at",
    ]
    readonly_fields = fields

    @admin.display(description=gettext_lazy("status"))
    def state(self, obj: SeriesSubscription) -> str:
        if obj.unsubscribed_at is not None:
            return _("Unsubscribed")
        if obj.confirmed_at is not None:
            return _("Confirmed")
        return _("Waiting for confirmation")

    actions = ["unsubscribe"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # The row is the record that the address asked and confirmed (and the key of the mail sent
        # to it): it is stopped, not deleted.
        return False

    def has_unsubscribe_permission(self, request):
        # The form stays read-only (has_change_permission); stopping a subscription is a change.
        return request.user.has_perm("events.change_seriessubscription")

    @admin.action(description=gettext_lazy("Unsubscribe the selected addresses"), permissions=["unsubscribe"])
    def unsubscribe(self, request, queryset):
        stopped = sum(
            series_subscription_unsubscribe(token=subscription.token).changed for subscription in queryset
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d address unsubscribed: it gets no more announcements.",
                "%(count)d addresses unsubscribed: they get no more announcements.",
                stopped,
            )
            % {"count": stopped},
            messages.SUCCESS,
        )
