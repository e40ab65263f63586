"""/reindex for moderators only, with progress, a report, and the old index serving on failure."""

from __future__ import annotations

import asyncio
import shutil

import pytest
import simcord

from bot.checks import NEED_MODERATOR, NotModerator
from bot.reindex import ALREADY_RUNNING
from index.engine import Engine
from tests.bot.conftest import World
from tests.bot.discord_rules import assert_valid

FERRY = """Island Ferry Timetable

The new electric ferry to Saltholm leaves the pier every 40 minutes from 6 in the morning \
(Harbour News, June 2).
"""
FERRY_QUESTION = "How often does the electric ferry to Saltholm leave?"


async def enable_for(world: World, name: str, target: object) -> None:
    """What a server admin does in Server Settings → Integrations: allow a command for someone."""
    [command] = [c for c in await world.bot.tree.fetch_commands() if c.name == name]
    world.guild.set_command_permissions(command, {target: True})


@pytest.fixture
def bot_engine(own_engine: Engine) -> Engine:
    return own_engine


async def test_reindex_is_hidden_from_members_and_refused_even_when_shown(world: World) -> None:
    assert "reindex" not in world.member.available_commands(world.channel)
    assert "reindex" in world.moderator.available_commands(world.channel)
    # An admin re-enables the command for everyone; the bot still checks on its side.
    await enable_for(world, "reindex", world.guild.default_role)
    refused = await world.member.slash(world.channel, "reindex")
    assert refused.ephemeral and refused.response.content == NEED_MODERATOR
    simcord.assert_error(world.env, NotModerator)
    assert world.channel.last_message is None  # nothing was posted in the channel


@pytest.mark.parametrize("bot_settings", [{"cooldown_s": 0, "mod_role": "Helpers"}])
async def test_the_moderator_role_may_reindex_without_manage_server(world: World) -> None:
    helpers = world.guild.create_role("Helpers")
    helper = world.guild.add_member(world.env.create_user("helper"), roles=[helpers])
    await enable_for(world, "reindex", helpers)
    result = await helper.slash(world.channel, "reindex")
    assert not result.ephemeral
    assert world.channel.last_message.embeds[0].title == "Index rebuilt"


async def test_a_document_added_before_reindex_is_found_afterwards(world: World) -> None:
    (world.bot.engine.settings.corpus_dir / "ferry.txt").write_text(FERRY, encoding="utf-8")
    (world.bot.engine.settings.corpus_dir / "notice.txt").unlink()

    before = await world.member.slash(world.channel, "ask", question=FERRY_QUESTION)
    assert "every 40 minutes" not in before.response.embeds[0].description

    await world.moderator.slash(world.channel, "reindex")
    report = world.channel.last_message
    assert_valid(report)
    embed = report.embeds[0]
    fields = {f.name: f.value for f in embed.fields}
    assert fields == {
        "Added (1)": "`ferry.txt`",
        "Changed (0)": "none",
        "Removed (1)": "`notice.txt`",
    }
    assert "3 unchanged" in embed.description and "took" in embed.description
    # One progress message was edited in place, ending at files done / total.
    edits = [
        r.json.get("content")
        for r in world.env.http_requests
        if r.method == "PATCH" and isinstance(r.json, dict) and r.json.get("content")
    ]
    assert edits and edits[-1] == "Rebuilding the index… 4/4 files"

    after = await world.member.slash(world.channel, "ask", question=FERRY_QUESTION)
    answer = after.response.embeds[0]
    assert "every 40 minutes" in answer.description
    assert "Harbour News (June 2)" in answer.description


async def test_a_rebuild_that_outlasts_the_interaction_token_still_reports(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    (world.bot.engine.settings.corpus_dir / "ferry.txt").write_text(FERRY, encoding="utf-8")
    build = world.bot.engine.build

    def long_build(progress=None):
        world.env.backend.advance_clock(16 * 60)  # Discord's clock, as a long build would
        return build(progress)

    monkeypatch.setattr(world.bot.engine, "build", long_build)
    result = await world.moderator.slash(world.channel, "reindex")

    report = world.channel.last_message
    assert report.id == result.response.id  # the same reply, edited in place
    assert report.embeds[0].title == "Index rebuilt"
    assert "`ferry.txt`" in {f.name: f.value for f in report.embeds[0].fields}["Added (1)"]
    # The token had expired, so the reply was edited as the bot's own message in the channel.
    edits = [r.path for r in world.env.http_requests if r.method == "PATCH"]
    assert any(path.startswith(f"/channels/{world.channel.id}/messages/") for path in edits)


async def test_a_failed_build_reports_the_error_and_keeps_the_old_index(world: World) -> None:
    shutil.rmtree(world.bot.engine.settings.corpus_dir)
    await world.moderator.slash(world.channel, "reindex")
    embed = world.channel.last_message.embeds[0]
    assert embed.title == "Rebuild failed"
    assert "does not exist" in embed.description
    assert "The previous index is still answering questions." in embed.description

    after = await world.member.slash(
        world.channel, "ask", question="Why did apple prices fall by 12 percent?"
    )
    assert "good harvest" in after.response.embeds[0].description


async def test_feedback_is_for_moderators_only(world: World) -> None:
    assert "feedback" not in world.member.available_commands(world.channel)
    await enable_for(world, "feedback", world.guild.default_role)
    refused = await world.member.slash(world.channel, "feedback")
    assert refused.ephemeral and refused.response.content == NEED_MODERATOR
    simcord.assert_error(world.env, NotModerator)


async def test_a_second_reindex_while_one_runs_is_refused(world: World) -> None:
    running = asyncio.create_task(world.bot.reindexer.run(world.bot.engine))
    await asyncio.sleep(0)
    refused = await world.moderator.slash(world.channel, "reindex")
    assert refused.ephemeral and refused.response.content == ALREADY_RUNNING
    await running
    done = await world.moderator.slash(world.channel, "reindex")
    assert not done.ephemeral and world.channel.last_message.embeds[0].title == "Index rebuilt"
