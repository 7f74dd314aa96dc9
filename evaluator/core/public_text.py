"""Text a participant writes that the public board shows: the rules it must follow, in one place.

Whatever a participant writes (``codec.toml``, the fields of a hosted
request, the participant name) ends up on the public leaderboard and in the
queue snapshot. It is escaped wherever it is shown (``leaderboard.safe_text``);
these rules refuse at intake what no honest entry needs:

- a length cap per field (:data:`TEXT_CAPS`, the one table of them);
- control characters (C0, DEL, C1: no exception, not even tab or newline)
  and the bidirectional overrides and isolates (U+202A-U+202E,
  U+2066-U+2069), which make text display in another order than it reads;
- links (:data:`LINK_FIELDS`) must be absolute ``http(s)`` URLs with a host,
  without whitespace or any of ``<>"'`\\`` (no ``javascript:``, no ``data:``).

Each problem is one line naming the field, what is wrong and what to do.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

# The longest text each public field may hold (characters). ``authors`` caps all the names together
# (as the board shows them: joined by ", "); ``participant`` is the submitter's name (the Hub account
# on a hosted inbox); ``link``, ``url`` and ``homepage`` are links (LINK_FIELDS).
TEXT_CAPS: dict[str, int] = {
    "name": 63,
    "version": 32,
    "authors": 300,
    "license": 64,
    "description": 1000,
    "url": 500,
    "link": 500,
    "homepage": 500,
    "paper": 200,
    "participant": 100,
}
LINK_FIELDS: tuple[str, ...] = ("link", "url", "homepage")
URL_SCHEMES: tuple[str, ...] = ("http", "https")
URL_FORBIDDEN = frozenset("<>\"'`\\")
BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))


def is_control(char: str) -> bool:
    """A C0 or C1 control character, DEL, or a bidirectional override/isolate."""
    return unicodedata.category(char) == "Cc" or char in BIDI_CONTROLS


def _shown(value: str, limit: int = 60) -> str:
    """``value`` for an error message: quoted, control characters as escapes, cut at ``limit``."""
    cut = value if len(value) <= limit else value[:limit] + "..."
    return repr(cut)


def text_problem(field: str, value: str) -> str | None:
    """What is wrong with ``value`` as the public text of ``field`` (None: nothing)."""
    cap = TEXT_CAPS.get(field)
    if cap is not None and len(value) > cap:
        return f"{field} is {len(value)} characters long, more than {cap}; shorten it"
    for position, char in enumerate(value):
        if char in BIDI_CONTROLS:
            return (f"{field} holds the bidirectional control U+{ord(char):04X} at position {position}, which makes "
                    "text display in another order than it reads; remove it")
        if unicodedata.category(char) == "Cc":
            return (f"{field} holds the control character U+{ord(char):04X} at position {position}; remove it "
                    "(plain text on one line: no tabs, newlines or escape codes)")
    return None


def link_problem(field: str, value: str) -> str | None:
    """What is wrong with ``value`` as a public link (None: an absolute http(s) URL with a host)."""
    problem = text_problem(field, value)
    if problem:
        return problem
    fix = f"give the page's address starting with https:// (e.g. {field} = \"https://github.com/you/your-codec\")"
    if any(c.isspace() for c in value):
        return f"{field} {_shown(value)} holds whitespace, which a URL cannot; {fix}"
    bad = sorted({c for c in value if c in URL_FORBIDDEN})
    if bad:
        return f"{field} {_shown(value)} holds {' '.join(bad)}, which a URL cannot; {fix}"
    try:
        parts = urlsplit(value)
    except ValueError as exc:
        return f"{field} {_shown(value)} is not a URL ({exc}); {fix}"
    if parts.scheme.lower() not in URL_SCHEMES:
        return f"{field} {_shown(value)} is not an http(s) URL; {fix}"
    if not parts.hostname:
        return f"{field} {_shown(value)} has no host name; {fix}"
    return None


def is_http_url(value: object) -> bool:
    """Whether ``value`` is a link the board may show as one (an absolute http(s) URL, by :func:`link_problem`)."""
    return isinstance(value, str) and bool(value) and link_problem("link", value) is None


def field_problem(field: str, value: Any) -> str | None:
    """The problem of one public field of a manifest or request (text, a list of names, or a link)."""
    if field == "authors" and isinstance(value, list):
        if not all(isinstance(a, str) for a in value):
            return 'authors must be a list of names, e.g. authors = ["Ada Lovelace"]'
        return text_problem(field, ", ".join(value))
    if not isinstance(value, str):
        return f"{field} must be text, got {type(value).__name__}"
    if field in LINK_FIELDS:
        return link_problem(field, value) if value else None
    return text_problem(field, value)


def public_text_problems(data: Mapping[str, Any]) -> list[str]:
    """The problems of every public text field present in ``data`` (a manifest as a dict), in table order."""
    return [p for f in TEXT_CAPS if f in data and f != "participant" and (p := field_problem(f, data[f]))]
