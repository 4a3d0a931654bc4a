"""Fixtures for the browser tests (marked `browser`): a live server, Debian's chromium, pages that
record Content-Security-Policy violations and script errors.

They skip, with the reason, only when /usr/bin/chromium is missing; CI installs it and fails on
any skip.
"""

import os
import re

import pytest
from django.core import mail
from django.core.management import call_command

from .browser import CHROMIUM, DESKTOP, launch

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make alongside
# it are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.nodeid.startswith("tests/e2e/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"needs Debian's chromium at {CHROMIUM}: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture
def site(live_server, transactional_db):
    """The live server's base URL, with the demo data loaded."""
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115 - closed with the process
    return live_server.url


class PageProblems:
    """Console errors and policy violations seen while a page was open."""

    def __init__(self):
        self.messages: list[str] = []

    def attach(self, page):
        page.on("console", lambda message: message.type == "error" and self.messages.append(message.text))
        page.on("pageerror", lambda error: self.messages.append(f"uncaught: {error}"))

    @property
    def csp_violations(self) -> list[str]:
        return [m for m in self.messages if "Content Security Policy" in m or "Refused to" in m]


def _new_page(browser, problems, **context_options):
    context = browser.new_context(**{**DESKTOP, "locale": "en-GB", **context_options})
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems.attach(page)
    return context, page


@pytest.fixture
def make_page(browser):
    """make_page(locale="ko-KR", **PHONE) -> a page in a fresh browser context (own cookies).

    After the test, no page may have hit a Content-Security-Policy violation or a script error."""
    opened = []

    def factory(**context_options):
        problems = PageProblems()
        context, page = _new_page(browser, problems, **context_options)
        opened.append((context, problems))
        return page

    yield factory
    for context, _problems in opened:
        context.close()
    seen = [message for _context, problems in opened for message in problems.messages]
    assert seen == [], "browser console errors or CSP violations:\n" + "\n".join(seen)


@pytest.fixture
def page(make_page):
    return make_page()


def link_from_last_mail(pattern: str) -> str:
    """The path of the first link matching `pattern` in the last message sent."""
    assert mail.outbox, "no mail was sent"
    match = re.search(r"https?://[^/\s]+(" + pattern + r")", mail.outbox[-1].body)
    assert match, f"no link matching {pattern!r} in:\n{mail.outbox[-1].body}"
    return match.group(1)
