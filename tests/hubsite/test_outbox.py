from pathlib import Path

import pytest
from django.core import mail
from django.db import transaction

from hubsite.models import OutboxMessage
from hubsite.services import outbox_enqueue
from tests.factories import ThemeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def test_templates(settings):
    # Both engines (pages and plain-text mail) read the test templates.
    settings.TEMPLATES = [
        {**engine, "DIRS": [Path(__file__).resolve().parents[1] / "templates"]}
        for engine in settings.TEMPLATES
    ]


def enqueue(about, **overrides):
    arguments = {
        "kind": "notice",
        "about": about,
        "recipient": "Someone@Example.org",
        "template": "test_notice",
        "context": {"name": "Min"},
    }
    return outbox_enqueue(**(arguments | overrides))


def test_enqueue_writes_a_row_and_sends_it_after_commit(test_templates, django_capture_on_commit_callbacks):
    theme = ThemeFactory()
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue(theme)
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT
    assert message.recipient == "someone@example.org"
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.subject == "Hello Min"
    assert sent.body == "Dear Min,\n\nThis is a notice to someone@example.org.\n"
    assert sent.alternatives[0].content == "<p>Dear Min,</p>\n"
    assert sent.extra_headers["Message-ID"] == f"<outbox.{message.pk}.notice.0@127.0.0.1>"


def test_asking_twice_finds_the_first_row_and_sends_once(test_templates, django_capture_on_commit_callbacks):
    theme = ThemeFactory()
    with django_capture_on_commit_callbacks(execute=True):
        first = enqueue(theme)
        second = enqueue(theme, recipient="someone@example.org")
    assert first.pk == second.pk
    assert OutboxMessage.objects.count() == 1
    assert len(mail.outbox) == 1


def test_a_new_revision_is_a_new_message(test_templates, django_capture_on_commit_callbacks):
    theme = ThemeFactory()
    with django_capture_on_commit_callbacks(execute=True):
        enqueue(theme, revision=1)
        enqueue(theme, revision=2)
    assert OutboxMessage.objects.count() == 2
    assert len(mail.outbox) == 2


def test_nothing_is_sent_for_a_change_that_rolled_back(test_templates, django_capture_on_commit_callbacks):
    theme = ThemeFactory()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        enqueue(theme)
        raise RuntimeError("the change failed")
    assert callbacks == []
    assert OutboxMessage.objects.count() == 0
    assert mail.outbox == []
