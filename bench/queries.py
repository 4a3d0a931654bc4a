"""`python -m bench.queries`: the number of SQL queries each page takes, with a cold cache.

Run by bench/main.py at 10 and at 2,000 events: the two counts must be equal (no query per row).
"""

from . import django_step


def count_queries() -> dict:
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from events.models import Event

    from .pages import FLOOR, PAGES, slugs_from_database

    slugs = slugs_from_database()
    client = Client()
    pages = {}
    for page in [FLOOR, *PAGES]:
        path = page.path.format(**slugs)
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        pages[page.name] = {"path": path, "status": response.status_code, "queries": len(captured)}
        etag = response.headers.get("ETag")
        if page.conditional_target is not None and response.status_code == 200 and etag:
            # The conditional GET a calendar client repeats: answered from the feed's state alone.
            # The cache is not cleared here: the ETag carries a version kept in the cache (a lost one
            # restarts at a new value, so every stored ETag stops matching, by design).
            with CaptureQueriesContext(connection) as captured:
                response = client.get(path, headers={"If-None-Match": etag})
            pages[f"{page.name}, If-None-Match (304)"] = {
                "path": path,
                "status": response.status_code,
                "queries": len(captured),
            }
    return {"events": Event.objects.count(), "slugs": slugs, "pages": pages}


def main() -> None:
    django_step.setup()
    django_step.emit(count_queries())


if __name__ == "__main__":
    main()
