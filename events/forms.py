"""Input validation for staff forms (admin). Writes go through events.services."""

import datetime as dt
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hubsite import forms as hub_forms
from hubsite import limits
from hubsite.validators import validate_time_zone

from .models import Event, Room, Series
from .services import Audience, event_check, invitation_parse_addresses, local_to_aware, unique_event_slug

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


class LocalDateTimeField(hub_forms.DateTimeField):
    """A wall-clock time with no zone attached: the form combines it with the event's own zone."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_FORMAT)

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", [LOCAL_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"])
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, dt.datetime):
            return value.replace(tzinfo=None) if timezone.is_aware(value) else value
        for fmt in self.input_formats:
            try:
                return dt.datetime.strptime(str(value).strip(), fmt)
            except ValueError:
                continue
        raise ValidationError(self.error_messages["invalid"], code="invalid")

    def prepare_value(self, value):
        return value.strftime(LOCAL_FORMAT) if isinstance(value, dt.datetime) else value


LOCAL_TIME_FIELDS = ("start", "end", "registration_opens", "registration_closes")


class EventForm(forms.ModelForm):
    """Start and end are typed in the event's own time zone, whatever the site's or the browser's."""

    start = LocalDateTimeField(label=_("start (in the event's time zone)"))
    end = LocalDateTimeField(label=_("end (in the event's time zone)"))
    registration_opens = LocalDateTimeField(
        label=_("registration opens (in the event's time zone)"),
        required=False,
        help_text=_("Empty: open as soon as the event is published."),
    )
    registration_closes = LocalDateTimeField(
        label=_("registration closes (in the event's time zone)"),
        required=False,
        help_text=_("Empty: closes at the start."),
    )

    class Meta:
        model = Event
        fields = [
            "kind",
            "series",
            "project",
            "title",
            "title_ko",
            "slug",
            "abstract",
            "time_zone",
            "start",
            "end",
            "format",
            "room",
            "online_url",
            "capacity",
            "online_capacity",
            "registration_opens",
            "registration_closes",
            "visibility",
            "language",
            "themes",
            "speakers_tba",
            "recording_url",
            "slides_url",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        instance = self.instance
        if instance.pk and instance.start and instance.end:
            zone = ZoneInfo(instance.time_zone)
            for name in LOCAL_TIME_FIELDS:
                value = getattr(instance, name)
                if value is not None:
                    self.initial[name] = value.astimezone(zone).replace(tzinfo=None)
        self.fields["slug"].required = False
        self.fields["slug"].help_text = _("Leave empty to make one from the title and date.")

    def _post_clean(self):
        # The model instance gets aware datetimes: convert before ModelForm copies cleaned_data onto it.
        time_zone = self.cleaned_data.get("time_zone")
        zone_ok = False
        if time_zone:
            try:
                validate_time_zone(time_zone)
                zone_ok = True
            except ValidationError as error:
                if "time_zone" not in self.errors:
                    self.add_error("time_zone", error)
        for name in LOCAL_TIME_FIELDS:
            value = self.cleaned_data.get(name)
            if value is None and name in ("registration_opens", "registration_closes") and zone_ok:
                continue  # optional: empty means the default
            if value is None or not zone_ok:
                self.cleaned_data.pop(name, None)
                continue
            try:
                self.cleaned_data[name] = local_to_aware(value, time_zone, field_name=name)
            except ValidationError as error:
                self.cleaned_data.pop(name, None)
                self._add_service_errors(error)
        start, end = self.cleaned_data.get("start"), self.cleaned_data.get("end")
        if start and end and end <= start:
            self.add_error("end", _("The end must be after the start."))
        opens, closes = (
            self.cleaned_data.get("registration_opens"),
            self.cleaned_data.get("registration_closes"),
        )
        if opens and closes and closes <= opens:
            self.add_error("registration_closes", _("Registration must close after it opens."))
        if closes and end and closes > end:
            self.add_error("registration_closes", _("Registration cannot close after the event has ended."))
        super()._post_clean()
        if self.errors:
            return
        if not self.cleaned_data.get("slug"):
            self.instance.slug = unique_event_slug(
                f"{self.instance.title} {self.instance.start.date().isoformat()}", exclude_pk=self.instance.pk
            )
            self.cleaned_data["slug"] = self.instance.slug
        try:
            # An early look at the rules (room clash, capacity, publishing needs); the service
            # checks again under the room lock when it saves.
            event_check(self.instance)
        except ValidationError as error:
            self._add_service_errors(error)

    def _add_service_errors(self, error: ValidationError) -> None:
        add_service_errors(self, error)


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's ValidationError on the form, on the field it names when the form has it."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            target = name if name in form.fields else None
            if name == NON_FIELD_ERRORS:
                target = None
            for message in errors:
                for text in message.messages:
                    if target is not None and target in form.errors and text in form.errors[target]:
                        continue
                    form.add_error(target, text)
    else:
        for text in error.messages:
            form.add_error(None, text)


class CancelEventsForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (shown to everyone)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=limits.NOTE,
        error_messages={"required": _("Give a reason for the cancellation: attendees see it.")},
    )


class GenerateSessionsForm(forms.Form):
    first_date = hub_forms.DateField(label=_("first date"), widget=forms.DateInput(attrs={"type": "date"}))
    last_date = hub_forms.DateField(label=_("last date"), widget=forms.DateInput(attrs={"type": "date"}))
    every_weeks = forms.IntegerField(label=_("every N weeks"), min_value=1, max_value=12, initial=1)

    def __init__(self, *args, series: Series, **kwargs):
        self.series = series
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("first_date"), cleaned.get("last_date")
        if first and last and last < first:
            self.add_error("last_date", _("The last date must be on or after the first date."))
        if self.series.default_weekday is None or self.series.default_start_time is None:
            raise ValidationError(_("Set the series' default weekday and start time first."))
        return cleaned


class RoomForm(forms.ModelForm):
    class Meta:
        model = Room
        fields = ["name", "location", "capacity", "is_bookable", "accessibility_notes"]

    def clean_capacity(self):
        capacity = self.cleaned_data["capacity"]
        if self.instance.pk:
            # Upcoming in-person events already promise this many seats here.
            promised = (
                Event.objects.occupying_rooms()
                .filter(room=self.instance, end__gte=timezone.now(), capacity__isnull=False)
                .exclude(format=Event.Format.ONLINE)
                .aggregate(most=Max("capacity"))["most"]
            )
            if promised is not None and capacity < promised:
                raise ValidationError(
                    _("An upcoming event here offers %(seats)d seats; lower its capacity first."),
                    params={"seats": promised},
                )
        return capacity


class InvitationForm(forms.Form):
    """Staff choose who is invited to a published event; the admin shows the count before sending."""

    audiences = forms.MultipleChoiceField(
        label=_("Audiences"),
        choices=Audience.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    addresses = forms.CharField(
        label=_("More addresses"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=limits.PASTED_ADDRESSES,
        help_text=_("One per line, or separated by commas or semicolons; “Name <address>” works too."),
    )

    def __init__(self, *args, event: Event, **kwargs):
        self.event = event
        super().__init__(*args, **kwargs)
        if event.series_id is None:
            self.fields["audiences"].choices = [
                choice for choice in Audience.choices if choice[0] != Audience.SUBSCRIBERS
            ]

    def clean_addresses(self):
        valid, invalid = invitation_parse_addresses(self.cleaned_data["addresses"])
        if invalid:
            raise ValidationError(
                _("These are not valid e-mail addresses: %(addresses)s. Correct or remove them.")
                % {"addresses": ", ".join(invalid)},
                code="invalid_addresses",
            )
        self.cleaned_data["pasted"] = valid
        return self.cleaned_data["addresses"]

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not cleaned.get("audiences") and not cleaned.get("pasted"):
            raise ValidationError(_("Choose at least one audience or paste some addresses."), code="empty")
        return cleaned
