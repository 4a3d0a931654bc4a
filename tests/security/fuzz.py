"""Hostile input for every URL pattern, query parameter and form field the site has.

`HOSTILE_VALUES` holds one value of each kind that has broken a web site's database or calendar
code: a NUL byte (PostgreSQL cannot store it), text far longer than any field, percent-escapes
that are not UTF-8, integers beyond bigint, negative numbers, dates the calendar cannot hold, and
scripts that are not Latin. `fill_route` puts values into a resolver pattern (path converters and
regular-expression groups alike); `ReadRecorder` notes which GET and POST keys a view reads, so
the walkers fuzz the parameters views really read without a list kept by hand.
"""

import re
from urllib.parse import quote

from django.http import QueryDict

LONG_TEXT = "a" * 20_000
HUGE_INT = str(2**70)

# value -> how it goes into a URL or a form body: None percent-encodes the text as UTF-8;
# a string is sent as it is (for escapes that are not UTF-8 and so cannot be typed as text).
HOSTILE_VALUES: dict[str, str | None] = {
    "nul": None,
    "long": None,
    "not-utf8": "%FF%FE%C3%28",
    "huge-int": None,
    "below-bigint": None,
    "far-date": None,
    "early-date": None,
    "unicode-markup": None,
}
_TEXT = {
    "nul": "a\x00b",
    "long": LONG_TEXT,
    "not-utf8": "",
    "huge-int": HUGE_INT,
    "below-bigint": str(-(2**63) - 1),
    "far-date": "9999-12-31",
    "early-date": "0001-01-01",
    "unicode-markup": "서울\u202e\U0001f600\ufffd<script>x</script>' OR 1=1 --",
}


def hostile_text(kind: str) -> str:
    """The value as Python text (what a form field receives)."""
    return _TEXT[kind]


def encoded(kind: str) -> str:
    """The value as it appears in a URL or an urlencoded body."""
    raw = HOSTILE_VALUES[kind]
    return raw if raw is not None else quote(_TEXT[kind], safe="")


_CONVERTER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def route_parameters(route: str) -> list[str]:
    """The names of a route's parameters, in order: `<int:pk>` and `(?P<pk>...)` alike."""
    names = [match["name"] for match in _CONVERTER.finditer(route)]
    names += re.findall(r"\(\?P<(\w+)>", route)
    return names


def fill_route(route: str, values: dict[str, str]) -> str:
    """A path for `route` with each parameter replaced by its (already encoded) value."""
    out, index = [], 0
    while index < len(route):
        if route.startswith("(?P<", index):
            name = route[index + 4 : route.index(">", index)]
            depth, end = 0, index
            while True:  # the group's closing parenthesis, past any nested ones
                char = route[end]
                if char == "\\":
                    end += 2
                    continue
                depth += {"(": 1, ")": -1}.get(char, 0)
                if depth == 0:
                    break
                end += 1
            out.append(values[name])
            index = end + 1
            continue
        match = _CONVERTER.match(route, index)
        if match:
            out.append(values[match["name"]])
            index = match.end()
            continue
        char = route[index]
        if char == "\\":
            out.append(route[index + 1])
            index += 2
            continue
        if char not in "^$":
            out.append(char)
        index += 1
    return "/" + "".join(out)


EVERY_KEY = "*"  # noted when a view goes through all the keys (the admin's changelist filters do)


class RecordingQueryDict(QueryDict):
    """A QueryDict that notes every key looked up in it (into `read`; EVERY_KEY for a walk)."""

    read: set

    def items(self):
        self.read.add(EVERY_KEY)
        return super().items()

    def lists(self):
        self.read.add(EVERY_KEY)
        return super().lists()

    def keys(self):
        self.read.add(EVERY_KEY)
        return super().keys()

    def __iter__(self):
        self.read.add(EVERY_KEY)
        return super().__iter__()

    def dict(self):
        self.read.add(EVERY_KEY)
        return super().dict()

    def urlencode(self, safe=None):
        self.read.add(EVERY_KEY)
        return super().urlencode(safe)

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self.read.add(key)
        return super().get(key, default)

    def getlist(self, key, default=None):
        self.read.add(key)
        return super().getlist(key, default)

    def __contains__(self, key):
        self.read.add(key)
        return super().__contains__(key)

    def __copy__(self):
        return recording_copy(self, self.read, mutable=True)

    def __deepcopy__(self, memo):
        return recording_copy(self, self.read, mutable=True)


def recording_copy(source: QueryDict, read: set, *, mutable: bool = False) -> RecordingQueryDict:
    copy = RecordingQueryDict(mutable=True)
    copy.read = read
    for key, values in dict.items(source):
        copy.setlist(key, list(values))
    copy._mutable = mutable
    return copy


class ReadRecorder:
    """Middleware for the discovery pass: `ReadRecorder.reads` gets {"GET": keys, "POST": keys}."""

    reads: dict[str, set] = {"GET": set(), "POST": set()}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.GET = recording_copy(request.GET, ReadRecorder.reads["GET"])
        if request.method == "POST":
            request.POST = recording_copy(request.POST, ReadRecorder.reads["POST"])
        return self.get_response(request)

    @classmethod
    def reset(cls) -> None:
        cls.reads = {"GET": set(), "POST": set()}


_FIELD_NAME = re.compile(r"<(?:input|select|textarea|button)\b[^>]*?\sname=\"([^\"]+)\"", re.IGNORECASE)
_LINK_QUERY = re.compile(r"href=\"[^\"?#]*\?([^\"#]+)\"")


def form_field_names(html: str) -> set[str]:
    """The names of the form fields on a page (what a browser would post back)."""
    return {name for name in _FIELD_NAME.findall(html) if name != "csrfmiddlewaretoken"}


def link_query_keys(html: str) -> set[str]:
    """The query parameters of a page's own links (filters, pages, sort orders)."""
    from html import unescape
    from urllib.parse import parse_qsl

    keys = set()
    for query in _LINK_QUERY.findall(html):
        keys |= {key for key, _value in parse_qsl(unescape(query), keep_blank_values=True)}
    return keys


def urlencoded(keys, kind: str) -> str:
    """An urlencoded body or query string setting every key to one hostile value."""
    return "&".join(f"{quote(key, safe='')}={encoded(kind)}" for key in sorted(keys))
