from django.contrib import admin, messages
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import OutboxMessage
from .services import outbox_retry

ABOUT_PARAMETER = "about"


def outbox_changelist_url(obj: models.Model, **filters: str) -> str:
    """The outbox in the admin, narrowed to the mail about `obj` (e.g. an event), plus any filters."""
    content_type = ContentType.objects.get_for_model(obj)
    return outbox_changelist_url_for_type(content_type.pk, obj.pk, **filters)


class AboutObjectFilter(admin.SimpleListFilter):
    """Mail about one object, whatever its type: `?about=<content type id>:<object id>`.

    Shown only while in use; pages about an object (the event admin) link here."""

    title = _("about")
    parameter_name = ABOUT_PARAMETER

    def _parse(self):
        content_type_id, _sep, object_id = (self.value() or "").partition(":")
        if content_type_id.isdigit() and object_id.isdigit():
            return int(content_type_id), int(object_id)
        return None

    def lookups(self, request, model_admin):
        parsed = self._parse()
        if parsed is None:
            return [(self.value(), _("(unknown)"))] if self.value() else []
        try:
            content_type = ContentType.objects.get_for_id(parsed[0])
            obj = content_type.get_object_for_this_type(pk=parsed[1])
            label = f"{content_type.name}: {obj}"
        except (ContentType.DoesNotExist, models.ObjectDoesNotExist):
            label = _("(deleted object)")
        return [(self.value(), label)]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        parsed = self._parse()
        if parsed is None:
            return queryset.none()
        return queryset.filter(content_type_id=parsed[0], object_id=parsed[1])


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = [
        "created",
        "kind",
        "recipient",
        "about_link",
        "status",
        "attempts",
        "sent_at",
        "short_error",
    ]
    list_filter = [
        "status",
        "kind",
        ("content_type", admin.RelatedOnlyFieldListFilter),
        AboutObjectFilter,
    ]
    list_select_related = ["content_type"]
    search_fields = ["recipient", "subject"]
    actions = ["retry_failed"]
    show_full_result_count = False

    class Media:
        css = {"all": ["css/outbox-admin.css"]}

    fieldsets = [
        (
            _("Delivery"),
            {
                "fields": [
                    "status",
                    "attempts",
                    "errors",
                    "created",
                    "next_attempt_at",
                    "claimed_at",
                    "sent_at",
                    "failed_at",
                ]
            },
        ),
        (
            _("Message"),
            {"fields": ["kind", "about_link", "recipient", "revision", "language", "message_id", "headers"]},
        ),
        (
            _("Content"),
            {"fields": ["subject", "text_body", "html_source", "html_preview", "attachment_names"]},
        ),
    ]
    # Every field shown is read-only: a message is changed only by sending or retrying it.
    readonly_fields = [name for _title, options in fieldsets for name in options["fields"]]

    def has_add_permission(self, request):
        # Mail is written by the code that causes it, never by hand.
        return False

    def has_delete_permission(self, request, obj=None):
        # A row is the record that a message was sent (the invitation rows say who hears of a
        # cancellation) and what keeps it from being sent twice: it is never deleted.
        return False

    def get_urls(self):
        preview = self.admin_site.admin_view(self.html_preview_view)
        return [
            path("<int:pk>/preview/", preview, name="hubsite_outboxmessage_preview"),
            *super().get_urls(),
        ]

    @admin.display(description=_("about"))
    def about_link(self, obj):
        url = outbox_changelist_url_for_type(obj.content_type_id, obj.object_id)
        return format_html('<a href="{}">{} #{}</a>', url, obj.content_type.name, obj.object_id)

    @admin.display(description=_("last error"))
    def short_error(self, obj):
        # A sent message has no error now; what an earlier attempt met is on its own page.
        if obj.status == OutboxMessage.Status.SENT:
            return ""
        return obj.last_error[:80] + ("…" if len(obj.last_error) > 80 else "")

    @admin.display(description=_("errors"))
    def errors(self, obj):
        if not obj.last_error:
            return "—"
        if obj.status == OutboxMessage.Status.SENT:
            return _("None: sent on attempt %(attempt)d. An earlier attempt failed: %(error)s") % {
                "attempt": obj.attempts,
                "error": obj.last_error,
            }
        return obj.last_error

    @admin.display(description=_("plain text"))
    def text_body(self, obj):
        return _scrollable_text(obj.body_text, _("plain text"))

    @admin.display(description=_("HTML (source)"))
    def html_source(self, obj):
        # Shown as text: the message's HTML never becomes part of the admin page.
        if not obj.body_html:
            return "—"
        return _scrollable_text(obj.body_html, _("HTML (source)"))

    @admin.display(description=_("HTML (preview)"))
    def html_preview(self, obj):
        if not obj.pk or not obj.body_html:
            return "—"
        url = reverse("admin:hubsite_outboxmessage_preview", args=[obj.pk])
        # A sandboxed frame (no scripts, no forms, its own origin) on a page with its own strict CSP.
        return format_html(
            '<iframe sandbox src="{}" title="{}" width="100%" height="480"></iframe>'
            '<p><a href="{}" target="_blank" rel="noopener">{}</a></p>',
            url,
            _("Preview of the HTML part"),
            url,
            _("Open the preview on its own"),
        )

    @admin.display(description=_("attachments"))
    def attachment_names(self, obj):
        return ", ".join(f"{a['filename']} ({a['content_type']})" for a in obj.attachments) or "—"

    @admin.action(description=_("Send the selected failed messages again"), permissions=["change"])
    def retry_failed(self, request, queryset):
        selected = list(queryset.values_list("pk", flat=True))
        retried = outbox_retry(pks=selected)
        if retried:
            self.message_user(
                request,
                ngettext(
                    "%(count)d failed message was queued to be sent again.",
                    "%(count)d failed messages were queued to be sent again.",
                    retried,
                )
                % {"count": retried},
                messages.SUCCESS,
            )
        if len(selected) > retried:
            self.message_user(
                request,
                ngettext(
                    "%(count)d selected message had not failed and was left as it is.",
                    "%(count)d selected messages had not failed and were left as they are.",
                    len(selected) - retried,
                )
                % {"count": len(selected) - retried},
                messages.WARNING,
            )

    def html_preview_view(self, request, pk):
        message = get_object_or_404(OutboxMessage, pk=pk)
        if not self.has_view_permission(request, message):
            return HttpResponse(status=403)
        response = HttpResponse(message.body_html, content_type="text/html; charset=utf-8")
        return _sandboxed(response)


def outbox_changelist_url_for_type(content_type_id: int, object_id: int, **filters: str) -> str:
    query = {ABOUT_PARAMETER: f"{content_type_id}:{object_id}", **filters}
    return f"{reverse('admin:hubsite_outboxmessage_changelist')}?{urlencode(query)}"


def _sandboxed(response: HttpResponse) -> HttpResponse:
    """The message's own HTML, in a document that can run nothing and reach nothing."""
    response["Content-Security-Policy"] = (
        "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"
    )
    response["X-Frame-Options"] = "SAMEORIGIN"
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _scrollable_text(text: str, label: str):
    """A message body as text in a box of bounded height: focusable and named, so that a keyboard
    can scroll it and a screen reader says what it is (axe: scrollable-region-focusable)."""
    return format_html('<pre class="outbox-body" tabindex="0" aria-label="{}">{}</pre>', label, text)
