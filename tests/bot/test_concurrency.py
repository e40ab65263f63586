"""Concurrency where it lives: the engine under threads, the cog's handlers at once, the loop's lag.

SimCord runs one actor action at a time, so these tests drive the same code paths concurrently
themselves instead of fighting the simulator.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks.small_corpus import FROST, grow_corpus
from bot import asking
from bot.feedback import FeedbackStore
from bot.reindex import Reindexer
from index.engine import Engine
from index.errors import BuildInProgress
from tests.bot.conftest import World

FERRY = "Island Ferry Timetable\n\nThe electric ferry to Saltholm leaves every 40 minutes.\n"


def test_threads_keep_getting_answers_while_a_build_swaps_the_index(own_engine: Engine) -> None:
    corpus = own_engine.settings.corpus_dir
    grow_corpus(corpus, files=6)
    (corpus / "ferry.txt").write_text(FERRY, encoding="utf-8")
    with ThreadPoolExecutor(max_workers=6) as pool:
        build = pool.submit(own_engine.build)
        answers = []
        while not build.done() or len(answers) < 20:
            answers += list(pool.map(own_engine.answer, [FROST] * 5))
        report = build.result()
    assert report.added and len(answers) >= 20
    assert all(a.answered and "cherry blossoms" in a.answer for a in answers)
    assert (
        "every 40 minutes"
        in own_engine.answer("How often does the electric ferry to Saltholm leave?").answer
    )


async def test_twenty_concurrent_questions_are_all_answered(engine: Engine, tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    questions = [
        FROST,
        "Why did apple prices fall by 12 percent?",
        "Who said the terminal would create about 300 jobs?",
        "Peru?",
    ] * 5
    asked = await asyncio.gather(*(asking.ask(engine, store, q) for q in questions))
    assert [a.answer.question for a in asked] == questions
    assert len({a.key for a in asked}) == 20  # each answer has its own buttons
    assert all(a.answer.answered for a in asked if a.answer.question != "Peru?")


async def test_the_cog_answers_twenty_messages_at_once(world: World) -> None:
    members = [world.add_member(f"asker{i}") for i in range(20)]
    # Plain messages (no mention), so the bot leaves them alone until the test hands them over.
    messages = [await m.send(world.channel, FROST) for m in members]
    cog = world.bot.get_cog("Ask")  # the extension's own class: load_extension imports afresh
    assert cog is not None
    await asyncio.gather(*(cog.answer_message(m, m.content) for m in messages))
    await world.env.settle()
    replies = {
        m.reference.message_id: m
        for m in world.channel.history()
        if m.author.id == world.bot.user.id and m.reference is not None
    }
    assert set(replies) == {m.id for m in messages}
    assert all(r.embeds[0].description.startswith("> A late frost") for r in replies.values())


async def test_questions_asked_during_a_reindex_are_all_answered(
    own_engine: Engine, tmp_path: Path
) -> None:
    grow_corpus(own_engine.settings.corpus_dir, files=4)
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    reindexer = Reindexer()
    build = asyncio.create_task(reindexer.run(own_engine))
    await asyncio.sleep(0)
    assert reindexer.running
    asked = await asyncio.gather(*(asking.ask(own_engine, store, FROST) for _ in range(10)))
    report = await build
    assert len(report.added) == 4
    assert all(a.answer.answered for a in asked)


async def test_a_second_reindex_while_one_runs_is_refused(own_engine: Engine) -> None:
    grow_corpus(own_engine.settings.corpus_dir, files=2)
    reindexer = Reindexer()
    first, second = await asyncio.gather(
        reindexer.run(own_engine), reindexer.run(own_engine), return_exceptions=True
    )
    assert len(first.added) == 2
    assert isinstance(second, BuildInProgress)
    assert "already running" in str(second)
    assert not reindexer.running  # and the next one may run
    assert (await reindexer.run(own_engine)).added == ()


async def test_the_event_loop_stays_responsive_during_a_build(own_engine: Engine) -> None:
    grow_corpus(own_engine.settings.corpus_dir, files=24)
    progress: list[tuple[int, int]] = []

    async def on_progress(done: int, total: int) -> None:
        progress.append((done, total))

    lags: list[float] = []

    async def probe() -> None:
        while True:
            start = time.perf_counter()
            await asyncio.sleep(0.01)
            lags.append(time.perf_counter() - start - 0.01)

    prober = asyncio.create_task(probe())
    started = time.perf_counter()
    report = await Reindexer(min_interval=0).run(own_engine, on_progress)
    took = time.perf_counter() - started
    prober.cancel()
    assert report.embedded > 0 and took > 0.3  # a real build, long enough to measure
    assert len(lags) > took / 0.05  # the probe kept running throughout
    assert max(lags) < 0.25, f"the loop stalled for {max(lags):.3f} s"
    # Every file was reported, in order: 4 documents and 24 new files.
    assert [done for done, _ in progress] == list(range(1, 29))
    assert {total for _, total in progress} == {28}


async def test_progress_is_reported_at_most_once_per_interval(own_engine: Engine) -> None:
    grow_corpus(own_engine.settings.corpus_dir, files=2)
    seen: list[int] = []

    async def on_progress(done: int, total: int) -> None:
        seen.append(done)

    await Reindexer(min_interval=3600).run(own_engine, on_progress)
    assert seen == [1, 6]  # the first file, then the final count, which is always shown
