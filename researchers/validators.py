"""Validators for people and partner data: uploads and Markdown written by people."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

MAX_IMAGE_BYTES = 2 * 1024 * 1024

image_extension_validator = FileExtensionValidator(
    allowed_extensions=["png", "jpg", "jpeg", "gif", "webp"],
    message=_("Upload a PNG, JPEG, GIF or WebP image; “%(extension)s” files are not accepted."),
)


def validate_image_size(file) -> None:
    if file and file.size > MAX_IMAGE_BYTES:
        raise ValidationError(
            _("This image is %(size)s; the largest accepted is %(limit)s."),
            code="image_too_large",
            params={"size": filesizeformat(file.size), "limit": filesizeformat(MAX_IMAGE_BYTES)},
        )


_SCRIPT = re.compile(r"<\s*/?\s*(script|iframe|object|embed|style)\b", re.IGNORECASE)
_EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
# javascript:, also with entities or whitespace smuggled between the letters.
_JAVASCRIPT_URL = re.compile(r"j\s*a\s*v\s*a\s*s\s*c\s*r\s*i\s*p\s*t\s*:|vbscript:|data:text/html", re.I)


def validate_safe_markdown(value: str) -> None:
    """Refuse Markdown that tries to carry scripts, so the author learns it will not work.

    Rendering sanitises with nh3 anyway (hubsite.text); this gives a clear message instead of
    silently dropping what was written.
    """
    if _SCRIPT.search(value):
        raise ValidationError(
            _("Scripts, frames and style blocks are not allowed here; write plain Markdown."),
            code="markdown_script",
        )
    if _EVENT_HANDLER.search(value):
        raise ValidationError(
            _("HTML event handlers (such as onclick) are not allowed here; write plain Markdown."),
            code="markdown_event_handler",
        )
    if _JAVASCRIPT_URL.search(value):
        raise ValidationError(
            _("Links must start with http://, https:// or mailto:; “javascript:” links are not allowed."),
            code="markdown_javascript_link",
        )
