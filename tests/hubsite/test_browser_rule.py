"""The one rule that skips a browser test (tests/browser.py), wherever the test lives."""

from pathlib import Path

from tests import browser


def test_browser_skip_reason_names_what_is_missing_and_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setattr(browser, "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.setattr(browser, "AXE_JS", browser.ROOT / "node_modules" / "no-axe" / "axe.min.js")
    how = "run `make setup` as root on Debian, or: apt-get install chromium fonts-nanum npm && npm ci"
    chromium = f"Debian's chromium at {tmp_path / 'no-chromium'}"
    assert browser.skip_reason() == f"browser test: needs {chromium}; {how}"
    assert browser.skip_reason(axe=True) == (
        f"browser test: needs {chromium} and axe-core at node_modules/no-axe/axe.min.js; {how}"
    )


def test_browser_skip_reason_is_none_when_everything_is_there(monkeypatch):
    monkeypatch.setattr(browser, "CHROMIUM", Path(__file__))
    monkeypatch.setattr(browser, "AXE_JS", Path(__file__))
    assert (browser.skip_reason(), browser.skip_reason(axe=True)) == (None, None)


def test_no_test_module_launches_chromium_or_fails_without_it_on_its_own():
    """Every browser test gets chromium from the shared fixture: no module of its own launches it,
    and none calls pytest.fail when it is missing (the case that failed `make test` before)."""
    tests = Path(browser.__file__).parent
    own = sorted(
        str(path.relative_to(tests))
        for path in tests.rglob("*.py")
        if path.name != "browser.py"
        and path != Path(__file__)
        and ("sync_playwright" in path.read_text() or "/usr/bin/chromium" in path.read_text())
    )
    assert own == []
