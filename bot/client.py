"""The discord.py bot: intents, AllowedMentions.none(), start-up work, last-resort errors."""

from __future__ import annotations

import asyncio
import logging
import sys
from concurrent.futures import ThreadPoolExecutor

import discord
from discord import app_commands
from discord.ext import commands

from bot import checks, shards
from bot.config import Settings
from bot.feedback import FeedbackStore
from bot.reindex import Reindexer
from bot.scope import Scopes, open_library
from bot.wording import say
from index.blobs import StorageUnavailable
from index.engine import Engine
from index.library.collections import DEFAULT
from index.state import StateUnavailable

log = logging.getLogger("qabot.bot")
SERVICE_DOWN = (StateUnavailable, StorageUnavailable)  # said in words, logged in one line

SOMETHING_WRONG = "Sorry, something went wrong on my side. The error has been logged."
# One extension per feature, each with `async def setup(bot)`; loaded in this order at start-up.
INITIAL_EXTENSIONS = (
    "bot.cogs.ask",
    "bot.cogs.quote",
    "bot.cogs.sources",
    "bot.cogs.admin",
    "bot.cogs.docs",
)


class Tree(app_commands.CommandTree):
    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """Checks that refuse say why, privately; anything else is logged with its traceback."""
        cause = getattr(error, "original", error)
        if isinstance(error, app_commands.CheckFailure) and str(error):
            message = str(error)
        elif isinstance(cause, SERVICE_DOWN):
            message = say(cause)  # one log line naming the service, no traceback
        else:
            command = interaction.command.qualified_name if interaction.command else "?"
            log.error("error in /%s", command, exc_info=error)
            message = SOMETHING_WRONG
        await reply_privately(interaction, message)


async def reply_privately(interaction: discord.Interaction, message: str) -> None:
    try:
        if interaction.response.is_done():
            await interaction.followup.send(message, ephemeral=True)
        else:
            await interaction.response.send_message(message, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not tell the user about an error", exc_info=True)


class QABot(commands.Bot):
    engine: Engine
    feedback: FeedbackStore

    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        intents = discord.Intents.default()
        # Privileged: lets the bot read messages that don't mention it (threads, ask channels).
        # Without it Discord still shows the bot the text of messages that mention it.
        intents.message_content = settings.message_content
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            # Set once for the whole bot: quoted document text must never ping anyone.
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            tree_cls=Tree,
            **shard_options(settings),
        )
        self.settings = settings
        self.cooldown = checks.question_cooldown(settings.cooldown_s)
        self.reindexers: dict[str, Reindexer] = {}  # one per collection: builds don't block others
        self.reindexer = self.reindexer_of(DEFAULT)
        # Questions are answered by at most QABOT_WORKERS threads; the rest queue.
        self.questions = ThreadPoolExecutor(settings.workers, thread_name_prefix="qabot-question")
        self._given_engine = engine

    def reindexer_of(self, collection: str) -> Reindexer:
        return self.reindexers.setdefault(collection, Reindexer())

    async def setup_hook(self) -> None:
        # Loading the model (and building a first index) takes seconds: keep it off the loop.
        # The state and storage are SQLite and folders, or PostgreSQL and S3 (bot/scope.py).
        engine, self.collections, self.feedback = await asyncio.to_thread(
            open_library, self.settings, self._given_engine
        )
        if engine is not None:
            self.engine = engine
        self.scopes = Scopes(self.collections, self.settings, self.feedback)

        from bot.views import AnswerButton

        self.add_dynamic_items(AnswerButton)
        for extension in INITIAL_EXTENSIONS:
            await self.load_extension(extension)
        if self.settings.sync_commands and publishes_commands(self.settings):
            await self.tree.sync()

    async def close(self) -> None:
        await super().close()
        self.questions.shutdown(wait=False, cancel_futures=True)
        if hasattr(self, "collections"):
            self.collections.state.close()

    async def on_error(self, event_method: str, /, *args: object, **kwargs: object) -> None:
        """A listener that met a database or store that is down logs one line, no traceback."""
        error = sys.exc_info()[1]
        if isinstance(error, SERVICE_DOWN):
            log.error("%s: %s", event_method, error)
            return
        await super().on_error(event_method, *args, **kwargs)

    async def on_message(self, message: discord.Message) -> None:
        """No prefix commands: questions in messages are handled by the ask cog's listener."""

    async def on_ready(self) -> None:
        log.info("ready as %s in %d servers", self.user, len(self.guilds))


class ShardedQABot(QABot, commands.AutoShardedBot):
    """A worker over a range of shards (`qabot run --shards 0-3 --shard-count 16`): Discord sends
    it the events of the servers on those shards only, and DMs when it holds shard 0."""

    async def on_ready(self) -> None:
        where = shards.describe(self.settings.shard_ids or (), self.settings.shard_count or 1)
        log.info("ready as %s in %d servers on %s", self.user, len(self.guilds), where)


def make_bot(settings: Settings, engine: Engine | None = None) -> QABot:
    """The bot for these settings: a sharded worker when they name shards, else one process."""
    return (ShardedQABot if settings.sharded else QABot)(settings, engine)


def shard_options(settings: Settings) -> dict[str, object]:
    if not settings.sharded:
        return {}
    return {"shard_ids": list(settings.shard_ids or ()), "shard_count": settings.shard_count}


def publishes_commands(settings: Settings) -> bool:
    """Slash commands are global: one worker publishes them, the one holding shard 0."""
    return not settings.sharded or 0 in (settings.shard_ids or ())
