"""A question, from any front door (/ask, a mention, a reply, a thread, an ask channel), to an
answer and its record. A follow-up carries its conversation: the last turns of the reply chain or
thread it was asked in, never another one.

Plain async functions: the engine and the store run in worker threads, so the gateway heartbeat
keeps beating however many members ask at once. Questions run in the bot's bounded pool
(QABOT_WORKERS): a burst waits its turn there instead of crowding the event loop's thread.
"""

from __future__ import annotations

import asyncio
import logging
import re
from concurrent.futures import Executor
from dataclasses import dataclass, replace

from bot import limits, render
from bot.feedback import FeedbackStore
from index.engine import Engine
from index.models import Answer, Citation
from index.query.context import MAX_TURNS, Context, Turn
from index.state import StateUnavailable

log = logging.getLogger("qabot.bot")

THREAD_NAME = 100  # Discord's limit on a thread's name
_BUTTON = re.compile(r"qabot:passages:(?P<key>[0-9a-f]{12})")
# A message in an ask channel is a question when it ends with "?" or starts with one of these.
QUESTION_WORDS = frozenset(
    """who whom whose what which when where why how is are was were do does did can could
    should would will shall has have had may might must""".split()
)


@dataclass(frozen=True)
class Asked:
    answer: Answer
    key: str  # the feedback store's key for this answer, carried by its buttons


async def ask(
    engine: Engine,
    store: FeedbackStore,
    question: str,
    *,
    follows: str | None = None,
    place: str = "",
    pool: Executor | None = None,
) -> Asked:
    """Answer in one of the pool's workers (a burst queues there, off the event loop), and
    remember the answer so its buttons can find it later.

    `follows` is the key of the answer this question follows up: its conversation (the last
    MAX_TURNS turns) informs the answer. `place` is the channel or thread it is asked in.
    The engine checks the question, the one check every way of asking goes through: an empty
    one or one over MAX_QUESTION_CHARS raises QuestionError, whose message is the reply.
    """

    def run() -> Asked:
        # The shared database being down costs a follow-up its context and the answer its
        # buttons, but the question is still answered from the engine's cached build.
        try:
            turns = store.conversation(follows, MAX_TURNS) if follows else ()
        except StateUnavailable as error:
            log.warning("answering without the conversation: %s", error)
            turns = ()
        context = Context(tuple(Turn(t.question, t.chunk_ids) for t in turns)) if turns else None
        answer = engine.answer(question.strip(), context)
        shown = answer.citations if answer.answered else answer.related[: render.RELATED_SHOWN]
        ids = tuple(c.chunk_id for c in shown)
        try:
            key = store.remember(
                answer.question, ids, answer.answered, place=place, parent=follows or ""
            )
        except StateUnavailable as error:
            log.warning("an answer shown without its buttons: %s", error)
            key = ""
        return Asked(answer, key)

    return await asyncio.get_running_loop().run_in_executor(pool, run)


def answer_key(message: object) -> str | None:
    """The feedback key carried by the buttons of one of the bot's answers, if it is one."""
    for row in getattr(message, "components", None) or ():
        for child in getattr(row, "children", ()):
            match = _BUTTON.fullmatch(getattr(child, "custom_id", None) or "")
            if match:
                return match["key"]
    return None


def looks_like_question(text: str) -> bool:
    """Ends with "?" or starts with a question word: what an ask channel answers unasked."""
    words = text.strip().split()
    return bool(words) and (text.rstrip().endswith("?") or words[0].lower() in QUESTION_WORDS)


def thread_name(question: str) -> str:
    """A thread named after the question, within Discord's 100 characters."""
    return limits.shorten(limits.one_line(question), THREAD_NAME) or "Question"


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
