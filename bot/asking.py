"""A question, from any front door (/ask, a mention, a reply), to an answer and its record.

Plain async functions: the engine and the store run in worker threads, so the gateway heartbeat
keeps beating however many members ask at once. Questions run in the bot's bounded pool
(QABOT_WORKERS): a burst waits its turn there instead of crowding the event loop's thread.
"""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import Executor
from dataclasses import dataclass, replace

from bot import render
from bot.feedback import FeedbackStore
from index.engine import MAX_QUESTION_CHARS, Engine
from index.models import Answer, Citation


@dataclass(frozen=True)
class Asked:
    answer: Answer
    key: str  # the feedback store's key for this answer, carried by its buttons


def problem(question: str) -> str | None:
    """Why the question can't be asked, in words for the member, or None when it can."""
    if not question.strip():
        return render.USAGE
    if len(question) > MAX_QUESTION_CHARS:
        return render.too_long(len(question), MAX_QUESTION_CHARS)
    return None


async def ask(
    engine: Engine, store: FeedbackStore, question: str, pool: Executor | None = None
) -> Asked:
    """Answer in one of the pool's workers (a burst queues there, off the event loop), and
    remember the answer so its buttons can find it later."""
    loop = asyncio.get_running_loop()
    answer = await loop.run_in_executor(pool, engine.answer, question.strip())
    shown = answer.citations if answer.answered else answer.related[: render.RELATED_SHOWN]
    ids = tuple(c.chunk_id for c in shown)
    key = await asyncio.to_thread(store.remember, answer.question, ids, answer.answered)
    return Asked(answer, key)


async def passages(engine: Engine, chunk_ids: tuple[str, ...]) -> tuple[Citation, ...]:
    """The full passages behind an answer, numbered as in the answer; gone ones are skipped."""

    def load() -> tuple[Citation, ...]:
        found = [engine.passage(chunk_id) for chunk_id in chunk_ids]
        return tuple(replace(c, n=n) for n, c in enumerate(found, start=1) if c is not None)

    return await asyncio.to_thread(load)


def strip_mentions(content: str, *ids: int) -> str:
    """The question in a message that mentions the bot: its user or role mentions removed."""
    for i in ids:
        content = re.sub(rf"<@[!&]?{i}>", " ", content)
    return " ".join(content.split())
