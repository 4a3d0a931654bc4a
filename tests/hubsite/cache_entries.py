"""What the default cache holds: its entries under a key prefix, with their size, for the local
memory cache (SQLite runs) and Redis (CI) alike."""

from django.core.cache import cache


def cache_entries(prefix: str) -> dict[str, int]:
    """{key: size of the stored value in bytes} for every live entry whose key starts with `prefix`."""
    made = cache.make_key(prefix)
    client_of = getattr(cache._cache, "get_client", None)  # Django's RedisCache
    if client_of is not None:
        client = client_of(write=False)
        return {key.decode(): client.strlen(key) for key in client.scan_iter(match=made + "*", count=1000)}
    with cache._lock:  # LocMemCache: made key -> pickled value
        return {
            key: len(value)
            for key, value in cache._cache.items()
            if key.startswith(made) and not cache._has_expired(key)
        }
