"""Start-up: the bot opens the engine in setup_hook, off the event loop, and publishes commands."""

from __future__ import annotations

import shutil
from pathlib import Path

import discord
import pytest
import simcord

from bot import create_bot
from bot.client import INITIAL_EXTENSIONS, QABot
from index.engine import Engine
from tests.bot.conftest import COMMANDS


@pytest.fixture
def simcord_bot(session_dirs: tuple[Path, Path], engine: Engine, tmp_path: Path) -> QABot:
    """A bot given only folders, as `qabot run` makes it, over a copy of the built index."""
    corpus, index = session_dirs
    shutil.copytree(index, tmp_path / "index")
    return create_bot(corpus_dir=corpus, index_dir=tmp_path / "index", cooldown_s=0)


async def test_the_bot_opens_its_engine_at_start_up_and_answers(
    simcord_env: simcord.Env, simcord_bot: QABot
) -> None:
    assert simcord_bot.engine.settings.index_dir == simcord_bot.settings.index_dir
    channel = simcord_env.create_guild().create_text_channel("general")
    member = simcord_env.guild.add_member(simcord_env.create_user("ada"))
    await member.slash(channel, "ask", question="Why did apple prices fall by 12 percent?")
    assert "good harvest" in channel.last_message.embeds[0].description


async def test_the_commands_are_published_with_moderator_ones_hidden(
    simcord_env: simcord.Env, simcord_bot: QABot
) -> None:
    published = {c.name: c for c in await simcord_bot.tree.fetch_commands()}
    assert set(published) == set(COMMANDS)
    manage = discord.Permissions(manage_guild=True)
    for name in ("reindex", "feedback", "gaps", "docs"):
        assert published[name].default_member_permissions == manage
        assert published[name].dm_permission is False
    assert published["ask"].default_member_permissions is None
    assert published["ask"].options[0].name == "question" and published["ask"].description


async def test_each_feature_is_an_extension_and_reloads(
    simcord_env: simcord.Env, simcord_bot: QABot
) -> None:
    assert list(simcord_bot.extensions) == list(INITIAL_EXTENSIONS)
    assert set(simcord_bot.cogs) == {"Ask", "Quote", "Sources", "Admin", "Docs"}
    await simcord_bot.reload_extension("bot.cogs.sources")
    assert simcord_bot.tree.get_command("sources") is not None
