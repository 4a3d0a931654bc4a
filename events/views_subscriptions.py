"""Series subscriptions by e-mail: subscribe (double opt-in), confirm, unsubscribe (RFC 8058 one-click)."""

from django import forms
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from hubsite.ratelimit import over_limit

from .models import Series
from .services import (
    SubscriptionLinkError,
    SubscriptionLinkInvalid,
    series_subscription_confirm,
    series_subscription_for_token,
    series_subscription_request,
    series_subscription_unsubscribe,
    subscription_needs_confirming,
)

# Requests per minute from one IP address. Unsubscribing allows more: mail providers send the
# one-click POSTs of many readers from few addresses.
SUBSCRIBE_LIMIT_PER_MINUTE = 5
LINK_LIMIT_PER_MINUTE = 30
TEMPLATES = "events/subscriptions/"


class SubscribeForm(forms.Form):
    email = forms.EmailField(
        label=_("Your e-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={
            "required": _("Enter the e-mail address the announcements should go to."),
            "invalid": _("Enter a valid e-mail address, like name@example.org."),
        },
    )


def _over_limit(request, scope: str, limit: int) -> bool:
    return over_limit(request, scope=scope, limit=limit, window_seconds=60)


def _too_many(request):
    response = render(request, TEMPLATES + "rate_limited.html", status=429)
    response["Retry-After"] = "60"
    return response


def _link_error(request, error: SubscriptionLinkError):
    # A link that never existed is "not found"; one that existed but no longer works is "gone".
    status = 404 if isinstance(error, SubscriptionLinkInvalid) else 410
    return render(request, TEMPLATES + "link_error.html", {"message": error.message}, status=status)


@require_http_methods(["GET", "POST"])
def series_subscribe(request, slug):
    series = get_object_or_404(Series.objects.public(), slug=slug)
    form = SubscribeForm(request.POST or None)
    if request.method == "POST":
        if _over_limit(request, "subscribe", SUBSCRIBE_LIMIT_PER_MINUTE):
            return _too_many(request)
        if form.is_valid():
            series_subscription_request(
                series=series, email=form.cleaned_data["email"], language=(get_language() or "en")[:8]
            )
            return redirect("events:series_subscribe_requested", slug=series.slug)
    return render(request, TEMPLATES + "subscribe.html", {"series": series, "form": form})


def series_subscribe_requested(request, slug):
    series = get_object_or_404(Series.objects.public(), slug=slug)
    return render(request, TEMPLATES + "requested.html", {"series": series})


@require_http_methods(["GET", "POST"])
def subscription_confirm(request, token):
    if _over_limit(request, "subscription-link", LINK_LIMIT_PER_MINUTE):
        return _too_many(request)
    try:
        if request.method == "POST":
            change = series_subscription_confirm(token=token)
            state = "confirmed" if change.changed else "already_confirmed"
            subscription = change.subscription
        else:
            # A GET only shows a button: link scanners in mail systems must not confirm for anyone.
            subscription = series_subscription_for_token(token=token)
            state = "ask" if subscription_needs_confirming(subscription) else "already_confirmed"
    except SubscriptionLinkError as error:
        return _link_error(request, error)
    context = {"subscription": subscription, "series": subscription.series, "state": state}
    return render(request, TEMPLATES + "confirm.html", context)


@csrf_exempt  # RFC 8058: the one-click POST comes from the mail provider, with no session or token
@require_http_methods(["GET", "POST"])
def subscription_unsubscribe(request, token):
    if _over_limit(request, "subscription-link", LINK_LIMIT_PER_MINUTE):
        return _too_many(request)
    try:
        if request.method == "POST":
            change = series_subscription_unsubscribe(token=token)
            state = "unsubscribed" if change.changed else "already_unsubscribed"
            subscription = change.subscription
        else:
            subscription = series_subscription_for_token(token=token)
            state = "already_unsubscribed" if subscription.unsubscribed_at else "ask"
    except SubscriptionLinkError as error:
        return _link_error(request, error)
    context = {"subscription": subscription, "series": subscription.series, "state": state}
    return render(request, TEMPLATES + "unsubscribe.html", context)
