"""Rate limits for the site's own public endpoints (allauth's pages have allauth's limits).

A fixed window per client address, counted in the shared cache (Redis in production), so every
web process sees the same count. The client address is allauth's, so both kinds of limit count
the same client behind a load balancer (`client_address`).
"""

import time

from allauth.core.internal.ratelimit import get_ip
from django.core.cache import cache


def client_address(request) -> str:
    """The address every rate limit of the site counts a request by: allauth's own rule, the one
    its limits use. REMOTE_ADDR, or, with ALLAUTH_TRUSTED_PROXY_COUNT = n (env TRUSTED_PROXY_COUNT)
    proxies in front, the n-th address from the right of X-Forwarded-For: the one our own load
    balancer appended, which a client cannot forge (entries further left are the client's own).
    0 ignores the header. Validated as an IP address; IPv6 counted by its /64 network."""
    return get_ip(request)


def over_limit(request, *, scope: str, limit: int, window_seconds: int) -> bool:
    """Count this request; True once the client has made more than `limit` in the current window."""
    window = int(time.time() // window_seconds)
    key = f"ratelimit:{scope}:{client_address(request)}:{window}"
    cache.add(key, 0, timeout=window_seconds * 2)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window_seconds * 2)
        count = 1
    return count > limit
