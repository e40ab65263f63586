"""Fifty members ask at once while a moderator's /reindex runs: every one is answered, questions
queue in the bounded pool, and discord.py's heartbeat is never blocked."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

import pytest

from benchmarks.small_corpus import FROST, grow_corpus
from index.engine import Engine
from tests.bot.conftest import World
from tests.bot.heartbeat import start_heartbeat

MEMBERS = 50


@pytest.fixture
def bot_engine(own_engine: Engine) -> Engine:
    grow_corpus(own_engine.settings.corpus_dir, files=72)  # a rebuild outlasting the burst
    return own_engine


@pytest.fixture
def bot_settings() -> dict[str, object]:
    return {"cooldown_s": 0, "workers": 2}


async def test_fifty_members_asking_during_a_reindex_are_all_answered(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    members = [world.add_member(f"asker{i}") for i in range(MEMBERS)]
    # SimCord runs one actor action at a time: the members post plain messages first, and the
    # cog's own handler answers all fifty at once while the moderator's /reindex is running.
    messages = [await m.send(world.channel, FROST) for m in members]
    cog = world.bot.get_cog("Ask")  # the extension's own class: load_extension imports afresh
    assert cog is not None
    handler, socket = start_heartbeat(interval=0.05)
    busy: list[int] = []
    try:
        with caplog.at_level(logging.WARNING, logger="discord.gateway"):
            reindex = asyncio.create_task(world.moderator.slash(world.channel, "reindex"))
            while not world.bot.reindexer.running:
                await asyncio.sleep(0.01)
            watcher = asyncio.create_task(_watch(world.bot.questions, busy))
            await asyncio.gather(*(cog.answer_message(m, m.content) for m in messages))
            assert world.bot.reindexer.running  # the burst was answered during the rebuild
            await reindex
            await world.env.settle()
            watcher.cancel()
    finally:
        handler.stop()
    replies = {
        m.reference.message_id: m
        for m in world.channel.history()
        if m.author.id == world.bot.user.id and m.reference is not None and m.embeds
    }
    assert set(replies) == {m.id for m in messages}
    assert all(r.embeds[0].description.startswith("> A late frost") for r in replies.values())
    assert "heartbeat blocked" not in caplog.text
    assert len(socket.sent) >= 2  # the heartbeat did beat throughout
    assert max(busy) == 2  # the burst queued: never more question threads than QABOT_WORKERS


async def _watch(pool: ThreadPoolExecutor, busy: list[int]) -> None:
    """How many question threads exist, sampled while the burst is answered."""
    while True:
        busy.append(len(pool._threads))
        await asyncio.sleep(0.005)
