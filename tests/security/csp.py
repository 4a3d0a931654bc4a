"""Content-Security-Policy checks shared by the matrix and the page tests."""

from html.parser import HTMLParser

# <script type> values a browser does not run.
_DATA_SCRIPT_TYPES = {"application/json", "application/ld+json", "text/template"}


class _InlineScriptFinder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.inline_without_nonce = []
        self._open = None

    def handle_starttag(self, tag, attrs):
        if tag != "script":
            return
        attributes = dict(attrs)
        runnable = (attributes.get("type") or "text/javascript").lower() not in _DATA_SCRIPT_TYPES
        if runnable and not attributes.get("src") and not attributes.get("nonce"):
            self._open = ""

    def handle_data(self, data):
        if self._open is not None:
            self._open += data

    def handle_endtag(self, tag):
        if tag == "script" and self._open is not None:
            self.inline_without_nonce.append(self._open.strip()[:80])
            self._open = None


def directive(policy: str, name: str) -> list[str]:
    for part in policy.split(";"):
        words = part.split()
        if words and words[0] == name:
            return words[1:]
    return []


def csp_problems(response) -> list[str]:
    """What is wrong with the policy of an HTML response (empty for anything else, or all good)."""
    if not response.get("Content-Type", "").startswith("text/html") or not response.content:
        return []
    policy = response.get("Content-Security-Policy", "")
    if not policy:
        return ["no Content-Security-Policy header"]
    problems = []
    scripts = directive(policy, "script-src") or directive(policy, "default-src")
    if not scripts:
        problems.append("neither script-src nor default-src")
    if "'unsafe-inline'" in scripts or "'unsafe-eval'" in scripts:
        problems.append(f"script-src allows inline code: {scripts}")
    # object-src falls back to default-src when absent (CSP Level 3).
    if (directive(policy, "object-src") or directive(policy, "default-src")) != ["'none'"]:
        problems.append("object-src is not 'none'")
    # A sandboxed document (the admin's e-mail preview) may be framed by the site's own pages: it
    # can run nothing and reach nothing. Every other page may not be framed at all.
    sandboxed = any(part.split()[:1] == ["sandbox"] for part in policy.split(";"))
    framers = ["'self'"] if sandboxed else []
    if directive(policy, "frame-ancestors") not in (["'none'"], framers):
        problems.append("frame-ancestors is not 'none'")
    finder = _InlineScriptFinder()
    finder.feed(response.content.decode(response.charset or "utf-8", "replace"))
    problems += [f"inline <script> without a nonce: {body!r}" for body in finder.inline_without_nonce]
    return problems
