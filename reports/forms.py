import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hubsite import dates
from hubsite import forms as hub_forms
from hubsite.validators import validate_calendar_date

from .period import (
    MAX_YEARS,
    QUARTER_RE,
    Period,
    dates_period,
    quarter_of,
    quarter_period,
    spans_too_long,
    year_period,
)


class ReportPeriodForm(forms.Form):
    """One of: a quarter (2026-Q3), a year (2026), or two dates. Nothing: the current quarter."""

    quarter = forms.CharField(
        label=_("Quarter"),
        required=False,
        max_length=7,
        help_text=_("For example 2026-Q3."),
        widget=forms.TextInput(
            attrs={"placeholder": "2026-Q3", "pattern": r"\d{4}-Q[1-4]", "size": 8, "list": "recent-quarters"}
        ),
    )
    year = forms.IntegerField(
        label=_("Year"),
        required=False,
        min_value=2000,
        max_value=2100,
        widget=forms.NumberInput(attrs={"size": 6}),
    )
    first_day = hub_forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    last_day = hub_forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def add_prefix(self, field_name):
        # The address uses the short names `from` and `to` (not valid Python field names).
        return {"first_day": "from", "last_day": "to"}.get(field_name, field_name)

    def full_clean(self):
        super().full_clean()
        # Screen readers announce which field is wrong and read its message with it.
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = f"error-{name}"

    def clean_quarter(self):
        quarter = self.cleaned_data["quarter"].strip().upper()
        if quarter and not QUARTER_RE.match(quarter):
            raise forms.ValidationError(_("Write the quarter as year, hyphen, Q and 1 to 4, e.g. 2026-Q3."))
        if quarter:
            # Its first day inside the calendar, so no quarter reaches the end of Python's dates.
            match = QUARTER_RE.match(quarter)
            validate_calendar_date(dt.date(max(int(match[1]), 1), 3 * int(match[2]) - 2, 1))
        return quarter

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        quarter, year = data.get("quarter"), data.get("year")
        first, last = data.get("first_day"), data.get("last_day")
        chosen = sum(bool(x) for x in (quarter, year is not None, first or last))
        if chosen > 1:
            raise forms.ValidationError(_("Choose one: a quarter, a year, or two dates."))
        if (first is None) != (last is None):
            raise forms.ValidationError(_("Give both dates, from and to, or neither."))
        if first and last:
            if last < first:
                raise forms.ValidationError(
                    _("The period ends (%(last)s) before it starts (%(first)s)."),
                    params={"first": dates.fmt(first, "day"), "last": dates.fmt(last, "day")},
                )
            if spans_too_long(first, last):
                raise forms.ValidationError(
                    _("A report period can span at most %(years)s years."), params={"years": MAX_YEARS}
                )
        return data

    def period(self, today: dt.date | None = None) -> Period:
        """The chosen period; call after is_valid()."""
        data = self.cleaned_data
        if data.get("quarter"):
            return quarter_period(data["quarter"])
        if data.get("year") is not None:
            return year_period(data["year"])
        if data.get("first_day"):
            return dates_period(data["first_day"], data["last_day"])
        return quarter_period(quarter_of(today or timezone.localdate()))


def recent_quarters(today: dt.date | None = None, years: int = 3) -> list[str]:
    """The quarters offered in the picker: this one first, back `years` years."""
    today = today or timezone.localdate()
    current = (today.month - 1) // 3 + 1
    quarters = []
    for year in range(today.year, today.year - years - 1, -1):
        for quarter in range(4, 0, -1):
            if year < today.year or quarter <= current:
                quarters.append(f"{year}-Q{quarter}")
    return quarters
