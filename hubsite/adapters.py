"""allauth's mail goes through the outbox like every other message the hub sends."""

import hashlib
import time

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.contrib.sites.shortcuts import get_current_site
from django.db import models
from django.utils import translation

from .services import outbox_write


class OutboxAccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Render allauth's own templates, then write an outbox row instead of sending.

        The row is about the user when there is one (verification, reset, notices), else about the
        site (a reset asked for an unknown address). A mail carrying a one-time key or code has a
        revision derived from it, so a second, legitimate mail (a new key) is a new row while the
        same call made twice is one row; a mail without a key is always new (allauth rate-limits them).
        """
        request = allauth_context.request
        site = get_current_site(request)
        ctx = {"request": request, "email": email, "current_site": site, **context}
        rendered = self.render_mail(template_prefix, email, ctx)
        html = next(
            (alt.content for alt in getattr(rendered, "alternatives", []) if alt.mimetype == "text/html"), ""
        )
        user = context.get("user")
        about = user if isinstance(user, models.Model) and user.pk else site
        outbox_write(
            kind="account." + template_prefix.rsplit("/", 1)[-1],
            about=about,
            recipient=email,
            revision=_revision(context),
            language=translation.get_language() or "en",
            subject=rendered.subject,
            body_text=rendered.body,
            body_html=html,
        )


def _revision(context: dict) -> int:
    secret = context.get("key") or context.get("code")
    if secret:
        # 56 bits of a hash of the key: the key itself never lands in a column of its own.
        return int.from_bytes(hashlib.sha256(str(secret).encode()).digest()[:7], "big")
    return time.time_ns() // 1000
