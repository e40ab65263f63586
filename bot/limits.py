"""Discord's size limits, and text shortening that respects them at sentence or word boundaries."""

from __future__ import annotations

import re
from collections.abc import Callable

from discord.utils import escape_markdown

CONTENT = 2000  # message content
TITLE = 256  # embed title, field name, author name
DESCRIPTION = 4096  # embed description
FIELD_VALUE = 1024
FOOTER = 2048
FIELDS = 25  # fields per embed
EMBED_TOTAL = 6000  # all embed text in one message
EMBEDS = 10  # embeds per message
CHOICE = 100  # autocomplete choice name and value

ELLIPSIS = "…"
# A sentence ends at . ! ? or … optionally followed by closing quotes or brackets, then a space.
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*\s")
_SPACE = re.compile(r"\s")


def shorten(text: str, limit: int) -> str:
    """`text` if it fits, else cut at the last sentence (or word) boundary and end with "…"."""
    text = text.strip()
    if len(text) <= limit:
        return text
    if limit <= 1:
        return ELLIPSIS[:limit]
    window = text[: limit - 1]
    sentence = _last_match_end(_SENTENCE_END, window)
    # A sentence cut is only worth it when it keeps at least half of the room.
    if sentence >= limit // 2:
        return window[:sentence].rstrip() + " " + ELLIPSIS
    word = _last_space(window)
    if word >= limit // 3:
        return window[:word].rstrip(" ,;:-—") + ELLIPSIS
    return window + ELLIPSIS  # one very long token: a hard cut is all that is left


def fit(text: str, limit: int, render: Callable[[str], str] = lambda s: s) -> str:
    """The longest `render(shorten(text, n))` that is at most `limit` characters long.

    `render` may grow the text (Markdown escapes, quote prefixes), so shrink until it fits.
    """
    budget = limit
    while budget > 0:
        out = render(shorten(text, budget))
        if len(out) <= limit:
            return out
        budget -= max(len(out) - limit, 1)
    return render("")[:limit]


def split(text: str, size: int) -> list[str]:
    """Verbatim pieces of at most `size` characters, cut at sentence or word boundaries."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > size:
        window = rest[:size]
        cut = _last_match_end(_SENTENCE_END, window)
        if cut < size // 2:
            cut = _last_space(window)
        if cut < size // 3:
            cut = size
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def escape(text: str) -> str:
    """Escape Markdown so document text shows as written; links stay clickable."""
    return escape_markdown(text)


def quote_block(text: str) -> str:
    """Render text as a Discord block quote, every line prefixed, Markdown escaped."""
    lines = escape(text).splitlines() or [""]
    return "\n".join(f"> {line}" if line.strip() else ">" for line in lines)


def one_line(text: str) -> str:
    """Collapse whitespace, for titles and labels that must stay on one line."""
    return " ".join(text.split())


def _last_match_end(pattern: re.Pattern[str], window: str) -> int:
    ends = [m.end() for m in pattern.finditer(window)]
    return ends[-1] if ends else 0


def _last_space(window: str) -> int:
    spaces = [m.start() for m in _SPACE.finditer(window)]
    return spaces[-1] if spaces else 0
