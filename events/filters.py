"""The filters of the events page, shared with the iCalendar feed of the same list.

`EventFilterForm(request.GET).filter(queryset)` narrows any Event queryset the way `/events/` does,
`when` included (upcoming by default, `past` for the archive, newest first). A value that is
unknown or malformed (a day outside the site's calendar too) is ignored, never an error: the
other filters still apply, and the events page names the one left out beside its field.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from hubsite import forms as hub_forms
from researchers.models import Theme

from .models import Event, Series


class EventFilterForm(forms.Form):
    WHEN_CHOICES = [("", _("Upcoming")), ("past", _("Past (archive)"))]
    # Filters whose values have no small bound (free text, dates): pages and feeds filtered by them
    # are answered but never stored in the cache (hubsite.pagecache.page_query).
    UNBOUNDED = ("q", "date_from", "date_to")

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    series = hub_forms.ReaderLanguageModelChoiceField(
        label=_("Series"), queryset=Series.objects.public(), to_field_name="slug", required=False
    )
    theme = hub_forms.ReaderLanguageModelChoiceField(
        label=_("Theme"), queryset=Theme.objects.all(), to_field_name="slug", required=False
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("Any kind")), *Event.Kind.choices], required=False
    )
    format = forms.ChoiceField(
        label=_("Format"), choices=[("", _("Any format")), *Event.Format.choices], required=False
    )
    language = forms.ChoiceField(
        label=_("Language"), choices=[("", _("Any language")), *Event.Language.choices], required=False
    )
    date_from = hub_forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    date_to = hub_forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    when = forms.ChoiceField(label=_("When"), choices=WHEN_CHOICES, required=False)

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data if data is not None else {}, *args, **kwargs)
        self.fields["series"].empty_label = _("Any series")
        self.fields["theme"].empty_label = _("Any theme")

    @property
    def values(self) -> dict:
        """The filters that were understood (invalid ones dropped)."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}

    @property
    def is_past(self) -> bool:
        return self.values.get("when") == "past"

    @property
    def is_filtered(self) -> bool:
        return any(name != "when" for name in self.values)

    def filter(self, queryset: QuerySet[Event], *, apply_when: bool = True) -> QuerySet[Event]:
        """The events matching the filters; `apply_when=False` leaves the time window to the caller
        (the calendar feeds keep their own: the last 90 days and the future)."""
        values = self.values
        zone = ZoneInfo(settings.TIME_ZONE)
        if values.get("q"):
            queryset = queryset.search(values["q"].strip())
        if values.get("series"):
            queryset = queryset.filter(series=values["series"])
        if values.get("theme"):
            queryset = queryset.filter(Q(themes=values["theme"]))
        for name in ("kind", "format", "language"):
            if values.get(name):
                queryset = queryset.filter(**{name: values[name]})
        # Dates are days in the hub's own zone (Seoul), the days printed on the posters.
        if values.get("date_from"):
            queryset = queryset.filter(start__gte=dt.datetime.combine(values["date_from"], dt.time(), zone))
        if values.get("date_to"):
            queryset = queryset.filter(
                start__lt=dt.datetime.combine(values["date_to"] + dt.timedelta(days=1), dt.time(), zone)
            )
        if not apply_when:
            return queryset
        return queryset.past() if values.get("when") == "past" else queryset.upcoming()
