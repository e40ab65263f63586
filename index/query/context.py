"""A conversation's previous turns, as an explicit input to answering a follow-up question.

"When did he say that?" after "What did Peskov say about relations with Japan?" refers to the
previous question and the passages its answer cited. The front end that knows the conversation (a
reply chain, a thread) hands them over; the engine keeps no conversation state of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_TURNS = 3  # only the last turns inform a follow-up


@dataclass(frozen=True)
class Turn:
    question: str
    cited: tuple[str, ...] = ()  # chunk ids of the passages its answer showed


@dataclass(frozen=True)
class Context:
    turns: tuple[Turn, ...] = ()  # oldest first

    def recent(self) -> tuple[Turn, ...]:
        return self.turns[-MAX_TURNS:]

    def cited(self) -> tuple[str, ...]:
        """The chunk ids the recent turns cited, most recent first, once each."""
        ids = (chunk_id for turn in reversed(self.recent()) for chunk_id in turn.cited)
        return tuple(dict.fromkeys(ids))


def with_context(question: str, context: Context | None) -> str:
    """The text to search with: the recent questions, then this one (nearest to it last)."""
    turns = context.recent() if context else ()
    return " ".join([*(t.question for t in turns), question])
