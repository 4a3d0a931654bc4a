from django import template

from projects.privacy import is_publicly_listed

register = template.Library()


@register.filter(name="publicly_listed")
def publicly_listed_filter(researcher) -> bool:
    """{% if project.lead|publicly_listed %}: may this person be named on a public page?"""
    return researcher is not None and is_publicly_listed(researcher)
