"""Playwright helpers for the browser tests: Debian's chromium, axe-core, screenshots.

Nothing is downloaded at run time: chromium is the Debian package at /usr/bin/chromium and axe-core
comes from node_modules (package.json, installed by `npm ci`).
"""

import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

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
AXE_JS = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOT_DIR = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"

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


@dataclass
class AxeViolation:
    rule: str
    impact: str
    help: str
    targets: list[str]

    def __str__(self):
        return f"[{self.impact}] {self.rule}: {self.help} at {', '.join(self.targets[:5])}"


def run_axe(page) -> list[AxeViolation]:
    """Every axe-core violation on the page as it is now.

    axe is evaluated through the DevTools protocol (page.evaluate), which the page's
    Content-Security-Policy does not govern, so the policy stays as strict as in production.
    """
    assert AXE_JS.exists(), (
        f"{AXE_JS} is missing: run `npm ci` in the project folder (package.json pins axe-core)"
    )
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
