"""Admin actions on ids the table cannot have answer with a message, never a server error.

Django's admin runs an action on `pk__in=<the posted ids>` as they are posted, so a crafted
`_selected_action=abc` (or a NUL byte) raises a ValueError inside the ORM. Every registered
ModelAdmin's `response_action` is wrapped once, in hubsite/urls.py, to check the ids first.
"""

import functools

from django.contrib import messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext


def refuse_malformed_selections(site) -> None:
    for model_admin in site._registry.values():
        model_admin.response_action = _checked(model_admin, model_admin.response_action)


def _checked(model_admin, response_action):
    primary_key = model_admin.model._meta.pk

    @functools.wraps(response_action)
    def checked_response_action(request, queryset, *args, **kwargs):
        for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME):
            try:
                primary_key.to_python(value)
            except ValidationError:
                # Django's own words (and translation) for an action with no rows chosen.
                message = gettext(
                    "Items must be selected in order to perform actions on them. No items have been changed."
                )
                model_admin.message_user(request, message, messages.WARNING)
                return None
        return response_action(request, queryset, *args, **kwargs)

    return checked_response_action
