"""/docs: moderators add, remove, list and refresh the documents of their server's collection.

The cog only translates: checks and storing live in index/library/intake.py, fetching in
index/library/fetch.py, collections in index/library/collections.py. Every change holds the
collection's change lock, then runs
that collection's incremental build with the same one-message progress as /reindex. Refusals are
private; nothing of a refused upload or URL is left on disk.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import checks, limits, render, render_library
from bot.cogs.admin import TOKEN_GONE, build_embed_for
from bot.wording import BUSY, describe, say
from index.errors import QabotError
from index.library import fetch as fetching
from index.library import intake
from index.library.fetch import Allow, Fetched
from index.library.layout import DEFAULT

if TYPE_CHECKING:
    from bot.client import QABot

log = logging.getLogger("qabot.bot")
ADD_USAGE = "Give either `file:` (an upload) or `url:` (a page or file on the web), not both."
NEEDS_DATA_DIR = "Binding channels needs a data folder (QABOT_DATA_DIR) on the bot's side."


class ProgressMessage:
    """The public progress message of a change, edited in place like /reindex's, and through
    the channel once the interaction's 15-minute token is gone."""

    def __init__(self, interaction: discord.Interaction) -> None:
        self.interaction = interaction
        self.message: discord.WebhookMessage | None = None

    async def send(self, content: str) -> None:
        self.message = await self.interaction.followup.send(content, wait=True)

    async def edit(self, **fields) -> None:
        assert self.message is not None
        try:
            await self.message.edit(**fields)
        except discord.HTTPException as error:
            if error.code not in TOKEN_GONE:
                raise
            channel = self.message.channel
            await channel.get_partial_message(self.message.id).edit(**fields)  # type: ignore[union-attr]


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Docs(commands.GroupCog, group_name="docs"):
    """Manage this server's documents (moderators only)."""

    def __init__(self, bot: QABot) -> None:
        self.bot = bot
        self.allow = Allow.parse(bot.settings.fetch_allow)
        super().__init__()

    # ---- commands -------------------------------------------------------------------------

    @app_commands.command()
    @app_commands.describe(
        file="A document to upload (PDF, Word, web page, text or Markdown; up to 25 MB)",
        url="An http(s) address of a page or file to fetch; it becomes the citation link",
    )
    @checks.moderator_only()
    async def add(
        self,
        interaction: discord.Interaction,
        file: discord.Attachment | None = None,
        url: str | None = None,
    ) -> None:
        """Add a document to this server's collection and index it."""
        url = (url or "").strip()
        if (file is None) == (not url):
            await interaction.response.send_message(ADD_USAGE, ephemeral=True)
            return
        if file is not None and file.size > intake.MAX_UPLOAD_BYTES:
            too_big = f"the file is over the {intake.MAX_UPLOAD_BYTES // 2**20} MB limit"
            await interaction.response.send_message(refused(too_big, "Not added"), ephemeral=True)
            return

        async def take(paths) -> str:
            if file is not None:
                data = await file.read()
                record = await asyncio.to_thread(intake.add, paths, file.filename, data)
            else:
                got = await fetching.fetch(url, self.allow, timeout_s=fetching.TIMEOUT_S)
                assert isinstance(got, Fetched)  # no ETag was sent, so no 304
                record = await asyncio.to_thread(intake.add_fetched, paths, got)
            return render.content(f"Added {shown(record)}. Indexing it now.")

        await self._change(interaction, take, "Not added")

    @app_commands.command()
    @app_commands.describe(document="The document to remove: start typing its name")
    @checks.moderator_only()
    async def remove(self, interaction: discord.Interaction, document: str) -> None:
        """Remove a document from this server's collection."""

        async def take(paths) -> str:
            record = await asyncio.to_thread(intake.remove, paths, document)
            return render.content(f"Removed {shown(record)}.")

        await self._change(interaction, take, "Not removed")

    @remove.autocomplete("document")
    async def _document_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if not checks.is_moderator(interaction.user, self.bot.settings):
            return []
        name = self.bot.scopes.name(interaction)
        records = await asyncio.to_thread(self.bot.collections.documents, name)
        wanted = current.strip().lower()
        return [
            app_commands.Choice(name=limits.shorten(shown_plain(r), limits.CHOICE), value=r.stored)
            for r in records
            if (wanted in r.stored.lower() or wanted in r.original.lower())
            and len(r.stored) <= limits.CHOICE
        ][:25]

    @app_commands.command(name="list")
    @app_commands.describe(page="Which page of the list, when there are many documents")
    @checks.moderator_only()
    async def list_(
        self, interaction: discord.Interaction, page: app_commands.Range[int, 1, 10_000] = 1
    ) -> None:
        """List the documents of this server's collection, with where each came from."""
        name = self.bot.scopes.name(interaction)
        try:
            records = await asyncio.to_thread(self.bot.collections.documents, name)
        except QabotError as error:  # the shared database is down
            await interaction.response.send_message(render.content(say(error)), ephemeral=True)
            return
        embed = render_library.documents_embed(describe(name), records, page)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command()
    @checks.moderator_only()
    async def refresh(self, interaction: discord.Interaction) -> None:
        """Fetch the documents added by URL again and re-index those that changed."""
        result: list[intake.Refreshed] = []

        async def take(paths) -> str | None:
            done = await intake.refresh(paths, self.allow)
            result.append(done)
            return render_library.refreshed(done)

        changed = lambda: bool(result and result[0].changed)  # noqa: E731
        await self._change(interaction, take, "Not refreshed", build_if=changed)

    @app_commands.command()
    @app_commands.describe(
        collection="A name for this channel's own collection, e.g. rules; empty: the server's"
    )
    @checks.moderator_only()
    async def bind(self, interaction: discord.Interaction, collection: str | None = None) -> None:
        """Give this channel its own collection (e.g. #rules-help → rules), or undo that."""
        if self.bot.collections.data_dir is None:
            await interaction.response.send_message(NEEDS_DATA_DIR, ephemeral=True)
            return
        channel = interaction.channel
        channel_id = getattr(channel, "parent_id", None) or interaction.channel_id
        try:
            name = await asyncio.to_thread(
                self.bot.collections.bind, interaction.guild_id, channel_id, collection or None
            )
        except QabotError as error:
            await interaction.response.send_message(render.content(say(error)), ephemeral=True)
            return
        await interaction.response.send_message(
            render.content(f"This channel now uses {describe(name).lower()}."), ephemeral=True
        )

    # ---- one change -----------------------------------------------------------------------

    async def _change(
        self, interaction: discord.Interaction, take, refusal: str, build_if=None
    ) -> None:
        """Refuse while this collection changes; else apply `take`, then build this collection.

        `take(paths)` stores or removes, and returns the private note for the moderator; its
        QabotError is the refusal. `build_if()` can skip the build (a refresh that found
        nothing new)."""
        try:
            name = self.bot.scopes.name(interaction)
        except QabotError as error:
            await interaction.response.send_message(render.content(say(error)), ephemeral=True)
            return
        collections = self.bot.collections
        if self.bot.reindexer_of(name).running or collections.busy(name):
            await interaction.response.send_message(
                BUSY.format(what=describe(name)), ephemeral=True
            )
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            with collections.changing(name) as paths:
                try:
                    note = await take(paths)
                except QabotError as error:
                    await interaction.followup.send(refused(say(error), refusal), ephemeral=True)
                    return
                await interaction.followup.send(note, ephemeral=True)
                if build_if is not None and not build_if():
                    return
                await self._build(interaction, name)
        except QabotError as error:  # the change lock was taken meanwhile
            await interaction.followup.send(render.content(say(error)), ephemeral=True)

    async def _build(self, interaction: discord.Interaction, name: str) -> None:
        reply = ProgressMessage(interaction)
        await reply.send(render_library.progress(0, 0))

        async def on_progress(done: int, total: int) -> None:
            try:
                await reply.edit(content=render_library.progress(done, total))
            except discord.HTTPException:
                log.warning("could not show build progress", exc_info=True)

        embed = await build_embed_for(self.bot, name, on_progress)
        await reply.edit(content=None, embed=embed)


def refused(reason: str, what: str) -> str:
    """'Not added: the file is empty.' A refusal in one line, with what was not done."""
    return render.content(f"{what}: {reason.rstrip('.')}.")


def shown(record: intake.DocumentRecord) -> str:
    return f"“{limits.escape(limits.shorten(record.original, 200))}”"


def shown_plain(record: intake.DocumentRecord) -> str:
    return (
        record.original
        if record.original == record.stored
        else f"{record.original} ({record.stored})"
    )


async def setup(bot: QABot) -> None:
    await bot.add_cog(Docs(bot))


__all__ = ["DEFAULT", "Docs"]
