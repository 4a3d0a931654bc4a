"""Start-up under production settings, run in a child process so each one reads its own environment."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_DEBUG": "false",
    "SECRET_KEY": "x" * 30 + "-production-secret-for-the-check-only-" + "y" * 20,
    "ALLOWED_HOSTS": "hub.example.org",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/hub",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "SITE_URL": "https://hub.example.org",
}


def run_manage(*args, env_overrides, drop=()):
    env = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV}
    env.update(env_overrides)
    for name in drop:
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_values():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env_overrides=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "SITE_URL"])
def test_production_start_up_stops_naming_a_missing_variable(missing):
    result = run_manage("check", env_overrides=PRODUCTION_ENV, drop=[missing])
    assert result.returncode != 0
    assert (
        "DJANGO_DEBUG is off, so these environment variables are required and missing: " + missing
    ) in result.stderr


def test_debug_defaults_on_only_for_the_embedded_default():
    code = "from django.conf import settings; print(settings.DEBUG)"
    embedded = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=BASE_DIR,
        env={k: v for k, v in os.environ.items() if k not in (*PRODUCTION_ENV, "DJANGO_DEBUG")}
        | {"DJANGO_SETTINGS_MODULE": "hubsite.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert embedded.stdout.strip() == "True", embedded.stderr
    with_database = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=BASE_DIR,
        env={k: v for k, v in os.environ.items() if k != "DJANGO_DEBUG"}
        | PRODUCTION_ENV
        | {"DJANGO_SETTINGS_MODULE": "hubsite.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert with_database.stdout.strip() == "False", with_database.stderr


def test_uploads_go_to_object_storage_when_a_bucket_is_configured():
    code = "from django.core.files.storage import storages; print(type(storages['default']).__name__)"
    env = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV} | {
        "DJANGO_SETTINGS_MODULE": "hubsite.settings",
        "AWS_STORAGE_BUCKET_NAME": "hub-uploads",
        "AWS_S3_ENDPOINT_URL": "http://127.0.0.1:9",
    }
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "S3Storage", result.stderr


def outbox_stuck_sending(value: str):
    code = "from django.conf import settings; print(settings.OUTBOX_STUCK_SENDING_SECONDS)"
    env = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV} | {
        "DJANGO_SETTINGS_MODULE": "hubsite.settings",
        "OUTBOX_STUCK_SENDING_SECONDS": value,
    }
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_outbox_stuck_sending_seconds_comes_from_the_environment():
    result = outbox_stuck_sending("600")
    assert result.stdout.strip() == "600", result.stderr


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "OUTBOX_STUCK_SENDING_SECONDS: 'abc' is not a whole number of seconds."),
        ("-5", "OUTBOX_STUCK_SENDING_SECONDS: '-5' is not a whole number of seconds."),
        ("15m", "OUTBOX_STUCK_SENDING_SECONDS: '15m' is not a whole number of seconds."),
        *(
            (
                value,
                f"OUTBOX_STUCK_SENDING_SECONDS: {value} seconds is not between 240 and 86400 (sending one "
                "message may take 12 SMTP steps of up to 20 s each, and a message a stopped worker left "
                "behind should not wait more than a day).",
            )
            for value in ("0", "20", "239", "86401")
        ),
    ],
)
def test_outbox_stuck_sending_seconds_nonsense_stops_start_up_with_a_message(value, message):
    """Shorter than sending one message can take, the sweep would resend messages still on their way."""
    result = outbox_stuck_sending(value)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == f"django.core.exceptions.ImproperlyConfigured: {message}"
