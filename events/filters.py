"""Filters of the events page, shared by `/events/` and `/events/calendar.ics`.

Minimal version written in the `regfeeds` branch to the agreed interface; the `seminars` branch
owns the real one (same class name, fields and `.filter(queryset)`), which replaces this at merge.
Invalid values are ignored, never an error: a feed URL someone subscribed to keeps working.
"""

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Event


class EventFilterForm(forms.Form):
    WHEN_CHOICES = [("upcoming", _("Upcoming")), ("past", _("Past")), ("all", _("All"))]

    series = forms.SlugField(label=_("Series"), required=False)
    theme = forms.SlugField(label=_("Theme"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("Any")), *Event.Kind.choices])
    format = forms.ChoiceField(
        label=_("Format"), required=False, choices=[("", _("Any")), *Event.Format.choices]
    )
    language = forms.ChoiceField(
        label=_("Language"), required=False, choices=[("", _("Any")), *Event.Language.choices]
    )
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    date_from = forms.DateField(label=_("From"), required=False)
    date_to = forms.DateField(label=_("To"), required=False)
    when = forms.ChoiceField(label=_("When"), required=False, choices=WHEN_CHOICES)

    def valid_values(self) -> dict:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {name: value for name, value in data.items() if name not in self.errors and value}

    def filter(self, queryset):
        values = self.valid_values()
        if "series" in values:
            queryset = queryset.filter(series__slug=values["series"])
        if "theme" in values:
            queryset = queryset.filter(themes__slug=values["theme"])
        for name in ("kind", "format", "language"):
            if name in values:
                queryset = queryset.filter(**{name: values[name]})
        if "q" in values:
            words = values["q"].split()[:8]
            for word in words:
                queryset = queryset.filter(
                    Q(title__icontains=word)
                    | Q(title_ko__icontains=word)
                    | Q(abstract__icontains=word)
                    | Q(speaker_links__researcher__name__icontains=word)
                )
        if "date_from" in values:
            queryset = queryset.filter(end__date__gte=values["date_from"])
        if "date_to" in values:
            queryset = queryset.filter(start__date__lte=values["date_to"])
        now = timezone.now()
        if values.get("when") == "upcoming":
            queryset = queryset.filter(end__gte=now)
        elif values.get("when") == "past":
            queryset = queryset.filter(end__lt=now)
        return queryset.distinct()
