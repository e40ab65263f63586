"""Moderator commands: /reindex and /feedback."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import checks, render
from bot.reindex import ALREADY_RUNNING
from index.errors import QabotError

if TYPE_CHECKING:
    from bot.client import QABot

log = logging.getLogger("qabot.bot")
UNEXPECTED = "The rebuild failed unexpectedly; the error has been logged."


class Admin(commands.Cog):
    def __init__(self, bot: QABot) -> None:
        self.bot = bot

    @app_commands.command()
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    @checks.moderator_only()
    async def reindex(self, interaction: discord.Interaction) -> None:
        """Rebuild the index after the documents change (moderators only)."""
        if self.bot.reindexer.running:
            await interaction.response.send_message(ALREADY_RUNNING, ephemeral=True)
            return
        await interaction.response.send_message(render.progress(0, 0))

        async def on_progress(done: int, total: int) -> None:
            try:
                await interaction.edit_original_response(content=render.progress(done, total))
            except discord.HTTPException:
                log.warning("could not show reindex progress", exc_info=True)

        try:
            report = await self.bot.reindexer.run(self.bot.engine, on_progress)
        except QabotError as error:
            embed = render.build_failed(str(error))
        except Exception:
            log.exception("reindex failed")
            embed = render.build_failed(UNEXPECTED)
        else:
            embed = render.build_embed(report)
        await interaction.edit_original_response(content=None, embed=embed)

    @app_commands.command()
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    @checks.moderator_only()
    async def feedback(self, interaction: discord.Interaction) -> None:
        """Summarise the 👍 / 👎 votes on answers (moderators only)."""
        summary = await asyncio.to_thread(self.bot.feedback.summary)
        await interaction.response.send_message(
            embed=render.feedback_embed(summary), ephemeral=True
        )
