"""How a citation reads in every front end: one line saying what a quote is from, and its link.

An extractive answer *is* its quotes, so the front ends show each quote once, followed by
`[n] Title, ¶7 · p. 12 · Sources: Regnum (July 29) · link`. The [n] are the JSON's citation
numbers. `citation_line` builds that line for the terminal and Discord alike; each front end adds
the link its own way (`with_link`). Plain strings only: Discord's escaping and limits are applied
by bot/render.py.
"""

from __future__ import annotations

from index.models import Answer, Citation, Source


def in_reading_order(answer: Answer) -> tuple[Citation, ...]:
    """The citations of an answer as the document reads (by document, then position).

    The answer's sentences are in this order too, so each quote follows the one before it.
    """
    shown = answer.citations if answer.answered else answer.related
    return tuple(sorted(shown, key=lambda c: (c.doc, c.start)))


def citation_line(
    c: Citation, *, mark: str = "", title_chars: int = 0, sources: bool = True
) -> str:
    """'[1] Title, ¶7 · p. 12 · Sources: Regnum (July 29)': one line, unescaped, no link.

    `mark` stands in for the [n] (a /quote has no number: '—'). `title_chars` caps a long title
    (ending it with "…") so the locator always shows. `sources=False` leaves the sources out,
    for where they are shown apart.
    """
    title = " ".join(c.title.split())
    if title_chars and len(title) > title_chars:
        title = title[: title_chars - 1].rstrip() + "…"
    line = f"{mark or f'[{c.n}]'} {title}, {locator(c)}"
    if sources and c.sources:
        line += f" · Sources: {sources_text(c.sources)}"
    return line


def with_link(line: str, shown_link: str | None) -> str:
    """The citation line, then its link as the front end writes it (bare, <…> or [link](…))."""
    return f"{line} · {shown_link}" if shown_link else line


def link(c: Citation) -> str | None:
    """The address that opens the document at the quote (highlighted), else at its section,
    else the document's own address; only http(s)."""
    url = c.quote_url or c.url or c.meta.get("url")
    return url if url and url.startswith(("http://", "https://")) else None


def locator(c: Citation) -> str:
    """Where in its document the passage is: '¶7', then its page and section where it has them:
    '¶7 · p. 12', '¶7 · p. xii (PDF page 14)', '¶3 · § Installation › Linux'."""
    parts = [f"¶{c.paragraph}"]
    if c.page is not None:
        label = c.page_label
        parts.append(
            f"p. {label} (PDF page {c.page})" if label and label != str(c.page) else f"p. {c.page}"
        )
    if c.section:
        parts.append(f"§ {c.section}")
    return " · ".join(parts)


def sources_text(sources: tuple[Source, ...]) -> str:
    """'Regnum (July 29); Izvestiya (July 29)': the sources a passage cites."""
    return "; ".join(f"{s.name} ({s.date})" if s.date else s.name for s in sources)
