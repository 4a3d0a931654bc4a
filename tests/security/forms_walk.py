"""Every form the site has, found without a list: the form classes defined in the site's own apps
and the forms its admin builds (ModelAdmins and their inlines), each ready to be filled.

    for form in site_forms(world):
        form.make({"title": "x"}).is_valid()

A form whose constructor takes an argument the walk does not know fails with the line to add to
form_arguments(). `plausible_data(form)` fills every field with a value of its kind, so one field
at a time can be made hostile while the rest are as a person would send them.
"""

import datetime as dt
import importlib
import inspect
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.test import RequestFactory
from django.utils import timezone
from django.utils.datastructures import MultiValueDict

SKIPPED_MODULES = ("migrations", "management", "settings", "wsgi", "asgi", "celery", "tests")


def site_app_configs():
    """The site's own apps (not Django's or a library's)."""
    return [
        config
        for config in apps.get_app_configs()
        if config.path.startswith(str(settings.BASE_DIR)) and ".venv" not in config.path
    ]


def _import_app_modules() -> None:
    for config in site_app_configs():
        package = importlib.import_module(config.name)
        for module in pkgutil.walk_packages(package.__path__, prefix=config.name + "."):
            if not any(part in SKIPPED_MODULES for part in module.name.split(".")):
                importlib.import_module(module.name)


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def site_form_classes() -> list[type[forms.BaseForm]]:
    """Every form class defined in a module of the site's apps."""
    _import_app_modules()
    own = tuple(config.name + "." for config in site_app_configs())
    found = {cls for cls in _subclasses(forms.BaseForm) if cls.__module__.startswith(own)}
    return sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


@dataclass
class SiteForm:
    """A form class and how to build it: `make(data)` returns a bound instance."""

    name: str
    make: Callable[[object], forms.BaseForm]


def _constructor_arguments(form_class, arguments: dict) -> dict:
    wanted = {}
    for name, parameter in inspect.signature(form_class.__init__).parameters.items():
        if parameter.kind != parameter.KEYWORD_ONLY or parameter.default is not parameter.empty:
            continue
        assert name in arguments, (
            f"{form_class.__module__}.{form_class.__qualname__} needs `{name}`: add a value for it to "
            "form_arguments() in tests/security/forms_walk.py"
        )
        wanted[name] = arguments[name]
    return wanted


def form_arguments(world) -> dict:
    """Constructor arguments of the site's forms, by name, from rows of `world`."""
    from researchers.models import Institution, Theme

    return {
        "researcher": world.visitor,
        "user": world.visitor.user,
        "guest": True,
        "attendance_choices": ["in_person", "online"],
        "series": world.event.series,
        "event": world.event,
        "project": world.project,
        "membership": world.membership,
        "researchers": [world.visitor, world.host],
        "themes": Theme.objects.all(),
        "institutions": Institution.objects.all(),
        "country_codes": ["KR", "US"],
        "formats": 1,
        "resources": 1,
        "stored": lambda name: True,
    }


def staff_request(world):
    request = RequestFactory().get("/admin/")
    request.user = world.staff
    return request


def site_forms(world) -> list[SiteForm]:
    """The site's form classes and every form of its admin (add and change forms, inlines)."""
    arguments = form_arguments(world)
    found = []
    for form_class in site_form_classes():
        kwargs = _constructor_arguments(form_class, arguments)
        found.append(
            SiteForm(
                f"{form_class.__module__}.{form_class.__qualname__}",
                lambda data, form_class=form_class, kwargs=kwargs: form_class(data, **kwargs),
            )
        )
    request = staff_request(world)
    own = {config.label for config in site_app_configs()}
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in own:
            continue
        label = f"admin {model._meta.label}"
        obj = model._default_manager.order_by("pk").first()
        for change, instance in ((False, None), (True, obj)):
            if change and instance is None:
                continue
            form_class = model_admin.get_form(request, instance, change=change)
            found.append(
                SiteForm(
                    f"{label} {'change' if change else 'add'} form",
                    lambda data, form_class=form_class, instance=instance: form_class(
                        data, instance=instance
                    ),
                )
            )
        for inline in model_admin.get_inline_instances(request, obj):
            form_class = inline.get_formset(request, obj).form
            found.append(
                SiteForm(
                    f"{label} inline {inline.model._meta.label}",
                    lambda data, form_class=form_class: form_class(data),
                )
            )
    return found


# --- Filling fields -------------------------------------------------------------------------------


def field_keys(name: str, field: forms.Field) -> list[str]:
    """The keys a browser posts for a field (a split date and time posts two)."""
    widget = field.widget
    if isinstance(widget, forms.MultiWidget):
        return [f"{name}{suffix}" for suffix in widget.widgets_names]
    return [name]


def _is_multiple(field: forms.Field) -> bool:
    return isinstance(field, forms.MultipleChoiceField) or isinstance(
        field.widget, forms.SelectMultiple | forms.CheckboxSelectMultiple
    )


def put(data: MultiValueDict, name: str, field: forms.Field, value: str) -> None:
    """Set a field to `value` as a browser would send it."""
    keys = field_keys(name, field)
    if len(keys) == 2 and isinstance(field, forms.SplitDateTimeField):
        data.setlist(keys[0], [value])
        data.setlist(keys[1], ["12:00"])
        return
    for key in keys:
        data.setlist(key, [value])


def plausible_value(field: forms.Field) -> str | None:
    """A value of the field's kind that a person might send (not always a valid one)."""
    soon = timezone.localdate() + dt.timedelta(days=30)
    if isinstance(field, forms.ModelChoiceField):
        first = field.queryset.order_by().first()
        return str(getattr(first, field.to_field_name or "pk")) if first else None
    if isinstance(field, forms.ChoiceField):
        values = [str(value) for value, _label in field.choices if value not in ("", None)]
        values = [v for group in values for v in ([group] if not isinstance(group, list | tuple) else group)]
        return values[0] if values else None
    if isinstance(field, forms.BooleanField):
        return "on"
    if isinstance(field, forms.EmailField):
        return "person@example.org"
    if isinstance(field, forms.URLField):
        return "https://example.org/"
    if isinstance(field, forms.SlugField):
        return "a-slug"
    if isinstance(field, forms.SplitDateTimeField | forms.DateTimeField):
        return f"{soon.isoformat()} 10:00"
    if isinstance(field, forms.DateField):
        return soon.isoformat()
    if isinstance(field, forms.TimeField):
        return "10:00"
    if isinstance(field, forms.IntegerField | forms.DecimalField | forms.FloatField):
        return str(field.min_value if getattr(field, "min_value", None) is not None else 1)
    if isinstance(field, forms.FileField):
        return None
    return "Text"


def plausible_data(form: forms.BaseForm) -> MultiValueDict:
    data = MultiValueDict()
    for name, field in form.fields.items():
        value = plausible_value(field)
        if value is not None:
            put(data, form.add_prefix(name), field, value)
    return data


def with_value(base: MultiValueDict, form: forms.BaseForm, name: str, value: str) -> MultiValueDict:
    data = base.copy()
    put(data, form.add_prefix(name), form.fields[name], value)
    return data
