"""SQLite store for answers shown and the 👍 / 👎 votes on them.

Each answer gets a short key that its buttons carry, so the buttons keep working after a restart.
Votes keep a salted hash of the voter's id, never the id itself. Every call opens its own
connection, so the store can be used from worker threads.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS answers (
    key TEXT PRIMARY KEY, question TEXT NOT NULL, chunk_ids TEXT NOT NULL,
    answered INTEGER NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS votes (
    answer_key TEXT NOT NULL, question TEXT NOT NULL, chunk_ids TEXT NOT NULL,
    user_hash TEXT NOT NULL, vote INTEGER NOT NULL, voted_at TEXT NOT NULL,
    PRIMARY KEY (answer_key, user_hash));
"""


@dataclass(frozen=True)
class AnswerRecord:
    key: str
    question: str
    chunk_ids: tuple[str, ...]
    answered: bool


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


class FeedbackStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.executescript(_SCHEMA)
            db.execute("INSERT OR IGNORE INTO meta VALUES ('salt', ?)", (secrets.token_hex(16),))
            self._salt = db.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()[0]

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=10)) as db, db:
            yield db

    def remember(self, question: str, chunk_ids: tuple[str, ...], answered: bool) -> str:
        """Store an answer about to be shown; returns the key its buttons carry."""
        key = secrets.token_hex(6)
        with self._db() as db:
            db.execute(
                "INSERT INTO answers VALUES (?, ?, ?, ?, ?)",
                (key, question, json.dumps(list(chunk_ids)), int(answered), _now()),
            )
        return key

    def answer(self, key: str) -> AnswerRecord | None:
        with self._db() as db:
            row = db.execute(
                "SELECT question, chunk_ids, answered FROM answers WHERE key = ?", (key,)
            ).fetchone()
        if row is None:
            return None
        return AnswerRecord(key, row[0], tuple(json.loads(row[1])), bool(row[2]))

    def user_hash(self, user_id: int) -> str:
        return hashlib.sha256(f"{self._salt}:{user_id}".encode()).hexdigest()[:32]

    def vote(self, key: str, user_id: int, vote: int) -> AnswerRecord | None:
        """Record a vote; a member's later vote on the same answer replaces the earlier one."""
        record = self.answer(key)
        if record is None:
            return None
        with self._db() as db:
            db.execute(
                "INSERT OR REPLACE INTO votes VALUES (?, ?, ?, ?, ?, ?)",
                (
                    key,
                    record.question,
                    json.dumps(list(record.chunk_ids)),
                    self.user_hash(user_id),
                    1 if vote > 0 else -1,
                    _now(),
                ),
            )
        return record

    def votes(self) -> list[Vote]:
        with self._db() as db:
            rows = db.execute("SELECT * FROM votes ORDER BY voted_at").fetchall()
        return [Vote(r[0], r[1], tuple(json.loads(r[2])), r[3], r[4], r[5]) for r in rows]

    def summary(self, worst: int = 5) -> FeedbackSummary:
        with self._db() as db:
            answers, up, down, voters = db.execute(
                "SELECT COUNT(DISTINCT answer_key), COALESCE(SUM(vote > 0), 0),"
                " COALESCE(SUM(vote < 0), 0), COUNT(DISTINCT user_hash) FROM votes"
            ).fetchone()
            rows = db.execute(
                "SELECT question, SUM(vote > 0), SUM(vote < 0) FROM votes GROUP BY question"
                " HAVING SUM(vote < 0) > 0 ORDER BY SUM(vote < 0) DESC, question LIMIT ?",
                (worst,),
            ).fetchall()
        return FeedbackSummary(
            answers, up, down, voters, tuple(QuestionVotes(q, u, d) for q, u, d in rows)
        )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
