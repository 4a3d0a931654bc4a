"""`python bench/screenshots.py [--base-url URL]`: one set of screenshots into docs/screenshots/.

Without --base-url it serves the site itself (a fresh SQLite database with the demo data, on a
free loopback port) and stops it afterwards. Pages answering 404 are left out, so the set grows
as the pages land. Uses Debian's chromium, as the browser tests do.
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
OUT = ROOT / "docs" / "screenshots"

DESKTOP = {"viewport": {"width": 1280, "height": 900}, "locale": "en-GB"}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}

# name, path, browser context options. One line a screenshot.
SHOTS = [
    ("home", "/", DESKTOP),
    ("home-ko", "/", {**DESKTOP, "locale": "ko-KR"}),
    ("home-phone", "/", {**PHONE, "locale": "en-GB"}),
    ("events", "/events/", DESKTOP),
    ("events-ko", "/events/", {**DESKTOP, "locale": "ko-KR"}),
    ("events-phone", "/events/", {**PHONE, "locale": "en-GB"}),
    ("partners", "/partners/", DESKTOP),
    ("sign-in", "/accounts/login/", DESKTOP),
    ("sign-up", "/accounts/signup/", DESKTOP),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback URL
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


@contextmanager
def demo_server():
    with tempfile.TemporaryDirectory(prefix="hub-shots-") as var:
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
        env.update(DJANGO_DEBUG="true", HUB_VAR_DIR=var, LOG_LEVEL="WARNING")
        quiet = {"cwd": ROOT, "env": env, "check": True, "stdout": subprocess.DEVNULL}
        subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], **quiet)
        subprocess.run([PYTHON, "manage.py", "seed_demo"], **quiet)
        port = free_port()
        server = subprocess.Popen(
            [PYTHON, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while answers(base + "/healthz/live") != 200:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the demo server did not start")
                time.sleep(0.3)
            yield base
        finally:
            server.terminate()
            server.wait(timeout=20)


def take(base: str, out: Path) -> list[Path]:
    sys.path.insert(0, str(ROOT))
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS

    out.mkdir(parents=True, exist_ok=True)
    saved = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for name, path, options in SHOTS:
            if answers(base + path) != 200:
                print(f"skip {name}: {path} is not available yet")
                continue
            context = browser.new_context(**options)
            page = context.new_page()
            page.goto(base + path)
            target = out / f"{name}.png"
            page.screenshot(path=str(target), full_page=False)
            saved.append(target)
            context.close()
        browser.close()
    return saved


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", help="a running site to photograph instead of a fresh demo server")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hubsite.settings")
    if args.base_url:
        saved = take(args.base_url.rstrip("/"), args.out)
    else:
        with demo_server() as base:
            saved = take(base, args.out)
    for path in saved:
        print(f"saved {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
