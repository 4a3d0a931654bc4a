"""Untrusted text from people (abstracts, bios, descriptions): Markdown rendered, then sanitised.

nh3 (ammonia) keeps only the tags, attributes and URL schemes listed here, so no script, event
handler, style or `javascript:` link survives whatever the Markdown produced.
"""

import re
import unicodedata

import markdown as markdown_lib
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h2", "h3", "h4", "h5", "h6",
    "hr", "i", "li", "ol", "p", "pre", "strong", "sub", "sup", "table", "tbody", "td", "th",
    "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"align"}, "td": {"align"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def sanitize_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def render_markdown(text: str | None) -> SafeString:
    """Markdown to HTML that is safe to put in a page."""
    if not text:
        return mark_safe("")
    html = markdown_lib.markdown(strip_control_characters(text), extensions=["extra", "sane_lists"])
    return mark_safe(sanitize_html(html))  # noqa: S308 - sanitised by nh3 just above


def strip_control_characters(text: str) -> str:
    """Drop C0 control characters (keeping tab, LF and CR) that no reader can want."""
    return _CONTROL.sub("", text)


def markdown_to_plain(text: str | None) -> str:
    """Plain text for places that show no HTML (calendar descriptions, e-mail text parts)."""
    if not text:
        return ""
    html = render_markdown(text)
    plain = nh3.clean(str(html), tags=set())
    plain = plain.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    plain = plain.replace("&quot;", '"').replace("&#39;", "'")
    return unicodedata.normalize("NFC", re.sub(r"\n{3,}", "\n\n", plain).strip())
