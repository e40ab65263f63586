"""Moderator commands: /reindex, /feedback and /gaps."""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from types import SimpleNamespace
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import checks, gaps, render_library
from bot.feedback import FeedbackStore
from bot.reindex import ALREADY_RUNNING
from bot.wording import empty_message, say
from index.errors import QabotError

if TYPE_CHECKING:
    from bot.client import QABot

log = logging.getLogger("qabot.bot")
UNEXPECTED = "The rebuild failed unexpectedly; the error has been logged."
# Discord's answer once an interaction token (it lives 15 minutes) is gone: Unknown Webhook,
# Invalid Webhook Token.
TOKEN_GONE = {10015, 50027}


class PublicReply:
    """The public reply a command keeps editing, even after the interaction's token expires.

    Edits go through the interaction while its token lives, then through the channel as the
    bot's own message, so a rebuild that takes longer than 15 minutes still reports its result.
    """

    def __init__(self, interaction: discord.Interaction) -> None:
        self.interaction = interaction
        self.message: discord.InteractionMessage | None = None
        self.token_gone = False

    async def send(self, content: str) -> None:
        await self.interaction.response.send_message(content)
        self.message = await self.interaction.original_response()

    async def edit(self, **fields) -> None:
        if not self.token_gone:
            try:
                await self.interaction.edit_original_response(**fields)
                return
            except discord.HTTPException as error:
                if error.code not in TOKEN_GONE or self.message is None:
                    raise
                self.token_gone = True
        assert self.message is not None
        await self.message.channel.get_partial_message(self.message.id).edit(**fields)


async def run_build(bot: QABot, name: str, on_progress) -> discord.Embed:
    """Build one collection under its change lock; the embed that reports how it went."""
    try:
        with bot.collections.changing(name):
            return await build_embed_for(bot, name, on_progress)
    except QabotError as error:  # the collection is being changed
        return render_library.build_failed(say(error))


async def build_embed_for(bot: QABot, name: str, on_progress) -> discord.Embed:
    """Build one collection (the caller holds its change lock) and report it as /reindex does."""
    builder = SimpleNamespace(build=partial(bot.collections.rebuild, name))  # Reindexer runs it
    try:
        report = await bot.reindexer_of(name).run(builder, on_progress)  # type: ignore[arg-type]
    except QabotError as error:
        return render_library.build_failed(say(error))
    except Exception:
        log.exception("reindex failed")
        return render_library.build_failed(UNEXPECTED)
    if report is None:
        return render_library.build_failed(empty_message(name))
    return render_library.build_embed(report)


class Admin(commands.Cog):
    def __init__(self, bot: QABot) -> None:
        self.bot = bot

    @app_commands.command()
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    @checks.moderator_only()
    async def reindex(self, interaction: discord.Interaction) -> None:
        """Rebuild the index after the documents change (moderators only)."""
        name = self.bot.scopes.name(interaction)  # this server's (or channel's) collection
        reindexer = self.bot.reindexer_of(name)
        if reindexer.running or self.bot.collections.busy(name):
            await interaction.response.send_message(ALREADY_RUNNING, ephemeral=True)
            return
        reply = PublicReply(interaction)
        await reply.send(render_library.progress(0, 0))

        async def on_progress(done: int, total: int) -> None:
            try:
                await reply.edit(content=render_library.progress(done, total))
            except discord.HTTPException:
                log.warning("could not show reindex progress", exc_info=True)

        await reply.edit(content=None, embed=await run_build(self.bot, name, on_progress))

    @app_commands.command()
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    @checks.moderator_only()
    async def feedback(self, interaction: discord.Interaction) -> None:
        """Summarise the 👍 / 👎 votes on answers (moderators only)."""
        summary = await asyncio.to_thread(self.bot.scopes.feedback(interaction).summary)
        await interaction.response.send_message(
            embed=render_library.feedback_embed(summary), ephemeral=True
        )

    @app_commands.command()
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    @app_commands.describe(
        resolve="A gap's id: mark its questions resolved, e.g. after adding a document"
    )
    @checks.moderator_only()
    async def gaps(self, interaction: discord.Interaction, resolve: str | None = None) -> None:
        """Questions the documents didn't answer well, grouped by meaning (moderators only)."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        store = self.bot.scopes.feedback(interaction)
        found = await self._gaps(store)
        if resolve is None:
            await interaction.followup.send(embed=render_library.gaps_embed(found), ephemeral=True)
            return
        chosen = next((g for g in found if g.gap_id == resolve.strip().lower()), None)
        if chosen is None:
            await interaction.followup.send(render_library.no_such_gap(resolve), ephemeral=True)
            return
        await asyncio.to_thread(store.resolve, chosen.keys)
        await interaction.followup.send(render_library.gap_resolved(chosen), ephemeral=True)

    @gaps.autocomplete("resolve")
    async def _gap_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if not checks.is_moderator(interaction.user, self.bot.settings):
            return []
        found = await self._gaps(self.bot.scopes.feedback(interaction))
        return [
            app_commands.Choice(name=render_library.gap_choice(g), value=g.gap_id)
            for g in found
            if current.lower() in g.example.lower() or current.lower() in g.gap_id
        ][:25]

    async def _gaps(self, store: FeedbackStore) -> list[gaps.Gap]:
        def load() -> list[gaps.Gap]:
            questions = store.gaps()
            if not questions:
                return []
            embedder = self.bot.collections.models.build_embedder()
            vectors = embedder.embed([q.question for q in questions])
            return gaps.group(questions, vectors)

        return await asyncio.to_thread(load)


async def setup(bot: QABot) -> None:
    await bot.add_cog(Admin(bot))
