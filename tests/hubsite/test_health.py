import pytest
from django.core.cache.backends.redis import RedisCache

from hubsite import health
from hubsite.celery import app as celery_app

pytestmark = pytest.mark.django_db


def test_live_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz/live")
    assert response.status_code == 200
    assert response.content == b"ok\n"


def test_ready_names_every_part_when_all_are_up(client):
    response = client.get("/healthz/ready")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok"},
        "failing": [],
    }
    assert response["Cache-Control"] == "no-store"


def test_ready_names_the_cache_when_redis_is_unreachable(client, monkeypatch):
    unreachable = RedisCache("redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 0.5}})
    monkeypatch.setattr(health, "cache", unreachable)
    response = client.get("/healthz/ready")
    body = response.json()
    assert response.status_code == 503
    assert body["failing"] == ["cache"]
    assert body["checks"]["cache"].startswith("error: ConnectionError")


def test_ready_names_the_broker_when_it_is_unreachable(client, monkeypatch):
    monkeypatch.setattr(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")
    response = client.get("/healthz/ready")
    assert response.status_code == 503
    assert response.json()["failing"] == ["broker"]


def test_ready_names_the_database_when_a_query_fails(client, monkeypatch):
    def broken():
        raise RuntimeError("database is down")

    monkeypatch.setitem(health.CHECKS, "database", broken)
    response = client.get("/healthz/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "error: RuntimeError: database is down"


def test_probes_answer_plain_http_with_any_host_when_https_is_forced(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["hub.example.org"]
    assert client.get("/healthz/live", HTTP_HOST="10.0.0.7").status_code == 200
    assert client.get("/healthz/ready", HTTP_HOST="10.0.0.7").status_code == 200
    assert client.get("/", HTTP_HOST="hub.example.org").status_code == 301
