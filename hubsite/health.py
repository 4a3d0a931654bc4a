"""Liveness and readiness probes.

They are answered by a middleware placed before the security and host checks, because load
balancers probe over plain HTTP with the node's address as Host. The same views are in the URL
configuration so that the resolver (and the permission matrix test) sees them.
"""

import uuid

from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse, JsonResponse

from .celery import app as celery_app

LIVE_PATH = "/healthz/live"
READY_PATH = "/healthz/ready"


def live(request):
    return HttpResponse("ok\n", content_type="text/plain")


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_cache() -> None:
    key = f"healthz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=5)
    if cache.get(key) != "1":
        raise RuntimeError("value written was not read back")
    cache.delete(key)


def _check_broker() -> None:
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)


CHECKS = {"database": _check_database, "cache": _check_cache, "broker": _check_broker}


def ready(request):
    results, failing = {}, []
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - any failure of a dependency means "not ready"
            results[name] = f"error: {exc.__class__.__name__}: {exc}"[:300]
            failing.append(name)
        else:
            results[name] = "ok"
    body = {"status": "ok" if not failing else "unavailable", "checks": results, "failing": failing}
    response = JsonResponse(body, status=503 if failing else 200)
    response["Cache-Control"] = "no-store"
    return response


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info.rstrip("/")
        if path == LIVE_PATH:
            return live(request)
        if path == READY_PATH:
            return ready(request)
        return self.get_response(request)
