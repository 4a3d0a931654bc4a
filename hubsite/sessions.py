"""Django's cached database sessions, refusing a session cookie that Django never made.

Django's session keys are 32 lower-case letters and digits. A cookie of any other shape (a NUL
byte, which PostgreSQL cannot even compare, or a kilobyte) is treated as no session at all, as if
no cookie had come, before it reaches the cache or the database.
"""

from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBSessionStore

_KEY_CHARS = frozenset(VALID_KEY_CHARS)
_KEY_MAX_LENGTH = 40  # the session_key column


class SessionStore(CachedDBSessionStore):
    def _validate_session_key(self, key):
        return (
            bool(super()._validate_session_key(key))
            and len(key) <= _KEY_MAX_LENGTH
            and set(key) <= _KEY_CHARS
        )
