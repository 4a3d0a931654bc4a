"""Every URL pattern the site has, from the resolver (including the admin's and allauth's)."""

from django.urls import URLPattern, URLResolver, get_resolver


def walk_patterns(patterns=None, prefix: str = ""):
    """Yield (route, name) for every pattern, with the routes of the includes joined."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from walk_patterns(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern.name


def all_routes() -> list[str]:
    return sorted({route for route, _name in walk_patterns()})
