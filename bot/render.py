"""Engine records -> Discord embeds and text, always within Discord's limits.

Document text goes into embeds (which never ping) with Markdown escaped, and every message is
also sent with AllowedMentions.none(), so a quoted `@everyone` stays plain text.
"""

from __future__ import annotations

import discord

from bot import limits
from bot.citations import citation_line, in_reading_order, link, sources_text, with_link
from bot.feedback import FeedbackSummary
from bot.gaps import Gap
from index.models import Answer, BuildReport, Citation, DocumentInfo, IndexStatus
from index.query.answer import NOT_FOUND

ANSWERED = discord.Colour(0x3BA55D)
ABSTAINED = discord.Colour(0x99AAB5)
QUOTED = discord.Colour(0x5865F2)
FAILED = discord.Colour(0xED4245)
RELATED_SHOWN = 3  # related passages listed when the documents don't answer
RELATED_CHARS = 300  # how much of each related passage the answer embed shows
QUOTES_SHOWN = 10  # quote blocks in one answer (the engine gives at most 3)
LINE_CHARS = 300  # a citation line under a quote
TITLE_CHARS = 100  # of the document title in that line
PAGE_CHARS = 3800  # passage text per "Show passages" embed, before escaping
SOURCES_PER_PAGE = 20

NOT_ANSWERED = NOT_FOUND


def content(text: str) -> str:
    """Plain message content, shortened to Discord's 2,000 characters."""
    return limits.fit(text, limits.CONTENT)


def too_long(length: int, limit: int) -> str:
    return f"Your question is {length:,} characters long; please keep it under {limit:,}."


def cooldown(retry_after: float) -> str:
    return f"One question at a time, please: try again in {max(retry_after, 0.1):.1f} s."


def quote_line(c: Citation, size: int = 400) -> str:
    """'— Title, ¶7 · p. 12 · Sources: Regnum (July 29) · <link>', on one line and
    Markdown-escaped; the link (not escaped, in <…> so it doesn't unfurl) only if it fits."""
    text = limits.shorten(limits.escape(limits.shorten(citation_line(c, mark="—"), 400)), size)
    url = link(c)
    return with_link(text, f"<{url}>" if url and len(text) + len(url) + 5 <= size else None)


def in_thread(thread: discord.abc.Snowflake) -> str:
    """Where /ask put its answer when it opened a forum post for it."""
    return f"I answered in <#{thread.id}>. Ask follow-ups there."


def took(ms: float) -> str:
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


def answer_embed(answer: Answer) -> discord.Embed:
    """The reply to a question: each quote once, in reading order, then its citation line.

    An extractive answer is its quotes, so the description holds them and nothing else:
    `> quote` then `[n] Title, ¶7 · Sources: … · link`, with the JSON's [n] numbers.
    """
    title = limits.fit(limits.one_line(answer.question), limits.TITLE, limits.escape)
    shown = in_reading_order(answer)[:QUOTES_SHOWN]
    if answer.answered:
        embed = discord.Embed(title=title, colour=ANSWERED)
        blocks = [(c, c.quote) for c in shown]
        head = ""
        footer = f"Answered in {took(answer.took_ms)} · every quote is verbatim from the documents"
    else:
        embed = discord.Embed(title=title, colour=ABSTAINED)
        closest = sorted(answer.related[:RELATED_SHOWN], key=lambda c: (c.doc, c.start))
        blocks = [(c, limits.shorten(c.passage, RELATED_CHARS)) for c in closest]
        head = NOT_ANSWERED + (" These passages come closest:" if blocks else "")
        footer = f"Searched in {took(answer.took_ms)}"
    embed.set_footer(text=limits.shorten(footer, limits.FOOTER))
    room = min(limits.DESCRIPTION, limits.EMBED_TOTAL - len(embed))
    embed.description = _quotes_text(head, blocks, room)
    return embed


def _quotes_text(head: str, blocks: list[tuple[Citation, str]], room: int) -> str:
    """`head`, then each quote block and its citation line, within `room` characters."""
    lines = [_answer_citation_line(c) for c, _ in blocks]
    head = limits.fit(head, room // 4, limits.escape) if head else ""
    left = room - len(head) - sum(len(line) + 2 for line in lines) - 1
    # Fair shares, smallest first: a short quote leaves its unused room to the longer ones.
    sizes = {}
    order = sorted(range(len(blocks)), key=lambda i: len(blocks[i][1]))
    for done, i in enumerate(order):
        share = max(left // (len(order) - done), 0)
        sizes[i] = min(len(limits.quote_block(blocks[i][1])), share)
        left -= sizes[i]
    parts = [head] if head else []
    for i, ((_, quote), line) in enumerate(zip(blocks, lines, strict=True)):
        parts.append(f"{limits.fit(quote, sizes[i], limits.quote_block)}\n{line}")
    return "\n".join(parts)[:room]


def _answer_citation_line(c: Citation) -> str:
    """'[1] Title, ¶7 · Sources: … · [link](url)', escaped, at most LINE_CHARS long.

    Discord ends a `> ` quote at the line's end, so this line shows below the quote. (SimCord's
    preview, a CommonMark renderer, draws it inside the quote bar.) Subtext (`-# `) would be
    smaller, but Discord does not render it in embeds.
    """
    url = link(c)
    masked = f"[link]({url})" if url and len(url) < 200 and ")" not in url else None
    tail = with_link("", masked)  # " · [link](…)", or nothing
    text = citation_line(c, title_chars=TITLE_CHARS)
    return limits.fit(text, LINE_CHARS - len(tail), limits.escape) + tail


def passage_pages(citations: tuple[Citation, ...]) -> list[list[discord.Embed]]:
    """Full passages for "Show passages": embeds grouped into messages that each fit Discord."""
    embeds = [e for c in citations for e in _passage_embeds(c)]
    return _group(embeds)


def _passage_embeds(c: Citation) -> list[discord.Embed]:
    pieces = limits.split(c.passage, PAGE_CHARS) or [""]
    name = limits.fit(limits.one_line(citation_line(c, sources=False)), 230, limits.escape)
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
        parts.append(f"Sources: {sources_text(c.sources)}")
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
    line = quote_line(c, 1000)
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


GAPS_SHOWN = 10


def gaps_embed(found: list[Gap]) -> discord.Embed:
    """Moderators' view of the knowledge gaps: one field per group of same-meaning questions."""
    embed = discord.Embed(title="Knowledge gaps", colour=QUOTED)
    if not found:
        embed.description = "No open gaps: every question was answered, and no answer got a 👎."
        return embed
    total = sum(g.count for g in found)
    embed.description = (
        f"{total} questions in {len(found)} groups: abstained on, or answered and voted 👎. "
        "Add a document, `/reindex`, then `/gaps resolve:` the group."
    )
    for g in found[:GAPS_SHOWN]:
        abstained = sum(q.abstained for q in g.questions)
        down = sum(q.down for q in g.questions)
        name = f"{g.gap_id} · asked {g.count}× · last {_when(g.last_asked)}"
        example = limits.fit(limits.one_line(g.example), 700, limits.escape)
        value = f"e.g. “{example}”\n{abstained} abstained · 👎 {down}"
        embed.add_field(name=name, value=value, inline=False)
    if len(found) > GAPS_SHOWN:
        embed.set_footer(text=f"{len(found) - GAPS_SHOWN} smaller groups not shown")
    return embed


def gap_choice(g: Gap) -> str:
    return limits.shorten(f"{g.gap_id} · {g.count}× · {limits.one_line(g.example)}", limits.CHOICE)


def gap_resolved(g: Gap) -> str:
    example = limits.shorten(limits.one_line(g.example), 200)
    return content(f"Marked resolved: {g.count} questions like “{example}”.")


def no_such_gap(gap_id: str) -> str:
    shown = limits.shorten(limits.one_line(gap_id), 40)
    return content(f"No open gap has the id `{shown}`; `/gaps` lists them.")


DOCUMENTS_PER_PAGE = 20


def documents_embed(where: str, records: list, page: int = 1) -> discord.Embed:
    """/docs list: one page of a collection's documents, each with where it came from."""
    pages = max(1, -(-len(records) // DOCUMENTS_PER_PAGE))
    page = min(max(page, 1), pages)
    shown = records[(page - 1) * DOCUMENTS_PER_PAGE : page * DOCUMENTS_PER_PAGE]
    embed = discord.Embed(title=limits.shorten(f"{where}: documents", limits.TITLE), colour=QUOTED)
    lines = [_record_line(r) for r in shown] or ["No documents yet. Add some with /docs add."]
    head = f"{len(records)} documents" + (f" · page {page}/{pages}" if pages > 1 else "")
    embed.description = limits.shorten("\n".join([head, *lines]), limits.DESCRIPTION)
    return embed


def _record_line(record) -> str:
    """'`stored.pdf` · Original Name.pdf · added 2026-11-25 10:00 UTC'."""
    line = f"`{record.stored}`"
    if record.url:
        line += f" · <{limits.shorten(record.url, 300)}>"
    elif record.original != record.stored:
        line += f" · {limits.escape(limits.shorten(limits.one_line(record.original), 200))}"
    if record.added_at:
        line += f" · added {_when(record.added_at)}"
    return line


def refreshed(result) -> str:
    """/docs refresh: what fetching the URL documents again found."""
    if not (result.changed or result.unchanged or result.failed):
        return "No documents were added by URL, so there is nothing to refresh."
    parts = [f"{len(result.changed)} changed", f"{len(result.unchanged)} unchanged"]
    text = "Refreshed: " + ", ".join(parts) + "."
    for record, reason in result.failed[:5]:
        text += f"\nNot refreshed: <{limits.shorten(record.url, 200)}>: {limits.escape(reason)}"
    if not result.changed:
        text += " Nothing to re-index."
    return content(text)
