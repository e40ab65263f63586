"""The bot built with `create_bot(data_dir=…)` and no engine given, as `qabot run` builds it:
it loads the one shared model at start-up, builds no default index, and serves /docs."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import create_bot
from bot.client import QABot
from tests.bot.conftest import World
from tests.bot.test_docs import ALPHA, ALPHA_Q, text_of


@pytest.fixture
def simcord_bot(served_models, tmp_path: Path) -> QABot:
    # The session's models, so the test doesn't load a second copy; the bot still makes its own
    # Collections and opens no engine for the default collection.
    return create_bot(data_dir=tmp_path / "data", fetch_allow="", cooldown_s=0)


async def test_a_data_folder_bot_starts_without_a_default_index(
    world: World, tmp_path: Path
) -> None:
    assert not hasattr(world.bot, "engine")
    assert not (tmp_path / ".qabot/index").exists()
    empty = await world.member.slash(world.channel, "ask", question=ALPHA_Q)
    assert "no documents yet" in world.channel.last_message.content
    assert empty.response is not None
    await world.moderator.slash(world.channel, "docs add", file=("rules.md", ALPHA.encode()))
    await world.member.slash(world.channel, "ask", question=ALPHA_Q)
    assert "old boathouse" in text_of(world.channel.last_message)
    assert (tmp_path / f"data/guilds/{world.guild.id}/corpus/rules.md").exists()
