"""Engine records -> Discord embeds and text, always within Discord's limits.

Document text goes into embeds (which never ping) with Markdown escaped, and every message is
also sent with AllowedMentions.none(), so a quoted `@everyone` stays plain text.
"""

from __future__ import annotations

import discord

from bot import limits
from bot.citations import citation_line, in_reading_order, link, sources_text, with_link
from index.models import Answer, Citation
from index.query.answer import NOT_FOUND
from index.query.answer import NOT_SURE as NOT_SURE_TEXT

ANSWERED = discord.Colour(0x3BA55D)
ABSTAINED = discord.Colour(0x99AAB5)
NOT_SURE = discord.Colour(0xFAA61A)  # not answered, with the closest sentence shown
QUOTED = discord.Colour(0x5865F2)
FAILED = discord.Colour(0xED4245)
RELATED_SHOWN = 3  # related passages listed when the documents don't answer
RELATED_CHARS = 300  # how much of each related passage the answer embed shows
QUOTES_SHOWN = 10  # quote blocks in one answer (the engine gives at most 3)
LINE_CHARS = 300  # a citation line under a quote
TITLE_CHARS = 100  # of the document title in that line
PAGE_CHARS = 3800  # passage text per "Show passages" embed, before escaping

NOT_ANSWERED = NOT_FOUND
CLOSEST_HEAD = f"{NOT_SURE_TEXT} This sentence comes closest; check it before relying on it:"


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
    elif answer.closest:
        embed = discord.Embed(title=title, colour=NOT_SURE)
        blocks = [(answer.related[0], answer.related[0].quote)]
        head = CLOSEST_HEAD
        footer = f"Searched in {took(answer.took_ms)} · a verbatim sentence, not a confirmed answer"
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
