"""allauth's mail goes through the outbox like every other message the hub sends."""

import hashlib
import time

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.contrib.sites.shortcuts import get_current_site
from django.core.mail import EmailMultiAlternatives
from django.db import models
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import translation

from .context_processors import hub as hub_context
from .services import TEXT_TEMPLATES, outbox_write
from .sites import site_for_language

# allauth's own mails are plain text; each gets an HTML part on email/base.html from this template
# (a `<prefix>_message.html` of our own, where one exists, is used instead).
ACCOUNT_HTML_TEMPLATE = "email/account_message.html"


class OutboxAccountAdapter(DefaultAccountAdapter):
    def render_mail(self, template_prefix: str, email, context: dict, headers: dict | None = None):
        """allauth's templates, the subject and text part through the text engine (never
        HTML-escaped: "O'Brien" stays "O'Brien"), and an HTML part on the hub's mail layout."""
        to = [email] if isinstance(email, str) else email
        subject = render_to_string(f"{template_prefix}_subject.txt", context, using=TEXT_TEMPLATES)
        subject = self.format_email_subject(" ".join(subject.splitlines()).strip())
        body = render_to_string(f"{template_prefix}_message.txt", context, using=TEXT_TEMPLATES).strip()
        # What outbox_enqueue gives every mail template: the hub's name in this language, SITE_URL.
        html_context = {**hub_context(None), "language": translation.get_language(), **context}
        try:
            html = render_to_string(
                f"{template_prefix}_message.{account_settings.TEMPLATE_EXTENSION}", html_context
            )
        except TemplateDoesNotExist:
            html = render_to_string(ACCOUNT_HTML_TEMPLATE, {**html_context, "body": body, "subject": subject})
        message = EmailMultiAlternatives(subject, body, self.get_from_email(), to, headers=headers)
        message.attach_alternative(html, "text/html")
        return message

    def format_email_subject(self, subject: str) -> str:
        # "[서울 AI 연구 허브] ..." in Korean: the hub's name in the language of the mail.
        prefix = account_settings.EMAIL_SUBJECT_PREFIX
        if prefix is None:
            prefix = f"[{site_for_language(translation.get_language()).name}] "
        return prefix + subject

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Render allauth's own templates, then write an outbox row instead of sending.

        The row is about the user when there is one (verification, reset, notices), else about the
        site (a reset asked for an unknown address). A mail carrying a one-time key or code has a
        revision derived from it, so a second, legitimate mail (a new key) is a new row while the
        same call made twice is one row; a mail without a key is always new (allauth rate-limits them).
        """
        request = allauth_context.request
        site = get_current_site(request)
        language = translation.get_language() or "en"
        # The templates say "Hello from {{ current_site.name }}": the hub's name in this language.
        ctx = {"request": request, "email": email, "current_site": site_for_language(language), **context}
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
            language=language,
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
