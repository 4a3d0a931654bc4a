from django import template

from hubsite.text import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(value):
    """{{ event.abstract|markdown }}: Markdown rendered and sanitised (see hubsite.text)."""
    return render_markdown(value)
