"""Shared test set-up.

Tests marked `postgres` or `redis` need the real services; without them they are skipped with
the reason. CI sets HUB_FORBID_SKIPS=1, which turns any skipped test into a failed run.
"""

import os

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from hubsite.celery import app as celery_app

# Debian's chromium under Playwright: the fixtures and the one skip rule of every browser test.
pytest_plugins = ["tests.browser"]


def pytest_collection_modifyitems(config, items):
    on_postgres = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    has_redis = bool(settings.REDIS_URL)
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://..."))
        if "redis" in item.keywords and not has_redis:
            item.add_marker(pytest.mark.skip(reason="needs Redis: set REDIS_URL=redis://..."))


def pytest_sessionfinish(session, exitstatus):
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if os.environ.get("HUB_FORBID_SKIPS") == "1" and skipped:
        if reporter:
            reporter.write_line(f"HUB_FORBID_SKIPS: {skipped} test(s) were skipped; that fails this run.")
        session.exitstatus = 1


@pytest.fixture(autouse=True)
def _isolated_side_effects(settings, tmp_path):
    """Each test gets an empty cache, its own media folder and eager Celery tasks."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    cache.clear()
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = eager
    cache.clear()


@pytest.fixture(autouse=True)
def _page_cache_off(settings):
    """Tests build rows with factories, which bypass the services that bump the page cache's
    content version; so the page cache is off, except in tests/hubsite/test_pagecache.py and the
    browser tests, which turn it on with the `page_cache` fixture."""
    settings.PAGE_CACHE_SECONDS = 0


@pytest.fixture
def page_cache(settings):
    settings.PAGE_CACHE_SECONDS = 60


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin_user(db):
    """pytest-django's `admin_client` signs this user in: staff with TOTP, as the admin requires."""
    from tests.factories import StaffFactory

    return StaffFactory(username="admin", email="admin@example.org")


@pytest.fixture
def admin_client(admin_user):
    """A client of its own signed in as `admin_user`, with a session that passed two-factor
    authentication as staff rights need (hubsite/access.py); pytest-django's signs in without it."""
    from django.test import Client

    from tests.signin import force_login_with_mfa

    return force_login_with_mfa(Client(), admin_user)


@pytest.fixture
def on_postgres():
    return connection.vendor == "postgresql"
