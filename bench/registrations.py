"""`python -m bench.registrations setup|count <slug>`: the Django half of bench_registrations.

`setup` creates a published in-person event with 10 seats (through events.services, in a room of
its own so no other booking can clash) and 100 active users, each signed in by a session written
the way django.contrib.auth.login writes it; it emits the event's slug and the session keys.
The HTTP half (100 threads posting the one-click form to gunicorn) is in bench/sections.py.
`count` emits how many registrations of each status the event holds afterwards.
"""

import datetime as dt
import sys

from . import django_step

USERS = 100
SEATS = 10


def setup() -> dict:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.utils import timezone
    from django.utils.module_loading import import_string

    from events import services
    from events.models import Event, Room

    stamp = timezone.now().strftime("%Y%m%d%H%M%S")
    room = Room.objects.create(name=f"Bench room {stamp}", capacity=200)
    start = (timezone.now() + dt.timedelta(days=30)).replace(microsecond=0)
    event = services.event_create(
        title=f"Bench: 100 people for 10 seats {stamp}",
        start=start,
        end=start + dt.timedelta(hours=1),
        time_zone="Asia/Seoul",
        room=room,
        format=Event.Format.IN_PERSON,
        capacity=SEATS,
        speakers_tba=True,
        status=Event.Status.PUBLISHED,
    )
    user_model = get_user_model()
    users = user_model.objects.bulk_create(
        user_model(username=f"bench-{stamp}-{n}", email=f"bench-{stamp}-{n}@example.org", is_active=True)
        for n in range(USERS)
    )
    store = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
    backend = settings.AUTHENTICATION_BACKENDS[0]
    sessions = []
    for user in users:
        user.set_unusable_password()
        session = store()
        session[SESSION_KEY] = user._meta.pk.value_to_string(user)
        session[BACKEND_SESSION_KEY] = backend
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        sessions.append(session.session_key)
    user_model.objects.bulk_update(users, ["password"])
    return {
        "slug": event.slug,
        "seats": SEATS,
        "sessions": sessions,
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "csrf_cookie": settings.CSRF_COOKIE_NAME,
    }


def count(slug: str) -> dict:
    from django.db.models import Count

    from events.models import Registration

    rows = Registration.objects.filter(event__slug=slug).values("status").annotate(n=Count("pk"))
    per_user = (
        Registration.objects.filter(event__slug=slug)
        .values("user_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    return {"statuses": {row["status"]: row["n"] for row in rows}, "users_twice": per_user.count()}


def main() -> None:
    django_step.setup()
    if sys.argv[1] == "setup":
        django_step.emit(setup())
    else:
        django_step.emit(count(sys.argv[2]))


if __name__ == "__main__":
    main()
