"""Library and moderator views -> Discord embeds and text: the indexed documents, builds,
feedback and knowledge gaps, always within Discord's limits (answers and quotes: bot/render.py).
"""

from __future__ import annotations

import discord

from bot import limits
from bot.feedback import FeedbackSummary
from bot.gaps import Gap
from bot.render import ANSWERED, FAILED, QUOTED, content
from index.models import BuildReport, DocumentInfo, IndexStatus

SOURCES_PER_PAGE = 20


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
