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


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.nodeid.startswith("tests/e2e/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="package")
def browser():
    """One chromium for the browser tests, closed when they are done.

    Playwright's sync API keeps an event loop running in this thread, so Django would refuse the
    tests' own ORM calls as "async"; they are plain synchronous calls, which the variable allows,
    only while the browser is open (it never reaches the other tests or their subprocesses).
    """
    if not CHROMIUM.exists():
        pytest.skip(f"needs Debian's chromium at {CHROMIUM}: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = launch(playwright)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def site(live_server, transactional_db, page_cache):
    """The live server's base URL, with the demo data loaded; the page cache is on, as in production."""
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115 - closed with the process
    return live_server.url


# Browsers ask for /favicon.ico on pages that name no icon (the admin's); that 404 is no defect.
IGNORED_FAILED_PATHS = ("/favicon.ico",)


class PageProblems:
    """Console errors, policy violations and failed requests seen while a page was open."""

    def __init__(self):
        self.messages: list[str] = []

    def attach(self, page):
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.messages.append(f"uncaught: {error}"))
        page.on("response", self._response)

    def _console(self, message):
        # Failed loads are reported with their URL by _response.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.messages.append(message.text)

    def _response(self, response):
        path = "/" + response.url.split("/", 3)[-1]
        if response.status >= 400 and not path.startswith(IGNORED_FAILED_PATHS):
            self.messages.append(f"{response.status} {response.request.method} {path}")

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
