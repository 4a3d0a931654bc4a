"""Minimal EventAdmin of the `regfeeds` branch, so the registration inline can be seen and tested.

The `seminars` branch owns the real EventAdmin; at merge it adds `EventRegistrationAdminMixin`
(first in its bases), `RegistrationInline` to its inlines, the two count columns and the actions.
"""

from django.contrib import admin

from .admin_registration import EventRegistrationAdminMixin, RegistrationInline
from .models import Event


@admin.register(Event)
class EventAdmin(EventRegistrationAdminMixin, admin.ModelAdmin):
    list_display = ["title", "start", "status", "capacity", "registered_count", "waiting_list_count"]
    list_filter = ["status", "format"]
    list_select_related = ["room"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [RegistrationInline]
    actions = ["export_registrations_csv", "fill_free_seats"]
