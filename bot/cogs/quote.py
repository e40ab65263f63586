"""/quote: drop a sourced passage into a discussion, verbatim."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import checks, limits, render
from bot.wording import say
from index.engine import MAX_QUESTION_CHARS
from index.errors import QabotError

if TYPE_CHECKING:
    from bot.client import QABot

USAGE = (
    "Give either `ref:` (start typing a title or words from the passage and pick one) "
    "or `text:` (a phrase to find in the documents)."
)


class Quote(commands.Cog):
    def __init__(self, bot: QABot) -> None:
        self.bot = bot

    @app_commands.command()
    @app_commands.describe(
        ref="The passage: start typing a document title or words from it, then pick one",
        text="A phrase from the documents; the passage containing it is quoted",
    )
    @checks.in_allowed_channel()
    async def quote(
        self, interaction: discord.Interaction, ref: str | None = None, text: str | None = None
    ) -> None:
        """Post a passage from the documents, verbatim, with its citation and sources."""
        ref, text = (ref or "").strip(), (text or "").strip()
        if bool(ref) == bool(text):
            await interaction.response.send_message(USAGE, ephemeral=True)
            return
        if len(text) > MAX_QUESTION_CHARS:
            too_long = render.too_long(len(text), MAX_QUESTION_CHARS)
            await interaction.response.send_message(too_long, ephemeral=True)
            return
        await interaction.response.defer(thinking=True)
        try:
            engine = await self.bot.scopes.engine(interaction)  # this server's collection only
        except QabotError as error:
            await interaction.followup.send(render.content(say(error)))
            return
        found = await asyncio.to_thread(engine.passage if ref else engine.find_passage, ref or text)
        if found is None:
            missing = f"No passage has the ref `{ref[:100]}`; pick one from the list as you type."
            await interaction.followup.send(missing if ref else "No passage matches that text.")
            return
        note = ""
        if text and text.casefold() not in found.passage.casefold():
            note = render.content(
                f"No exact match; the closest passage to “{limits.escape(text)}”:"
            )
        await interaction.followup.send(note, embed=render.quote_embed(found))

    @quote.autocomplete("ref")
    async def ref_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        try:
            engine = await self.bot.scopes.engine(interaction)  # this server's collection only
        except QabotError:
            return []
        refs = await asyncio.to_thread(engine.chunk_refs, current, limits.FIELDS)
        return [
            app_commands.Choice(name=limits.shorten(label, limits.CHOICE), value=chunk_id)
            for label, chunk_id in refs
            if len(chunk_id) <= limits.CHOICE
        ]


async def setup(bot: QABot) -> None:
    await bot.add_cog(Quote(bot))
