"""The embedded state of one process: SQLite files and JSON files in the data folder.

FeedbackStore keeps a collection's answers, the 👍 / 👎 votes on them, conversations, gaps and
opt-outs in one SQLite file (QABOT_FEEDBACK_DB for the default collection, feedback.sqlite3 beside
a collection's corpus folder otherwise). LocalState hands those stores out and keeps channel
bindings in bindings.json, as before there was a shared database.

Each answer gets a short key that its buttons carry, so the buttons keep working after a restart.
An answer also records where it was posted (a channel or thread id) and the answer it followed
up, so a follow-up finds its conversation. Votes and opt-outs keep a salted hash of the member's
id, never the id itself. Every call opens its own connection, so the store can be used from
worker threads.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, closing, contextmanager, nullcontext
from pathlib import Path

from index.library.layout import (
    DEFAULT,
    CollectionError,
    CollectionPaths,
    bindings_path,
    read_bindings,
    write_json,
)
from index.models import DocumentRecord
from index.state.records import (
    AnswerRecord,
    FeedbackSummary,
    GapQuestion,
    QuestionVotes,
    Vote,
    answer_of,
    answer_row,
    now,
    salted,
    vote_of,
    vote_row,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS answers (
    key TEXT PRIMARY KEY, question TEXT NOT NULL, chunk_ids TEXT NOT NULL,
    answered INTEGER NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS votes (
    answer_key TEXT NOT NULL, question TEXT NOT NULL, chunk_ids TEXT NOT NULL,
    user_hash TEXT NOT NULL, vote INTEGER NOT NULL, voted_at TEXT NOT NULL,
    PRIMARY KEY (answer_key, user_hash));
CREATE TABLE IF NOT EXISTS opt_outs (user_hash TEXT PRIMARY KEY, since TEXT NOT NULL);
"""
# Columns added to `answers` after its first release; older databases get them on opening.
_ANSWER_COLUMNS = {"place": "TEXT NOT NULL DEFAULT ''", "parent": "TEXT NOT NULL DEFAULT ''"}
_ANSWER_COLUMNS |= {"resolved_at": "TEXT"}


class FeedbackStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.executescript(_SCHEMA)
            have = {row[1] for row in db.execute("PRAGMA table_info(answers)")}
            for name, kind in _ANSWER_COLUMNS.items():
                if name not in have:
                    db.execute(f"ALTER TABLE answers ADD COLUMN {name} {kind}")
            db.execute("INSERT OR IGNORE INTO meta VALUES ('salt', ?)", (secrets.token_hex(16),))
            self._salt = db.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()[0]

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=10)) as db, db:
            yield db

    def remember(
        self,
        question: str,
        chunk_ids: tuple[str, ...],
        answered: bool,
        *,
        place: str = "",
        parent: str = "",
    ) -> str:
        """Store an answer about to be shown; returns the key its buttons carry.

        `place` is the channel or thread it is posted in, `parent` the answer it follows up.
        """
        row = answer_row(question, chunk_ids, answered, place, parent)
        with self._db() as db:
            db.execute(
                "INSERT INTO answers (key, question, chunk_ids, answered, created_at, place,"
                " parent) VALUES (?, ?, ?, ?, ?, ?, ?)",
                row,
            )
        return row[0]

    def move(self, key: str, place: str) -> None:
        """The answer now lives in `place` (the thread or forum post opened for it)."""
        with self._db() as db:
            db.execute("UPDATE answers SET place = ? WHERE key = ?", (place, key))

    def latest_in(self, place: str) -> str | None:
        """The key of the last answer posted in this channel or thread."""
        with self._db() as db:
            row = db.execute(
                "SELECT key FROM answers WHERE place = ? ORDER BY rowid DESC LIMIT 1", (place,)
            ).fetchone()
        return row[0] if row else None

    def conversation(self, key: str, turns: int) -> tuple[AnswerRecord, ...]:
        """The answer with this key and the ones it followed up, at most `turns`, oldest first."""
        found: list[AnswerRecord] = []
        with self._db() as db:
            while key and len(found) < turns:
                row = db.execute(
                    "SELECT question, chunk_ids, answered, parent FROM answers WHERE key = ?",
                    (key,),
                ).fetchone()
                if row is None:
                    break
                found.append(answer_of(key, row[0], row[1], row[2]))
                key = row[3]
        return tuple(reversed(found))

    def answer(self, key: str) -> AnswerRecord | None:
        with self._db() as db:
            row = db.execute(
                "SELECT question, chunk_ids, answered FROM answers WHERE key = ?", (key,)
            ).fetchone()
        if row is None:
            return None
        return answer_of(key, row[0], row[1], row[2])

    def user_hash(self, user_id: int) -> str:
        return salted(self._salt, user_id)

    def vote(self, key: str, user_id: int, vote: int) -> AnswerRecord | None:
        """Record a vote; a member's later vote on the same answer replaces the earlier one."""
        record = self.answer(key)
        if record is None:
            return None
        with self._db() as db:
            db.execute(
                "INSERT OR REPLACE INTO votes VALUES (?, ?, ?, ?, ?, ?)",
                vote_row(key, record, self.user_hash(user_id), vote),
            )
        return record

    def votes(self) -> list[Vote]:
        with self._db() as db:
            rows = db.execute("SELECT * FROM votes ORDER BY voted_at").fetchall()
        return [vote_of(r) for r in rows]

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

    def gaps(self) -> list[GapQuestion]:
        """Unresolved questions that were abstained on or whose answer got a 👎, oldest first."""
        with self._db() as db:
            rows = db.execute(
                "SELECT a.key, a.question, a.created_at, a.answered,"
                " (SELECT COUNT(*) FROM votes v WHERE v.answer_key = a.key AND v.vote < 0) AS down"
                " FROM answers a WHERE a.resolved_at IS NULL AND (a.answered = 0 OR down > 0)"
                " ORDER BY a.rowid"
            ).fetchall()
        return [GapQuestion(r[0], r[1], r[2], not r[3], r[4]) for r in rows]

    def resolve(self, keys: tuple[str, ...]) -> int:
        """Mark these answers' questions resolved (e.g. a document was added); returns how many."""
        with self._db() as db:
            cursor = db.executemany(
                "UPDATE answers SET resolved_at = ? WHERE key = ? AND resolved_at IS NULL",
                [(now(), key) for key in keys],
            )
        return cursor.rowcount

    def set_opt_out(self, user_id: int, out: bool) -> None:
        """Stop (or resume) answering this member's unaddressed messages in ask channels."""
        with self._db() as db:
            if out:
                db.execute(
                    "INSERT OR IGNORE INTO opt_outs VALUES (?, ?)",
                    (self.user_hash(user_id), now()),
                )
            else:
                db.execute("DELETE FROM opt_outs WHERE user_hash = ?", (self.user_hash(user_id),))

    def opted_out(self, user_id: int) -> bool:
        with self._db() as db:
            row = db.execute(
                "SELECT 1 FROM opt_outs WHERE user_hash = ?", (self.user_hash(user_id),)
            ).fetchone()
        return row is not None

    def opt_outs(self) -> list[str]:
        """The stored (hashed) ids of members who opted out."""
        with self._db() as db:
            return [row[0] for row in db.execute("SELECT user_hash FROM opt_outs")]


class LocalState:
    """The state of one process: a SQLite file per collection, bindings.json per server, and each
    corpus folder's documents.json. Builds need no pointer (the index folder's CURRENT is one)
    and no lock beyond the process's own (Collections) and the build's file lock."""

    shared = False

    def __init__(
        self,
        data_dir: Path | None,
        locate: Callable[[str], CollectionPaths],
        default_feedback: Path,
    ) -> None:
        self.data_dir, self.locate, self.default_feedback = data_dir, locate, default_feedback
        self._stores: dict[str, FeedbackStore] = {}
        self._lock = threading.Lock()

    def feedback(self, collection: str) -> FeedbackStore:
        with self._lock:
            store = self._stores.get(collection)
            if store is None:
                path = (
                    self.default_feedback
                    if collection == DEFAULT
                    else self.locate(collection).corpus_dir.parent / "feedback.sqlite3"
                )
                store = self._stores[collection] = FeedbackStore(path)
            return store

    def bindings(self, guild_id: int) -> dict[str, str]:
        return read_bindings(self._data_dir(), guild_id)

    def bind(self, guild_id: int, channel_id: int, name: str | None) -> None:
        bindings = self.bindings(guild_id)
        if name:
            bindings[str(channel_id)] = name
        else:
            bindings.pop(str(channel_id), None)
        write_json(bindings_path(self._data_dir(), guild_id), bindings)

    def records(self, collection: str) -> list[DocumentRecord]:
        from index.library.layout import read_records

        return read_records(self.locate(collection))

    def write_records(self, collection: str, records: list[DocumentRecord]) -> None:
        from index.library.layout import write_records

        write_records(self.locate(collection), records)

    def published(self, collection: str) -> str | None:
        return None  # the index folder's CURRENT names the build

    def publish(self, collection: str, build: str) -> None:
        pass

    def hold(self, collection: str) -> AbstractContextManager[None]:
        return nullcontext()

    def close(self) -> None:
        pass

    def _data_dir(self) -> Path:
        if self.data_dir is None:
            raise CollectionError("binding channels needs a data folder: set QABOT_DATA_DIR")
        return self.data_dir
