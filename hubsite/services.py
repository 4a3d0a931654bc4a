from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.template.exceptions import TemplateDoesNotExist
from django.template.loader import get_template, render_to_string
from django.utils import timezone, translation

from .models import Heartbeat, OutboxMessage


def heartbeat_record(*, name: str) -> Heartbeat:
    """Record that `name` is alive now (an upsert, so running it twice is harmless)."""
    heartbeat, _ = Heartbeat.objects.update_or_create(name=name, defaults={"last_seen": timezone.now()})
    return heartbeat


def outbox_enqueue(
    *,
    kind: str,
    about: models.Model,
    recipient: str,
    template: str,
    context: dict,
    revision: int = 0,
    language: str = "en",
    attachments: Iterable[dict] = (),
    headers: dict | None = None,
) -> OutboxMessage:
    """Write one outgoing message as a row and send it after the surrounding transaction commits.

    `template` names `templates/email/<template>.subject.txt`, `.txt` and (optionally) `.html`,
    rendered now in `language`. `attachments` are dicts with `filename`, `content_type` and
    `content` (text, e.g. an iCalendar file). Asking again for the same (kind, about, recipient,
    revision) returns the existing row and sends nothing more.
    """
    recipient = recipient.strip().lower()
    content_type = ContentType.objects.get_for_model(about)
    key = {
        "kind": kind,
        "content_type": content_type,
        "object_id": about.pk,
        "recipient": recipient,
        "revision": revision,
    }
    existing = OutboxMessage.objects.filter(**key).first()
    if existing is not None:
        return existing
    with translation.override(language):
        context = {**context, "recipient": recipient, "language": language}
        subject = " ".join(render_to_string(f"email/{template}.subject.txt", context).split())
        body_text = render_to_string(f"email/{template}.txt", context)
        try:
            body_html = get_template(f"email/{template}.html").render(context)
        except TemplateDoesNotExist:
            body_html = ""
    try:
        with transaction.atomic():
            message = OutboxMessage.objects.create(
                **key,
                language=language,
                subject=subject[:300],
                body_text=body_text,
                body_html=body_html,
                attachments=list(attachments),
                headers=headers or {},
            )
    except IntegrityError:
        # Another transaction wrote the same message first: that one is the message.
        return OutboxMessage.objects.get(**key)
    from .tasks import send_outbox_message

    transaction.on_commit(lambda: send_outbox_message.delay(message.pk))
    return message
