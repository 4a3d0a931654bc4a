"""Rate limits for the site's own public endpoints (allauth's pages have allauth's limits).

A fixed window per client address, counted in the shared cache (Redis in production), so every
web process sees the same count.
"""

import time

from django.core.cache import cache


def over_limit(request, *, scope: str, limit: int, window_seconds: int) -> bool:
    """Count this request; True once the client has made more than `limit` in the current window."""
    window = int(time.time() // window_seconds)
    key = f"ratelimit:{scope}:{request.META.get('REMOTE_ADDR', '')}:{window}"
    cache.add(key, 0, timeout=window_seconds * 2)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window_seconds * 2)
        count = 1
    return count > limit
