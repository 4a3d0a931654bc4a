"""Fixtures of the journeys in tests/e2e/: the live site with the demo data. The browser and its
pages (`browser`, `make_page`, `page`) come from tests/browser.py, shared by every test folder."""

import os
import re

import pytest
from django.core import mail
from django.core.management import call_command


@pytest.fixture
def site(live_server, transactional_db, page_cache):
    """The live server's base URL, with the demo data loaded; the page cache is on, as in production."""
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115 - closed with the process
    return live_server.url


def link_from_last_mail(pattern: str) -> str:
    """The path of the first link matching `pattern` in the last message sent."""
    assert mail.outbox, "no mail was sent"
    match = re.search(r"https?://[^/\s]+(" + pattern + r")", mail.outbox[-1].body)
    assert match, f"no link matching {pattern!r} in:\n{mail.outbox[-1].body}"
    return match.group(1)
