"""/sources: what the bot has read."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import checks, render, render_library
from bot.wording import say
from index.errors import QabotError

if TYPE_CHECKING:
    from bot.client import QABot


class Sources(commands.Cog):
    def __init__(self, bot: QABot) -> None:
        self.bot = bot

    @app_commands.command()
    @app_commands.describe(page="Which page of the list, when there are many documents")
    @checks.in_allowed_channel()
    async def sources(
        self, interaction: discord.Interaction, page: app_commands.Range[int, 1, 10_000] = 1
    ) -> None:
        """List the indexed documents: title, metadata, passages and when the index was built."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            engine = await self.bot.scopes.engine(interaction)  # this server's collection only
        except QabotError as error:
            await interaction.followup.send(render.content(say(error)))
            return
        docs, status = await asyncio.to_thread(lambda: (engine.documents(), engine.status()))
        await interaction.followup.send(embed=render_library.sources_embed(docs, status, page))


async def setup(bot: QABot) -> None:
    await bot.add_cog(Sources(bot))
