"""Form fields shared by every app."""

from django import forms
from django.core.exceptions import ValidationError

from .i18n import reader_label
from .validators import validate_calendar_date

# The largest primary key a BigAutoField can hold.
MAX_ID = 2**63 - 1


class ReaderLanguageModelChoiceField(forms.ModelChoiceField):
    """A choice of one row, each offered under its name in the reader's language (hubsite.i18n)."""

    def label_from_instance(self, obj):
        return reader_label(obj)


class BoundedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A multiple choice of rows that refuses ids no database column can hold, each offered under
    its name in the reader's language (hubsite.i18n).

    Django's `pk__in` lookup passes such a number straight to the database driver, where SQLite
    overflows (a server error); here it is an ordinary "not one of the choices" message.
    """

    def _check_values(self, value):
        for item in value:
            text = str(item).strip()
            if text.lstrip("-").isdigit() and not -MAX_ID <= int(text) <= MAX_ID:
                raise ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": item}
                )
        return super()._check_values(value)

    def label_from_instance(self, obj):
        return reader_label(obj)


class DateField(forms.DateField):
    """A date inside the site's calendar (hubsite.validators.validate_calendar_date)."""

    default_validators = [validate_calendar_date]


class DateTimeField(forms.DateTimeField):
    """A date and time whose day is inside the site's calendar."""

    default_validators = [validate_calendar_date]
