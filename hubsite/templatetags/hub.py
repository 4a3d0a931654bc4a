import re

from django import template
from django.utils.html import conditional_escape, format_html, format_html_join

from hubsite.text import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(value):
    """{{ event.abstract|markdown }}: Markdown rendered and sanitised (see hubsite.text)."""
    return render_markdown(value)


# An address in the text of a mail: only the characters a URL may hold (RFC 3986), so a word of
# another script glued to it ("…/confirm-email/KEY/을 클릭하세요" in allauth's Korean) never becomes
# part of the link, as it does with Django's urlize (which links up to the next space).
URL_IN_TEXT = re.compile(r"https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
# Punctuation that ends a sentence after an address rather than belonging to it.
URL_TRAILING_PUNCTUATION = ".,;:!?)'\""


@register.filter
def link_urls(text):
    """{{ body|link_urls|linebreaks }}: plain text, escaped, with every http(s) address a link."""
    text = str(text)
    pieces, position = [], 0
    for found in URL_IN_TEXT.finditer(text):
        url = found.group(0).rstrip(URL_TRAILING_PUNCTUATION)
        pieces.append(conditional_escape(text[position : found.start()]))
        pieces.append(format_html('<a href="{0}">{0}</a>', url))
        position = found.start() + len(url)
    pieces.append(conditional_escape(text[position:]))
    return format_html_join("", "{}", ((piece,) for piece in pieces))
