"""Refuse an address carrying text that no column can hold, before any view reads it.

A NUL byte can never be part of a link the site made, and PostgreSQL cannot store or even compare
text containing one. Rather than trust every view, converter and library to check each path
parameter and each query parameter it reads, a path or query string with a NUL byte is answered
400 with a page that says so. (Posted forms are left to the forms: Django's text fields refuse a
NUL byte with a message beside the field, and what was typed is kept.)
"""

from django.shortcuts import render
from django.utils.translation import gettext as _

NUL = "\x00"


def _address_has_nul(request) -> bool:
    if NUL in request.path_info:
        return True
    return any(NUL in key or any(NUL in value for value in values) for key, values in request.GET.lists())


class RefuseNulInAddressMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _address_has_nul(request):
            return render(
                request,
                "hubsite/refused_input.html",
                {
                    "message": _(
                        "This address contains a character that no link of this site has (a NUL "
                        "byte, written %(code)s). Check that the whole link was copied, and nothing else."
                    )
                    % {"code": "%00"}
                },
                status=400,
            )
        return self.get_response(request)
