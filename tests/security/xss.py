"""A corpus of XSS payloads and a check that a rendered page carries none of them as markup.

Every payload contains MARK, so the check can tell the payload's markup from the site's own.
Use it on every page that shows a Markdown or text field:

    for payload in XSS_PAYLOADS:
        EventFactory(title=payload, abstract=payload)
        assert_no_payload_markup(client.get(url).content.decode())
"""

import re
from html.parser import HTMLParser

MARK = "xss7ad2"

XSS_PAYLOADS: list[str] = [
    # script elements
    f"<script>alert('{MARK}')</script>",
    f"<SCRIPT SRC=//evil.example/{MARK}.js></SCRIPT>",
    f"<scr<script>ipt>alert('{MARK}')</scr</script>ipt>",
    f"</title><script>alert('{MARK}')</script>",
    f"\"><script>alert('{MARK}')</script>",
    f"'><script>alert('{MARK}')</script>",
    # event handlers
    f"<img src=x onerror=alert('{MARK}')>",
    f'<img src="x" onerror="alert(\'{MARK}\')">',
    f"<body onload=alert('{MARK}')>",
    f"<div onmouseover=\"alert('{MARK}')\">hover</div>",
    f'<a href="#" onclick="alert(\'{MARK}\')">click</a>',
    f'" onfocus="alert(\'{MARK}\')" autofocus="',
    f"<details open ontoggle=alert('{MARK}')>",
    # javascript: and other dangerous URLs, raw, in Markdown and entity-encoded
    f"<a href=\"javascript:alert('{MARK}')\">link</a>",
    f"[link](javascript:alert('{MARK}'))",
    f"[link](JaVaScRiPt:alert('{MARK}'))",
    f"[link]( javascript:alert('{MARK}'))",
    f"<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;:alert('{MARK}')\">x</a>",
    f"<a href=\"&#x6A;avascript&colon;alert('{MARK}')\">x</a>",
    f"<a href=\"java\tscript:alert('{MARK}')\">x</a>",
    f"![img](javascript:alert('{MARK}'))",
    f'<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==#{MARK}">x</a>',
    f"<a href=\"vbscript:msgbox('{MARK}')\">x</a>",
    f"<iframe src=\"javascript:alert('{MARK}')\"></iframe>",
    f"<form action=\"javascript:alert('{MARK}')\"><button>go</button></form>",
    # SVG and MathML
    f"<svg onload=alert('{MARK}')>",
    f"<svg><script>alert('{MARK}')</script></svg>",
    f"<svg><a xlink:href=\"javascript:alert('{MARK}')\"><text>x</text></a></svg>",
    f"<svg><animate onbegin=alert('{MARK}') attributeName=x dur=1s>",
    f"<math><mtext><table><mglyph><style><img src=x onerror=alert('{MARK}')>",
    # entity-encoded and otherwise disguised markup
    f"&lt;script&gt;alert('{MARK}')&lt;/script&gt;",
    f"&#60;script&#62;alert('{MARK}')&#60;/script&#62;",
    f"%3Cscript%3Ealert('{MARK}')%3C/script%3E",
    f"<<script>alert('{MARK}');//<</script>",
    f"<style>@import 'http://evil.example/{MARK}.css';</style>",
    f"<link rel=stylesheet href=//evil.example/{MARK}.css>",
    f'<meta http-equiv="refresh" content="0;url=javascript:alert(\'{MARK}\')">',
    f"<object data=\"javascript:alert('{MARK}')\"></object>",
    f"<embed src=\"javascript:alert('{MARK}')\">",
    f"<base href=\"javascript:alert('{MARK}')//\">",
    f"`<script>alert('{MARK}')</script>`",
    f"<noscript><p title=\"</noscript><img src=x onerror=alert('{MARK}')>\">",
]

# Elements that must never come from untrusted text, whatever their content.
DANGEROUS_TAGS = {
    "script", "iframe", "frame", "object", "embed", "svg", "math", "style", "link", "meta", "base",
    "form", "body", "details", "animate", "noscript",
}  # fmt: skip
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background"}
_BAD_SCHEME = re.compile(r"^(javascript|vbscript|data):", re.IGNORECASE)
_TAB_OR_NEWLINE = re.compile(r"[\t\n\r]")


def _as_browser_reads_url(value: str) -> str:
    """What a browser's URL parser makes of an attribute value (WHATWG URL: leading and trailing
    C0 controls and spaces dropped, tabs and newlines removed anywhere)."""
    return _TAB_OR_NEWLINE.sub("", value.strip("".join(chr(c) for c in range(0x21))))


# Elements whose whole content is dangerous when it comes from untrusted text: raw-text elements
# (script, style) and the ones browsers re-parse in surprising ways (mutation XSS).
CONTAINERS = {"script", "style", "noscript", "svg", "math", "template", "iframe", "textarea", "xmp"}


# <meta name="description"> and Open Graph tags are the site's own: a payload in their `content`
# is text a browser never runs. Any other attribute carrying the payload (http-equiv, charset, an
# event handler) is still reported.
_SUMMARY_META = re.compile(r"^(description|og:[a-z:_]+|twitter:[a-z:_]+)$")


def _is_page_summary(tag: str, attrs: list) -> bool:
    if tag != "meta" or not self_closing_safe(attrs):
        return False
    names = dict(attrs)
    return bool(_SUMMARY_META.match(names.get("name") or names.get("property") or ""))


def self_closing_safe(attrs: list) -> bool:
    """Only name/property and content, and the payload only in content."""
    return {name for name, _ in attrs} <= {"name", "property", "content"} and all(
        MARK not in (value or "") for name, value in attrs if name != "content"
    )


DATA_SCRIPT_TYPES = {"application/ld+json", "application/json"}
DATA_SCRIPT = "script (data)"


class _PayloadMarkupFinder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._open_containers: list[str] = []

    def handle_starttag(self, tag, attrs):
        text = tag + " " + " ".join(f"{name}={value}" for name, value in attrs)
        if MARK in text and _is_page_summary(tag, attrs):
            return  # the page's own description: the payload is escaped text in `content`
        if MARK in text and (tag in DANGEROUS_TAGS or self._open_containers):
            self.problems.append(f"<{tag}> carrying the payload: {text[:120]}")
        for name, value in attrs:
            value = value or ""
            if name.startswith("on") and MARK in value:
                self.problems.append(f"event handler {name}={value[:80]!r} on <{tag}>")
            if name in URL_ATTRIBUTES and _BAD_SCHEME.match(_as_browser_reads_url(value)):
                self.problems.append(f"{name}={value[:80]!r} on <{tag}>")
        if tag == "script" and (dict(attrs).get("type") or "").lower() in DATA_SCRIPT_TYPES:
            # JSON data (JSON-LD) is never run; the payload in it is safe as long as it cannot close
            # the element, and if it could, the markup after the break-out is parsed and reported.
            self._open_containers.append(DATA_SCRIPT)
        elif tag in CONTAINERS:
            self._open_containers.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in CONTAINERS:
            self._open_containers.pop()

    def handle_endtag(self, tag):
        if tag == "script" and self._open_containers[-1:] == [DATA_SCRIPT]:
            self._open_containers.pop()
        elif tag in self._open_containers:
            while self._open_containers.pop() != tag:
                pass

    def handle_data(self, data):
        if self._open_containers[-1:] == [DATA_SCRIPT]:
            return
        if self._open_containers and MARK in data:
            self.problems.append(f"payload inside <{self._open_containers[-1]}>: {data[:80]!r}")


def payload_markup(html: str) -> list[str]:
    """What in `html` is a payload's markup rather than its text (empty when the page is safe)."""
    finder = _PayloadMarkupFinder()
    finder.feed(html)
    if finder._open_containers and MARK in finder.rawdata:
        # An unclosed raw-text element swallowing the rest of the page, payload included.
        finder.problems.append(f"payload inside an unclosed <{finder._open_containers[-1]}>")
    finder.close()
    return finder.problems


def assert_no_payload_markup(html: str, *, where: str = "page") -> None:
    problems = payload_markup(html)
    assert problems == [], f"XSS payload survived as markup in the {where}:\n" + "\n".join(problems)
