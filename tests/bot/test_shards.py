"""Workers over shard ranges: a worker answers the servers on its shards and no others."""

from __future__ import annotations

import discord
import pytest
import simcord

from bot import create_bot
from bot.cli import main
from bot.client import QABot, ShardedQABot
from bot.config import Settings, SettingsError
from bot.shards import describe, parse_shards, shard_of

QUESTION = "Why did apple prices fall by 12 percent?"


def test_shard_ranges_parse_and_check() -> None:
    assert parse_shards("0-3") == (0, 1, 2, 3)
    assert parse_shards("8, 0-1") == (0, 1, 8)
    assert describe((0, 1, 2, 3, 8), 16) == "shards 0-3,8 of 16"
    assert shard_of(1234 << 22, 16) == 1234 % 16
    for bad in ("a", "3-1", "1,1", "-2", ""):
        with pytest.raises(SettingsError):
            parse_shards(bad)
    with pytest.raises(SettingsError, match="go together"):
        Settings.from_env({"QABOT_SHARDS": "0-3"}, dotenv_path=None)
    with pytest.raises(SettingsError, match="outside --shard-count 4"):
        Settings.from_env({}, dotenv_path=None, shard_ids="2-5", shard_count=4)
    flags_win = Settings.from_env(
        {"QABOT_SHARDS": "0-1", "QABOT_SHARD_COUNT": "4"}, dotenv_path=None, shard_ids="2-3"
    )
    assert (flags_win.shard_ids, flags_win.shard_count) == ((2, 3), 4)


def test_without_flags_the_bot_is_one_process_as_before() -> None:
    bot = create_bot(engine=None)
    assert type(bot) is QABot and not isinstance(bot, discord.AutoShardedClient)


def test_a_bad_shard_range_is_one_line_and_exit_code_2(capsys) -> None:
    assert main(["run", "--shards", "0-3", "--shard-count", "2"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("qabot: shard 2 is outside --shard-count 2") and "Traceback" not in err


@pytest.fixture
def simcord_bot(bot_engine, tmp_path) -> QABot:
    bot = create_bot(
        engine=bot_engine,
        feedback_db=tmp_path / "feedback.sqlite3",
        cooldown_s=0,
        shard_ids="1",
        shard_count=2,
        allow_dms=True,
    )
    assert isinstance(bot, ShardedQABot) and bot.shard_ids == [1] and bot.shard_count == 2
    return bot


async def test_a_worker_answers_only_the_servers_on_its_shards(
    simcord_env: simcord.Env, simcord_bot: QABot
) -> None:
    mine = simcord_env.create_guild("On shard 1", shard_id=1)
    other = simcord_env.create_guild("On shard 0", shard_id=0)
    assert simcord_bot.get_guild(mine.id) is not None and simcord_bot.get_guild(other.id) is None
    here, there = mine.create_text_channel("ask"), other.create_text_channel("ask")
    ada = mine.add_member(simcord_env.create_user("ada"))
    bea = other.add_member(simcord_env.create_user("bea"))
    await ada.send(here, f"{simcord_bot.user.mention} {QUESTION}")
    assert "good harvest" in here.last_message.embeds[0].description
    await bea.send(there, f"{simcord_bot.user.mention} {QUESTION}")
    assert there.last_message.author.id == bea.id  # the event never reached this worker
