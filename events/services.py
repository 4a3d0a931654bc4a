from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hubsite.models import OutboxMessage
from hubsite.services import outbox_enqueue

from .models import Series, SeriesSubscription

# --- Series subscriptions ------------------------------------------------------------------
# Double opt-in e-mail announcements of a series (the imports above are this section's).

SUBSCRIPTION_CONFIRMATION_VALID_FOR = timedelta(days=7)
# Asking again sooner does not send another confirmation mail (no mail-bombing a stranger's inbox).
SUBSCRIPTION_CONFIRMATION_RESEND_AFTER = timedelta(minutes=10)


class SubscriptionLinkError(Exception):
    """A confirmation or unsubscribe link that cannot be honoured; `message` says why."""

    message = _("This link is not valid. Check that you copied the whole link from the e-mail.")


class SubscriptionLinkInvalid(SubscriptionLinkError):
    pass


class SubscriptionLinkExpired(SubscriptionLinkError):
    message = _("This confirmation link has expired. Subscribe again to get a new one.")


class SubscriptionCancelled(SubscriptionLinkError):
    message = _("This subscription was cancelled. Subscribe again to get a new confirmation link.")


@dataclass(frozen=True)
class SubscriptionChange:
    subscription: SeriesSubscription
    # False when the link had already been used: the second click changes nothing.
    changed: bool


def subscription_confirm_url(subscription: SeriesSubscription) -> str:
    return settings.SITE_URL + reverse("events:subscription_confirm", args=[subscription.token])


def subscription_unsubscribe_url(subscription: SeriesSubscription) -> str:
    return settings.SITE_URL + reverse("events:subscription_unsubscribe", args=[subscription.token])


def series_subscription_request(*, series: Series, email: str, language: str = "en") -> SeriesSubscription:
    """Ask for a series' announcements: a confirmation mail goes out, nothing else until it is used.

    An active subscription stays as it is (and nothing is sent, so the answer given to whoever asked
    reveals nothing); a cancelled one starts over with a new token; a pending one gets a new
    confirmation mail, at most every SUBSCRIPTION_CONFIRMATION_RESEND_AFTER.
    """
    email = email.strip().lower()
    now = timezone.now()
    with transaction.atomic():
        subscription, created = SeriesSubscription.objects.select_for_update().get_or_create(
            series=series, email=email, defaults={"language": language, "requested_at": now}
        )
        if subscription.is_active:
            return subscription
        if subscription.unsubscribed_at is not None:
            subscription.token = SeriesSubscription._meta.get_field("token").get_default()
            subscription.unsubscribed_at = None
            subscription.confirmed_at = None
        elif not created and now - subscription.requested_at < SUBSCRIPTION_CONFIRMATION_RESEND_AFTER:
            return subscription
        subscription.requested_at = now
        subscription.language = language
        subscription.confirmations_sent += 1
        subscription.save()
        outbox_enqueue(
            kind="series_subscription_confirm",
            about=subscription,
            recipient=email,
            template="series_subscription_confirm",
            context={
                "series": series,
                "confirm_url": subscription_confirm_url(subscription),
                "valid_days": SUBSCRIPTION_CONFIRMATION_VALID_FOR.days,
            },
            revision=subscription.confirmations_sent,
            language=language,
        )
    return subscription


def series_subscription_confirm(*, token: str) -> SubscriptionChange:
    with transaction.atomic():
        subscription = SeriesSubscription.objects.select_for_update().filter(token=token).first()
        if subscription is None:
            raise SubscriptionLinkInvalid
        if not subscription_needs_confirming(subscription):
            return SubscriptionChange(subscription, changed=False)
        subscription.confirmed_at = timezone.now()
        subscription.save(update_fields=["confirmed_at"])
    return SubscriptionChange(subscription, changed=True)


def subscription_needs_confirming(subscription: SeriesSubscription) -> bool:
    """True for a pending subscription whose link still works; False once confirmed.

    Raises SubscriptionCancelled or SubscriptionLinkExpired for a link that can no longer confirm."""
    if subscription.unsubscribed_at is not None:
        raise SubscriptionCancelled
    if subscription.confirmed_at is not None:
        return False
    if timezone.now() - subscription.requested_at > SUBSCRIPTION_CONFIRMATION_VALID_FOR:
        raise SubscriptionLinkExpired
    return True


def series_subscription_unsubscribe(*, token: str) -> SubscriptionChange:
    """Stop a subscription (or a pending request) by its link; a second use changes nothing."""
    with transaction.atomic():
        subscription = SeriesSubscription.objects.select_for_update().filter(token=token).first()
        if subscription is None:
            raise SubscriptionLinkInvalid
        if subscription.unsubscribed_at is not None:
            return SubscriptionChange(subscription, changed=False)
        subscription.unsubscribed_at = timezone.now()
        subscription.save(update_fields=["unsubscribed_at"])
    return SubscriptionChange(subscription, changed=True)


def series_subscription_for_token(*, token: str) -> SeriesSubscription:
    subscription = SeriesSubscription.objects.select_related("series").filter(token=token).first()
    if subscription is None:
        raise SubscriptionLinkInvalid
    return subscription


def series_subscribers(series: Series) -> list[str]:
    """The confirmed, still subscribed addresses of a series (an audience for its announcements)."""
    return list(series.subscriptions.active().order_by("email").values_list("email", flat=True))


def series_announcement_headers(subscription: SeriesSubscription) -> dict[str, str]:
    """List headers of an announcement: one-click unsubscribe (RFC 8058) and the list's identity."""
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return {
        "List-Unsubscribe": f"<{subscription_unsubscribe_url(subscription)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": f"<{subscription.series.slug}.series.{host}>",
    }


def series_announcement_enqueue(
    *,
    series: Series,
    kind: str,
    about: models.Model,
    template: str,
    context: dict,
    revision: int = 0,
    attachments: tuple[dict, ...] = (),
) -> list[OutboxMessage]:
    """One outbox row per active subscriber, each with its own unsubscribe link and list headers.

    The template gets `unsubscribe_url` (email/base.* show it in the footer). Asking twice for the
    same (kind, about, revision) sends nothing more; pending subscribers get nothing.
    """
    messages = []
    for subscription in series.subscriptions.active().select_related("series").order_by("pk"):
        messages.append(
            outbox_enqueue(
                kind=kind,
                about=about,
                recipient=subscription.email,
                template=template,
                context={
                    **context,
                    "series": series,
                    "unsubscribe_url": subscription_unsubscribe_url(subscription),
                },
                revision=revision,
                language=subscription.language,
                attachments=attachments,
                headers=series_announcement_headers(subscription),
            )
        )
    return messages
