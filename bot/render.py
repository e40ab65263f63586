"""Engine records -> Discord embeds and text, always within Discord's limits.

Document text goes into embeds (which never ping) with Markdown escaped, and every message is
also sent with AllowedMentions.none(), so a quoted `@everyone` stays plain text.
"""

from __future__ import annotations

import discord

from bot import limits
from bot.feedback import FeedbackSummary
from index.answer import NOT_FOUND
from index.models import (
    Answer,
    BuildReport,
    Citation,
    DocumentInfo,
    IndexStatus,
    citation_link,
    format_locator,
    format_sources,
)

ANSWERED = discord.Colour(0x3BA55D)
ABSTAINED = discord.Colour(0x99AAB5)
QUOTED = discord.Colour(0x5865F2)
FAILED = discord.Colour(0xED4245)
RELATED_SHOWN = 3  # related passages listed when the documents don't answer
RELATED_CHARS = 300  # how much of each related passage the answer embed shows
ANSWER_ROOM = 800  # characters of the answer text that citations may never crowd out
PAGE_CHARS = 3800  # passage text per "Show passages" embed, before escaping
SOURCES_PER_PAGE = 20

USAGE = (
    "Ask me a question about the documents, e.g. `/ask question: Who announced the agreement?`, "
    "or mention me with your question. `/quote` posts a passage, `/sources` lists the documents."
)
NOT_ANSWERED = NOT_FOUND


def content(text: str) -> str:
    """Plain message content, shortened to Discord's 2,000 characters."""
    return limits.fit(text, limits.CONTENT)


def too_long(length: int, limit: int) -> str:
    return f"Your question is {length:,} characters long; please keep it under {limit:,}."


def cooldown(retry_after: float) -> str:
    return f"One question at a time, please: try again in {max(retry_after, 0.1):.1f} s."


def citation_line(c: Citation, size: int = 400) -> str:
    """'— Title, ¶7 · p. 12 · Sources: Regnum (July 29) · <link>', on one line and
    Markdown-escaped; the link (not escaped, in <…> so it doesn't unfurl) only if it fits."""
    line = f"— {limits.one_line(c.title)}, ¶{c.paragraph}"
    where = format_locator(c)
    if where:
        line += f" · {where}"
    if c.sources:
        line += f" · Sources: {format_sources(c.sources)}"
    text = limits.shorten(limits.escape(limits.shorten(line, 400)), size)
    link = citation_link(c)
    return f"{text} · <{link}>" if link and len(text) + len(link) + 5 <= size else text


def took(ms: float) -> str:
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


def answer_embed(answer: Answer) -> discord.Embed:
    """The reply to a question: answer with [n] markers, one quote block per citation."""
    title = limits.fit(limits.one_line(answer.question), limits.TITLE, limits.escape)
    if answer.answered:
        embed = discord.Embed(title=title, colour=ANSWERED)
        blocks = [(f"[{c.n}]", c, c.quote) for c in answer.citations[: limits.FIELDS]]
        text = answer.answer
        footer = f"Answered in {took(answer.took_ms)} · every quote is verbatim from the documents"
    else:
        embed = discord.Embed(title=title, colour=ABSTAINED)
        related = answer.related[:RELATED_SHOWN]
        blocks = [("Related passage", c, limits.shorten(c.passage, RELATED_CHARS)) for c in related]
        text = NOT_ANSWERED + (" These passages come closest:" if related else "")
        footer = f"Searched in {took(answer.took_ms)}"
    embed.set_footer(text=limits.shorten(footer, limits.FOOTER))
    # Share the 6,000 characters: fields first, keeping room for the answer itself.
    room = limits.EMBED_TOTAL - len(embed) - ANSWER_ROOM
    for name, c, quote in blocks:
        size = min(limits.FIELD_VALUE, room // len(blocks) - len(name))
        embed.add_field(name=name, value=_citation_block(c, quote, size), inline=False)
    room = min(limits.DESCRIPTION, limits.EMBED_TOTAL - len(embed))
    embed.description = limits.fit(text, room, limits.escape)
    return embed


def _citation_block(c: Citation, quote: str, size: int) -> str:
    line = citation_line(c, size // 2)
    room = size - len(line) - 1
    return f"{limits.fit(quote, room, limits.quote_block)}\n{line}"


def passage_pages(citations: tuple[Citation, ...]) -> list[list[discord.Embed]]:
    """Full passages for "Show passages": embeds grouped into messages that each fit Discord."""
    embeds = [e for c in citations for e in _passage_embeds(c)]
    return _group(embeds)


def _passage_embeds(c: Citation) -> list[discord.Embed]:
    pieces = limits.split(c.passage, PAGE_CHARS) or [""]
    name = limits.fit(limits.one_line(f"[{c.n}] {c.title}, ¶{c.paragraph}"), 230, limits.escape)
    embeds = []
    for i, piece in enumerate(pieces, start=1):
        embed = discord.Embed(
            title=name if len(pieces) == 1 else f"{name} ({i}/{len(pieces)})",
            description=limits.fit(piece, limits.DESCRIPTION, limits.quote_block),
            colour=QUOTED,
        )
        embed.set_footer(text=limits.shorten(_passage_footer(c), limits.FOOTER))
        embeds.append(embed)
    return embeds


def _passage_footer(c: Citation) -> str:
    parts = [c.doc, f"ref {c.chunk_id}"]
    if c.sources:
        parts.append(f"Sources: {format_sources(c.sources)}")
    return " · ".join(parts)


def _group(embeds: list[discord.Embed]) -> list[list[discord.Embed]]:
    messages: list[list[discord.Embed]] = []
    for embed in embeds:
        last = messages[-1] if messages else None
        if (
            last is not None
            and len(last) < limits.EMBEDS
            and sum(map(len, last)) + len(embed) <= limits.EMBED_TOTAL
        ):
            last.append(embed)
        else:
            messages.append([embed])
    return messages


def quote_embed(c: Citation) -> discord.Embed:
    """A passage posted into a discussion: verbatim quote, citation, sources and ref."""
    line = citation_line(c, 1000)
    room = limits.DESCRIPTION - len(line) - 1
    embed = discord.Embed(
        description=f"{limits.fit(c.passage, room, limits.quote_block)}\n{line}", colour=QUOTED
    )
    meta = " · ".join(f"{k}: {v}" for k, v in c.meta.items())
    footer = " · ".join(part for part in (c.doc, meta, f"ref {c.chunk_id}") if part)
    embed.set_footer(text=limits.shorten(limits.one_line(footer), limits.FOOTER))
    return embed


def sources_embed(docs: list[DocumentInfo], status: IndexStatus, page: int = 1) -> discord.Embed:
    """One page of the indexed documents: title, metadata, chunk count; build time below."""
    pages = max(1, -(-len(docs) // SOURCES_PER_PAGE))
    page = min(max(page, 1), pages)
    shown = docs[(page - 1) * SOURCES_PER_PAGE : page * SOURCES_PER_PAGE]
    embed = discord.Embed(title="Indexed documents", colour=QUOTED)
    summary = f"{status.documents} documents · {_passages(status.chunks)}"
    summary += f" · built {_when(status.built_at)}"
    if pages > 1:
        summary += f" · page {page}/{pages}, use `page:` for more"
    embed.description = limits.shorten(summary, limits.DESCRIPTION)
    for d in shown:
        embed.add_field(
            name=limits.fit(limits.one_line(d.title), limits.TITLE, limits.escape),
            value=_document_value(d),
            inline=False,
        )
    if status.changed_since_build:
        changed = ", ".join(status.changed_since_build)
        embed.set_footer(text=limits.shorten(f"Changed since the build: {changed}", 1000))
    return embed


def _document_value(d: DocumentInfo) -> str:
    meta = " · ".join(f"{k}: {v}" for k, v in d.meta.items())
    text = "\n".join(part for part in (f"`{d.doc}` · {_passages(d.chunks)}", meta) if part)
    return limits.shorten(text, limits.FIELD_VALUE)


def _passages(n: int) -> str:
    return "1 passage" if n == 1 else f"{n} passages"


def _when(iso: str) -> str:
    return iso.replace("T", " ")[:16] + " UTC" if iso else "never"


def progress(done: int, total: int) -> str:
    if total <= 0:
        return "Rebuilding the index…"
    return f"Rebuilding the index… {done}/{total} files"


def build_embed(report: BuildReport) -> discord.Embed:
    """The result of /reindex: what changed and how long it took."""
    embed = discord.Embed(title="Index rebuilt", colour=ANSWERED)
    rows = (("Added", report.added), ("Changed", report.changed), ("Removed", report.removed))
    for name, docs in rows:
        value = "\n".join(f"`{d}`" for d in docs) if docs else "none"
        embed.add_field(name=f"{name} ({len(docs)})", value=limits.shorten(value, 1000))
    embed.description = (
        f"{len(report.unchanged)} unchanged · {report.chunks} passages · "
        f"{report.embedded} embedded · took {report.seconds:.1f} s"
    )
    if report.skipped:
        skipped = "\n".join(report.skipped)
        embed.add_field(name="Skipped", value=limits.shorten(skipped, 1000), inline=False)
    return embed


def build_failed(message: str) -> discord.Embed:
    text = f"{message}\nThe previous index is still answering questions."
    return discord.Embed(
        title="Rebuild failed",
        description=limits.fit(text, limits.DESCRIPTION, limits.escape),
        colour=FAILED,
    )


def feedback_embed(summary: FeedbackSummary) -> discord.Embed:
    """Moderators' view of the 👍 / 👎 votes."""
    embed = discord.Embed(title="Answer feedback", colour=QUOTED)
    embed.description = (
        f"👍 {summary.up} · 👎 {summary.down} from {summary.voters} members"
        f" on {summary.answers} answers"
    )
    for row in summary.most_downvoted:
        name = limits.fit(limits.one_line(row.question), limits.TITLE, limits.escape)
        embed.add_field(name=name, value=f"👍 {row.up} · 👎 {row.down}", inline=False)
    if not summary.most_downvoted:
        embed.description += "\nNo answer has been voted down."
    return embed
