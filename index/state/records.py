"""What shared state holds, as values: answers, votes, gaps, and what a feedback store does.

Both stores (index/state/sqlite.py for one process, index/state/postgres.py for several workers)
implement `Feedback` and return these dataclasses, so the bot never knows which one it talks to.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from index.errors import QabotError


class StateUnavailable(QabotError):
    """The shared database can't be reached; the message names it (never its password)."""


@dataclass(frozen=True)
class AnswerRecord:
    key: str
    question: str
    chunk_ids: tuple[str, ...]
    answered: bool


@dataclass(frozen=True)
class GapQuestion:
    """A question the bot abstained on, or whose answer got a 👎, not yet marked resolved."""

    key: str
    question: str
    asked_at: str  # ISO 8601, UTC
    abstained: bool
    down: int  # 👎 votes on its answer


@dataclass(frozen=True)
class Vote:
    answer_key: str
    question: str
    chunk_ids: tuple[str, ...]
    user_hash: str
    vote: int  # +1 or -1
    voted_at: str


@dataclass(frozen=True)
class QuestionVotes:
    question: str
    up: int
    down: int


@dataclass(frozen=True)
class FeedbackSummary:
    answers: int  # answers with at least one vote
    up: int
    down: int
    voters: int
    most_downvoted: tuple[QuestionVotes, ...]


class Feedback(Protocol):
    """One collection's answers, votes, conversations, gaps and opt-outs."""

    def remember(
        self,
        question: str,
        chunk_ids: tuple[str, ...],
        answered: bool,
        *,
        place: str = "",
        parent: str = "",
    ) -> str: ...
    def move(self, key: str, place: str) -> None: ...
    def latest_in(self, place: str) -> str | None: ...
    def conversation(self, key: str, turns: int) -> tuple[AnswerRecord, ...]: ...
    def answer(self, key: str) -> AnswerRecord | None: ...
    def user_hash(self, user_id: int) -> str: ...
    def vote(self, key: str, user_id: int, vote: int) -> AnswerRecord | None: ...
    def votes(self) -> list[Vote]: ...
    def summary(self, worst: int = 5) -> FeedbackSummary: ...
    def gaps(self) -> list[GapQuestion]: ...
    def resolve(self, keys: tuple[str, ...]) -> int: ...
    def set_opt_out(self, user_id: int, out: bool) -> None: ...
    def opted_out(self, user_id: int) -> bool: ...
    def opt_outs(self) -> list[str]: ...


def salted(salt: str, user_id: int) -> str:
    """What is kept of a member's id: a salted hash, never the id."""
    return hashlib.sha256(f"{salt}:{user_id}".encode()).hexdigest()[:32]


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# The row codec both stores share: chunk ids are kept as a JSON list, a vote as +1 or -1.


def answer_row(
    question: str, chunk_ids: tuple[str, ...], answered: bool, place: str, parent: str
) -> tuple:
    """A new answers row: (key, question, chunk_ids, answered, created_at, place, parent), with
    a fresh key, the one its buttons carry (the store adds its own key columns)."""
    key = secrets.token_hex(6)
    return (key, question, json.dumps(list(chunk_ids)), bool(answered), now(), place, parent)


def answer_of(key: str, question: str, chunk_ids: str, answered: object) -> AnswerRecord:
    return AnswerRecord(key, question, tuple(json.loads(chunk_ids)), bool(answered))


def vote_row(key: str, record: AnswerRecord, user_hash: str, vote: int) -> tuple:
    """The votes row for a member's vote on an answer (the store adds its own key columns)."""
    chunk_ids = json.dumps(list(record.chunk_ids))
    return (key, record.question, chunk_ids, user_hash, 1 if vote > 0 else -1, now())


def vote_of(row: tuple) -> Vote:
    return Vote(row[0], row[1], tuple(json.loads(row[2])), row[3], row[4], row[5])
