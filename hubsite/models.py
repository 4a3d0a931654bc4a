from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hubsite import dates

from . import fields, limits


class Heartbeat(models.Model):
    """Last time a periodic process (the Celery beat + worker pair) proved it was alive."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    last_seen = fields.DateTimeField(_("last seen"))

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self):
        return f"{self.name} @ {dates.fmt(self.last_seen, 'datetime', zone=timezone.get_current_timezone())}"


class OutboxMessageQuerySet(models.QuerySet):
    def about(self, obj: models.Model):
        """Messages about `obj` (any model): the event, the subscription, the user…"""
        return self.filter(content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk)

    def counts_by_status(self) -> dict[str, int]:
        """{"queued": n, "sending": n, "sent": n, "failed": n}, every status present, in one query."""
        counts = dict.fromkeys(OutboxMessage.Status.values, 0)
        for row in self.order_by().values("status").annotate(n=Count("pk")):
            counts[row["status"]] = row["n"]
        return counts


class OutboxMessage(models.Model):
    """One outgoing e-mail, written in the same transaction as the change that caused it.

    (kind, object, recipient, revision) is unique, so asking twice for the same message finds the
    first row instead of sending again. The content is rendered when the row is written, so what
    staff see in the admin is exactly what is sent.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=60)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, verbose_name=_("about (type)"))
    object_id = models.PositiveBigIntegerField(_("about (id)"))
    about = GenericForeignKey("content_type", "object_id")
    recipient = models.EmailField(_("recipient"))
    # The name the message calls its recipient by, when known (a calendar's ATTENDEE CN, later too).
    recipient_name = models.CharField(_("recipient's name"), max_length=200, blank=True)
    # Big, because a revision can also be derived from a one-time key (allauth's mails).
    revision = models.PositiveBigIntegerField(_("revision"), default=0)
    language = models.CharField(_("language"), max_length=8, default="en")
    subject = models.CharField(_("subject"), max_length=300)
    body_text = fields.TextField(_("plain text"), max_length=limits.MAIL_PART)
    body_html = fields.TextField(_("HTML"), max_length=limits.MAIL_PART, blank=True)
    attachments = models.JSONField(_("attachments"), default=list, blank=True)
    headers = models.JSONField(_("extra headers"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = fields.TextField(_("last error"), max_length=limits.MAIL_ERROR, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    # A queued row is due from this moment; a queued row long past it lost its task (the sweep).
    next_attempt_at = fields.DateTimeField(_("next attempt at"), default=timezone.now)
    claimed_at = fields.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = fields.DateTimeField(_("sent at"), null=True, blank=True)
    failed_at = fields.DateTimeField(_("failed at"), null=True, blank=True)

    objects = OutboxMessageQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outbox")
        indexes = [
            models.Index(fields=["status", "claimed_at"]),
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["content_type", "object_id"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "content_type", "object_id", "recipient", "revision"],
                name="outbox_one_message_per_kind_object_recipient_revision",
            )
        ]

    def __str__(self):
        return f"{self.kind} to {self.recipient} ({self.get_status_display()})"

    @property
    def message_id(self) -> str:
        """A Message-ID derived from the row, so a message sent twice is recognisably the same one."""
        host = urlsplit(settings.SITE_URL).hostname or "localhost"
        return f"<outbox.{self.pk}.{self.kind}.{self.revision}@{host}>"
