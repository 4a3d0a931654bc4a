"""The browser tests' one home: Debian's chromium under Playwright, axe-core, screenshots, and the
fixtures every test folder uses (`browser`, `make_page`, `page`). Loaded as a plugin by
tests/conftest.py.

Nothing is downloaded at run time: chromium is the Debian package at /usr/bin/chromium and axe-core
comes from node_modules (package.json, installed by `npm ci`). `make setup` installs both where it
can (root and apt-get); where it cannot, `skip_reason()` is the one rule that skips a browser test,
with the reason, and CI (HUB_FORBID_SKIPS=1) fails on that skip.

A test is a browser test when it uses the `browser` fixture (directly or through `make_page` or
`page`) or carries the `browser` marker.
"""

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOT_DIR = ROOT / "test-artifacts" / "screenshots"
HOW_TO_INSTALL = "run `make setup` as root on Debian, or: apt-get install chromium fonts-nanum npm && npm ci"

DESKTOP = {"viewport": {"width": 1280, "height": 900}}
# An iPhone-13-sized screen, touch and all.
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}

# axe impacts that fail a test.
BLOCKING_IMPACTS = {"serious", "critical"}


def skip_reason(*, axe: bool = False) -> str | None:
    """Why a browser test cannot run here (None when it can): chromium, and axe-core if it needs it."""
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"Debian's chromium at {CHROMIUM}")
    if axe and not AXE_JS.exists():
        missing.append(f"axe-core at {AXE_JS.relative_to(ROOT)}")
    if not missing:
        return None
    return f"browser test: needs {' and '.join(missing)}; {HOW_TO_INSTALL}"


def pytest_collection_modifyitems(config, items):
    reason = skip_reason()
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)
        if reason and item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.skip(reason=reason))


# --- Fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    """One chromium per test module, closed when the module is done.

    Playwright's sync API keeps an event loop running in this thread, so Django would refuse the
    tests' own ORM calls as "async"; they are plain synchronous calls, which the variable allows,
    only while the browser is open (it never reaches other modules' tests or their subprocesses).
    """
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
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


# --- Helpers -------------------------------------------------------------------------------


@dataclass
class AxeViolation:
    rule: str
    impact: str
    help: str
    targets: list[str]

    def __str__(self):
        return f"[{self.impact}] {self.rule}: {self.help} at {', '.join(self.targets[:5])}"


def run_axe(page) -> list[AxeViolation]:
    """Every axe-core violation on the page as it is now (the test skips, by the one rule, without
    axe-core).

    axe is evaluated through the DevTools protocol (page.evaluate), which the page's
    Content-Security-Policy does not govern, so the policy stays as strict as in production.
    """
    reason = skip_reason(axe=True)
    if reason:
        pytest.skip(reason)
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_JS.read_text())
    result = page.evaluate(
        """async () => {
            const results = await axe.run(document, {resultTypes: ['violations']});
            return results.violations.map(v => ({
                rule: v.id, impact: v.impact || '', help: v.help,
                targets: v.nodes.map(n => n.target.join(' ')),
            }));
        }"""
    )
    return [AxeViolation(**violation) for violation in result]


def blocking_violations(page) -> list[AxeViolation]:
    return [violation for violation in run_axe(page) if violation.impact in BLOCKING_IMPACTS]


def screenshot(page, name: str, *, folder: Path | None = None, always: bool = False) -> Path | None:
    """Save a full-page screenshot as <name>.png: on CI (CI=true) into test-artifacts/screenshots/,
    or into `folder` when given with always=True (bench/screenshots.py does that for docs/)."""
    if not always and os.environ.get("CI") != "true":
        return None
    target = (folder or SCREENSHOT_DIR) / f"{name}.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target), full_page=True)
    return target


def launch(playwright):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
