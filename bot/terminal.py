"""Answers and reports as plain text for the terminal (the CLI and `qabot chat`)."""

from __future__ import annotations

import textwrap

from bot.citations import citation_line, in_reading_order, link, with_link
from index.models import Answer, BuildReport, Citation, IndexStatus

WIDTH = 96


def format_citation(citation: Citation, quote: str) -> str:
    """The quote, then its compact citation line and where to check it, indented below."""
    body = textwrap.fill(" ".join(quote.split()), width=WIDTH)
    where = f"{citation.doc} · characters {citation.start}–{citation.end} · ref {citation.chunk_id}"
    line = with_link(citation_line(citation), link(citation))
    return "\n".join([body, f"  {line}", f"  {where}"])


def format_answer(answer: Answer) -> str:
    """Each quote once, in reading order, followed by its [n] citation line (as in the JSON)."""
    parts = [] if answer.answered else [answer.answer]
    if answer.closest:
        parts.append("The sentence that comes closest (it may not answer the question):")
        parts.append(format_citation(answer.related[0], answer.related[0].quote))
        if len(answer.related) > 1:
            parts.append("Other close passages:")
        shown = answer.related[1:]
    else:
        if not answer.answered and answer.related:
            parts.append("Closest passages:")
        shown = in_reading_order(answer)
    for c in shown:
        parts.append(format_citation(c, c.quote if answer.answered else c.passage))
    parts.append(f"({answer.took_ms:.0f} ms)")
    return "\n".join(parts)


def format_build(report: BuildReport) -> str:
    return (
        f"files: {len(report.added)} added, {len(report.changed)} changed, "
        f"{len(report.removed)} removed, {len(report.unchanged)} unchanged\n"
        f"chunks: {report.chunks} ({report.embedded} embedded) in {report.seconds:.1f} s"
    )


def format_status(status: IndexStatus) -> str:
    lines = [
        f"documents: {status.documents}",
        f"chunks: {status.chunks}",
        f"model: {status.model} ({status.dtype})",
        f"built: {status.built_at}",
    ]
    if status.changed_since_build:
        lines.append(f"changed since the build ({len(status.changed_since_build)}):")
        lines.extend(f"  {path}" for path in status.changed_since_build)
        lines.append("run `qabot index build` to bring the index up to date")
    else:
        lines.append("the index is up to date with the corpus")
    return "\n".join(lines)
