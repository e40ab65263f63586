"""How an answer reads in every front end: its quotes in reading order, each with one compact line.

An extractive answer *is* its quotes, so the front ends show each quote once, followed by
`[n] Title, ¶7 · Sources: Regnum (July 29) · link`. The [n] are the JSON's citation numbers.
Plain strings only; Discord's escaping and limits are applied by bot/render.py.
"""

from __future__ import annotations

from index.models import Answer, Citation, citation_link, format_locator, format_sources


def in_reading_order(answer: Answer) -> tuple[Citation, ...]:
    """The citations of an answer as the document reads (by document, then position).

    The answer's sentences are in this order too, so each quote follows the one before it.
    """
    shown = answer.citations if answer.answered else answer.related
    return tuple(sorted(shown, key=lambda c: (c.doc, c.start)))


def locator(c: Citation) -> str:
    """Where in its document the passage is: '¶7', and its page or section where it has one
    ('¶7 · p. 12', '¶3 · § Installation › Linux')."""
    where = format_locator(c)
    return f"¶{c.paragraph} · {where}" if where else f"¶{c.paragraph}"


def link(c: Citation) -> str | None:
    """The address that opens the document at the quote, else the document's own address."""
    url = citation_link(c) or c.meta.get("url")
    return url if url and url.startswith(("http://", "https://")) else None


def compact_line(c: Citation, *, with_link: bool = True, title_chars: int = 0) -> str:
    """'[1] Title, ¶7 · Sources: Regnum (July 29) · https://…' on one line, unescaped.

    `title_chars` caps a long title (ending it with "…") so the locator always shows.
    """
    title = " ".join(c.title.split())
    if title_chars and len(title) > title_chars:
        title = title[: title_chars - 1].rstrip() + "…"
    line = f"[{c.n}] {title}, {locator(c)}"
    if c.sources:
        line += f" · Sources: {format_sources(c.sources)}"
    url = link(c) if with_link else None
    return f"{line} · {url}" if url else line
