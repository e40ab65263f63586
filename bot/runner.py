"""`qabot run`: the real bot on Discord with DISCORD_TOKEN. Problems end in one clear line."""

from __future__ import annotations

import asyncio
import logging
import sys

import aiohttp
import discord

from bot.client import QABot, make_bot
from bot.config import Settings, SettingsError
from index.errors import QabotError

NO_TOKEN = (
    "DISCORD_TOKEN is not set: put the bot token in the environment or in .env "
    "(or try the bot without one: `qabot demo`)."
)
REJECTED = (
    "Discord rejected DISCORD_TOKEN: copy the token again from the Developer Portal "
    "(Applications → your bot → Bot → Reset Token)."
)
NO_INTENT = (
    "Discord refused the Message Content intent: enable it in the Developer Portal "
    "(Applications → your bot → Bot → Privileged Gateway Intents)."
)


def run_bot(shards: str | None = None, shard_count: int | None = None) -> int:
    """Run until Ctrl-C. Returns 2 for a missing or rejected token or a bad setting, 1 for
    other failures. `shards` ("0-3") and `shard_count` make this process a worker over those
    shards only (`qabot run --shards 0-3 --shard-count 16`)."""
    try:
        settings = Settings.from_env(shard_ids=shards, shard_count=shard_count)
    except SettingsError as error:
        return _fail(str(error), 2)
    if not settings.token:
        return _fail(NO_TOKEN, 2)
    warning = intent_warning(settings)
    if warning:
        print(f"qabot: {warning}", file=sys.stderr)
    try:
        asyncio.run(_serve(make_bot(settings), settings.token))
    except discord.LoginFailure:
        return _fail(REJECTED, 2)
    except discord.PrivilegedIntentsRequired:
        return _fail(NO_INTENT, 2)
    except QabotError as error:
        return _fail(str(error), 1)
    except (aiohttp.ClientConnectionError, discord.GatewayNotFound, OSError) as error:
        return _fail(f"can't reach Discord ({type(error).__name__}); check the connection.", 1)
    except KeyboardInterrupt:
        pass
    return 0


def intent_warning(settings: Settings) -> str | None:
    """One line when a setting needs the Message Content intent that the bot won't request."""
    if settings.message_content or not settings.ask_channels:
        return None
    return (
        "QABOT_ASK_CHANNELS needs the Message Content intent, and QABOT_MESSAGE_CONTENT is off: "
        "questions there (and follow-ups in answer threads) must mention the bot."
    )


async def _serve(bot: QABot, token: str) -> None:
    async with bot:
        await bot.login(token)  # also runs setup_hook: loads the engine, syncs the commands
        # Logs start once the token is accepted, so a rejected one ends in exactly one line.
        # discord.py never logs the token itself.
        discord.utils.setup_logging(level=logging.INFO)
        await bot.connect()


def _fail(message: str, code: int) -> int:
    print(f"qabot: {message}", file=sys.stderr)
    return code
