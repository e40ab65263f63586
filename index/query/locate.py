"""Where a quote sits: page, section, and links that open the document at it.

`quote_url` uses a text fragment (`#:~:text=start,end`, WICG "URL Fragment Text Directives"):
the browser scrolls to the first match of the quote's first words through its last words and
highlights it. Each term is percent-encoded as the spec's grammar requires: only ASCII letters,
digits and `!$'()*+./:;=?@_~` stay as they are; everything else, including `-`, `,` and `&`
(the directive's own syntax) and every non-ASCII byte of UTF-8, becomes %XX.
"""

from __future__ import annotations

import re
from typing import NamedTuple
from urllib.parse import quote as percent_encode

from index.models import Chunk

EDGE_WORDS = 4  # words of the quote's start and of its end in a text fragment
_SAFE = "!$'()*+./:;=?@_~"  # TextDirectiveExplicitChar, besides letters and digits
_MARKER = re.compile(r"^(?:[•▪◦*\-–—]|\d{1,3}[.)])\s+")  # a list marker is not page text


class Locator(NamedTuple):
    page: int | None
    page_label: str | None
    section: str | None
    url: str | None
    quote_url: str | None


def locate(chunk: Chunk, meta: dict[str, str], quote: str) -> Locator:
    """The locator of a quote from this chunk of a document with this metadata."""
    base = meta.get("url")
    if not base or not base.startswith(("http://", "https://")):
        return Locator(chunk.page, chunk.page_label, chunk.section, None, None)
    base = base.split("#", 1)[0]
    url = f"{base}#{percent_encode(chunk.anchor, safe=_SAFE)}" if chunk.anchor else base
    return Locator(chunk.page, chunk.page_label, chunk.section, url, quote_url(base, quote))


def quote_url(url: str, quote: str) -> str | None:
    """The URL with a text fragment for the quote: its first and last EDGE_WORDS words as
    textStart and textEnd (the whole quote as textStart when it is that short)."""
    words = _MARKER.sub("", " ".join(quote.split())).split(" ")
    words = [w for w in words if w]
    if not words:
        return None
    if len(words) <= 2 * EDGE_WORDS:
        directive = _term(words)
    else:
        directive = f"{_term(words[:EDGE_WORDS])},{_term(words[-EDGE_WORDS:])}"
    return f"{url.split('#', 1)[0]}#:~:text={directive}"


def _term(words: list[str]) -> str:
    return percent_encode(" ".join(words), safe=_SAFE).replace("-", "%2D")
