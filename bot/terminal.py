"""Answers and reports as plain text for the terminal (the CLI and `qabot chat`)."""

from __future__ import annotations

import textwrap

from index.models import Answer, BuildReport, Citation, IndexStatus, format_locator, format_sources


def format_meta(meta: dict[str, str]) -> str:
    """Metadata for the head line; the document's URL has a line of its own."""
    return ", ".join(
        v if k.lower() in ("publication", "source") else f"{k} {v}"
        for k, v in meta.items()
        if k != "url"
    )


def format_citation(citation: Citation, quote: str) -> str:
    head = f"[{citation.n}] {citation.title}, ¶{citation.paragraph}"
    where = format_locator(citation)
    if where:
        head += f" · {where}"
    meta = format_meta(citation.meta)
    if meta:
        head += f" · {meta}"
    body = textwrap.fill(
        f"“{' '.join(quote.split())}”", width=96, initial_indent="    ", subsequent_indent="    "
    )
    lines = [head, body]
    if citation.sources:
        lines.append(f"    Sources: {format_sources(citation.sources)}")
    link = citation.quote_url or citation.url
    if link:
        lines.append(f"    {link}")
    lines.append(
        f"    {citation.doc} · characters {citation.start}–{citation.end} · ref {citation.chunk_id}"
    )
    return "\n".join(lines)


def format_answer(answer: Answer) -> str:
    if not answer.answered:
        parts = [answer.answer]
        if answer.related:
            parts.append("Closest passages:")
            parts.extend(format_citation(c, c.passage) for c in answer.related)
    else:
        parts = [textwrap.fill(answer.answer, width=100), ""]
        parts.extend(format_citation(c, c.quote) for c in answer.citations)
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
