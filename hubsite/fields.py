"""Model fields whose forms refuse what the database or Python cannot hold, for every form built
from them: the site's own ModelForms, every admin form and every admin inline.

They are Django's fields with a different `formfield()` (and model validators); `deconstruct()`
names Django's class, so migrations and the database see plain Django fields.

- `DateField`, `DateTimeField`: dates outside the site's calendar (hubsite.validators,
  1900 to ten years ahead) are refused with a message, in the form field (before any `clean()`
  does date arithmetic with them) and in `full_clean()` (imports, services that validate).
- `ManyToManyField`: ids no column can hold are "not one of the choices" (SQLite would overflow).
- `TextField`: its max_length (hubsite.limits) is also a model validator, as a CharField's is, so
  `full_clean()` refuses one character more on the field with Django's message.
"""

from django.core.validators import MaxLengthValidator
from django.db import models

from .forms import BoundedModelMultipleChoiceField
from .validators import validate_calendar_date


def _with_calendar_bound(form_field):
    if form_field is not None and validate_calendar_date not in form_field.validators:
        form_field.validators.append(validate_calendar_date)
    return form_field


class DateField(models.DateField):
    default_validators = [validate_calendar_date]

    def formfield(self, **kwargs):
        return _with_calendar_bound(super().formfield(**kwargs))

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DateField", args, kwargs


class DateTimeField(models.DateTimeField):
    default_validators = [validate_calendar_date]

    def formfield(self, **kwargs):
        return _with_calendar_bound(super().formfield(**kwargs))

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DateTimeField", args, kwargs


class ManyToManyField(models.ManyToManyField):
    def formfield(self, **kwargs):
        kwargs.setdefault("form_class", BoundedModelMultipleChoiceField)
        return super().formfield(**kwargs)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.ManyToManyField", args, kwargs


class TextField(models.TextField):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.max_length is not None:
            self.validators.append(MaxLengthValidator(self.max_length))

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.TextField", args, kwargs
