"""The bot serves the index and QABOT_K that .env names, as `qabot index build` and `ask` do."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.small_corpus import write_corpus
from bot import create_bot
from bot.cli import main
from bot.client import QABot
from tests.bot.conftest import World
from tests.test_settings import write_dotenv


@pytest.fixture
def simcord_bot(tmp_path: Path, served_models) -> QABot:
    """No engine given: the bot opens its own from the settings, after a CLI build."""
    corpus = write_corpus(tmp_path / "papers")
    write_dotenv(tmp_path, QABOT_CORPUS_DIR=str(corpus), QABOT_INDEX_DIR="kept/index", QABOT_K="1")
    assert main(["index", "build"]) == 0
    return create_bot(feedback_db=tmp_path / "feedback.sqlite3", cooldown_s=0)


async def test_the_bot_serves_the_dotenv_index_with_its_k(world: World, tmp_path: Path) -> None:
    assert world.bot.engine.settings.index_dir == Path("kept/index")
    await world.member.slash(world.channel, "ask", question="What is the capital of Peru?")
    embed = world.channel.last_message.embeds[0]
    assert embed.description.startswith("The documents don't answer this question.")
    quoted = [line for line in embed.description.split("\n") if line.startswith("> ")]
    assert len(quoted) == 1  # QABOT_K=1 retrieves one passage; the default shows 3
    await world.member.slash(world.channel, "ask", question="Why did apple prices fall?")
    assert "Apple prices fell" in world.channel.last_message.embeds[0].description
