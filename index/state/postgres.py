"""Shared state in PostgreSQL (QABOT_DATABASE_URL): every worker reads and writes the same rows.

Feedback, bindings, the document registry and the builds' pointers are rows keyed by collection
(index/state/schema.py). Connections come from a small pool; a database that can't be reached
raises StateUnavailable, naming host, port and database but never the password. One change or
build at a time per collection, across all workers, is a session-level advisory lock held on a
connection of its own: if the worker holding it dies, even by kill -9, PostgreSQL ends its session
and the lock is free again (TCP keepalives end the session of a machine that went away).

Longer than 300 lines because it is one job written out: the SQL of every kind of record the
State protocol holds, beside index/state/sqlite.py's files for one process.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import astuple, fields

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from index.errors import BuildInProgress
from index.models import DocumentRecord
from index.settings import shown_url
from index.state.records import (
    AnswerRecord,
    FeedbackSummary,
    GapQuestion,
    QuestionVotes,
    StateUnavailable,
    Vote,
    answer_of,
    answer_row,
    now,
    salted,
    vote_of,
    vote_row,
)
from index.state.schema import migrate

log = logging.getLogger("qabot.state")
CONNECT_TIMEOUT_S = 5
POOL_WAIT_S = 3  # a database that is down costs a call this long, no more
# A lock holder whose machine vanished is noticed within about idle + interval * count seconds.
KEEPALIVES = "SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5;"
KEEPALIVES += " SET tcp_keepalives_count = 3"
_RECORD_FIELDS = [f.name for f in fields(DocumentRecord)]


class Held(BuildInProgress):
    """Another worker holds this collection's lock."""


class PostgresState:
    shared = True

    def __init__(self, url: str, *, pool_size: int = 4) -> None:
        self.url, self.shown = url, shown_url(url)
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            kwargs={"connect_timeout": CONNECT_TIMEOUT_S, "autocommit": True},
            open=False,
            name="qabot",
        )
        self._feedback: dict[str, PostgresFeedback] = {}
        self._lock = threading.Lock()
        try:  # one direct connection first: a database that is down fails at once, clearly
            with psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S) as db:
                version = migrate(db)
            self._pool.open(wait=True, timeout=CONNECT_TIMEOUT_S * 2)
        except (psycopg.OperationalError, PoolTimeout) as error:
            self._pool.close()
            raise self.unavailable(error) from None
        log.info("shared state in PostgreSQL at %s (schema version %d)", self.shown, version)

    def unavailable(self, error: Exception) -> StateUnavailable:
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        reason = lines[0] if lines else type(error).__name__
        reason = reason.replace(self.url, self.shown)
        return StateUnavailable(f"the shared database {self.shown} can't be reached ({reason})")

    @contextmanager
    def db(self) -> Iterator[psycopg.Connection]:
        """A pooled connection (autocommit; use db.transaction() for several statements)."""
        try:
            with self._pool.connection(timeout=POOL_WAIT_S) as db:
                yield db
        except (psycopg.OperationalError, PoolTimeout) as error:
            raise self.unavailable(error) from None

    def close(self) -> None:
        self._pool.close()

    # ---- feedback, bindings ------------------------------------------------------------------

    def feedback(self, collection: str) -> PostgresFeedback:
        with self._lock:
            store = self._feedback.get(collection)
            if store is None:
                store = self._feedback[collection] = PostgresFeedback(self, collection)
            return store

    def bindings(self, guild_id: int) -> dict[str, str]:
        with self.db() as db:
            rows = db.execute(
                "SELECT channel_id, collection_name FROM bindings WHERE guild_id = %s",
                (int(guild_id),),
            ).fetchall()
        return dict(rows)

    def bind(self, guild_id: int, channel_id: int, name: str | None) -> None:
        with self.db() as db:
            if name:
                db.execute(
                    "INSERT INTO bindings VALUES (%s, %s, %s) ON CONFLICT (guild_id, channel_id)"
                    " DO UPDATE SET collection_name = EXCLUDED.collection_name",
                    (int(guild_id), str(channel_id), name),
                )
            else:
                db.execute(
                    "DELETE FROM bindings WHERE guild_id = %s AND channel_id = %s",
                    (int(guild_id), str(channel_id)),
                )

    # ---- the document registry and builds ----------------------------------------------------

    def records(self, collection: str) -> list[DocumentRecord]:
        columns = ", ".join(_RECORD_FIELDS)
        with self.db() as db:
            rows = db.execute(
                f"SELECT {columns} FROM documents WHERE collection = %s ORDER BY position",
                (collection,),
            ).fetchall()
        return [DocumentRecord(*row) for row in rows]

    def write_records(self, collection: str, records: list[DocumentRecord]) -> None:
        columns = ", ".join(["collection", *_RECORD_FIELDS, "position"])
        marks = ", ".join(["%s"] * (len(_RECORD_FIELDS) + 2))
        with self.db() as db, db.transaction():
            db.execute("DELETE FROM documents WHERE collection = %s", (collection,))
            with db.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO documents ({columns}) VALUES ({marks})",
                    [(collection, *astuple(r), n) for n, r in enumerate(records)],
                )

    def published(self, collection: str) -> str | None:
        with self.db() as db:
            row = db.execute(
                "SELECT build FROM builds WHERE collection = %s", (collection,)
            ).fetchone()
        return row[0] if row else None

    def publish(self, collection: str, build: str) -> None:
        with self.db() as db:
            db.execute(
                "INSERT INTO builds VALUES (%s, %s, %s) ON CONFLICT (collection)"
                " DO UPDATE SET build = EXCLUDED.build, published_at = EXCLUDED.published_at",
                (collection, build, now()),
            )

    @contextmanager
    def hold(self, collection: str) -> Iterator[None]:
        """This collection's lock across every worker, for one change or build. Raises Held
        when another worker holds it, StateUnavailable when the database can't be reached."""
        try:
            db = psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
        except psycopg.OperationalError as error:
            raise self.unavailable(error) from None
        try:
            db.execute(KEEPALIVES)
            row = db.execute(
                "SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", (f"qabot:{collection}",)
            ).fetchone()
            if not (row and row[0]):
                raise Held(f"another worker is changing or building {collection!r}")
            yield
        finally:
            db.close()  # ending the session releases the lock


class PostgresFeedback:
    """One collection's feedback rows; the same behaviour as the SQLite FeedbackStore."""

    def __init__(self, state: PostgresState, collection: str) -> None:
        self.state, self.collection = state, collection
        with state.db() as db:
            db.execute(
                "INSERT INTO salts VALUES (%s, %s) ON CONFLICT DO NOTHING",
                (collection, secrets.token_hex(16)),
            )
            row = db.execute("SELECT salt FROM salts WHERE collection = %s", (collection,))
            self._salt = row.fetchone()[0]  # type: ignore[index]

    def _all(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self.state.db() as db:
            return db.execute(sql, (self.collection, *params)).fetchall()

    def _run(self, sql: str, params: tuple = ()) -> int:
        with self.state.db() as db:
            return db.execute(sql, (self.collection, *params)).rowcount

    def remember(
        self,
        question: str,
        chunk_ids: tuple[str, ...],
        answered: bool,
        *,
        place: str = "",
        parent: str = "",
    ) -> str:
        row = answer_row(question, chunk_ids, answered, place, parent)
        self._run(
            "INSERT INTO answers (collection, key, question, chunk_ids, answered, created_at,"
            " place, parent) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            row,
        )
        return row[0]

    def move(self, key: str, place: str) -> None:
        with self.state.db() as db:
            db.execute(
                "UPDATE answers SET place = %s WHERE collection = %s AND key = %s",
                (place, self.collection, key),
            )

    def latest_in(self, place: str) -> str | None:
        rows = self._all(
            "SELECT key FROM answers WHERE collection = %s AND place = %s ORDER BY id DESC LIMIT 1",
            (place,),
        )
        return rows[0][0] if rows else None

    def conversation(self, key: str, turns: int) -> tuple[AnswerRecord, ...]:
        found: list[AnswerRecord] = []
        while key and len(found) < turns:
            rows = self._all(
                "SELECT question, chunk_ids, answered, parent FROM answers"
                " WHERE collection = %s AND key = %s",
                (key,),
            )
            if not rows:
                break
            question, chunk_ids, answered, parent = rows[0]
            found.append(answer_of(key, question, chunk_ids, answered))
            key = parent
        return tuple(reversed(found))

    def answer(self, key: str) -> AnswerRecord | None:
        rows = self._all(
            "SELECT question, chunk_ids, answered FROM answers WHERE collection = %s AND key = %s",
            (key,),
        )
        if not rows:
            return None
        question, chunk_ids, answered = rows[0]
        return answer_of(key, question, chunk_ids, answered)

    def user_hash(self, user_id: int) -> str:
        return salted(self._salt, user_id)

    def vote(self, key: str, user_id: int, vote: int) -> AnswerRecord | None:
        record = self.answer(key)
        if record is None:
            return None
        self._run(
            "INSERT INTO votes VALUES (%s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (collection, answer_key, user_hash)"
            " DO UPDATE SET vote = EXCLUDED.vote, voted_at = EXCLUDED.voted_at",
            vote_row(key, record, self.user_hash(user_id), vote),
        )
        return record

    def votes(self) -> list[Vote]:
        rows = self._all(
            "SELECT answer_key, question, chunk_ids, user_hash, vote, voted_at FROM votes"
            " WHERE collection = %s ORDER BY voted_at"
        )
        return [vote_of(r) for r in rows]

    def summary(self, worst: int = 5) -> FeedbackSummary:
        [(answers, up, down, voters)] = self._all(
            "SELECT COUNT(DISTINCT answer_key), COUNT(*) FILTER (WHERE vote > 0),"
            " COUNT(*) FILTER (WHERE vote < 0), COUNT(DISTINCT user_hash) FROM votes"
            " WHERE collection = %s"
        )
        rows = self._all(
            "SELECT question, COUNT(*) FILTER (WHERE vote > 0), COUNT(*) FILTER (WHERE vote < 0)"
            " FROM votes WHERE collection = %s GROUP BY question"
            " HAVING COUNT(*) FILTER (WHERE vote < 0) > 0"
            " ORDER BY COUNT(*) FILTER (WHERE vote < 0) DESC, question LIMIT %s",
            (worst,),
        )
        return FeedbackSummary(
            answers, up, down, voters, tuple(QuestionVotes(q, u, d) for q, u, d in rows)
        )

    def gaps(self) -> list[GapQuestion]:
        rows = self._all(
            "SELECT a.key, a.question, a.created_at, a.answered,"
            " (SELECT COUNT(*) FROM votes v WHERE v.collection = a.collection"
            "  AND v.answer_key = a.key AND v.vote < 0) AS down"
            " FROM answers a WHERE a.collection = %s AND a.resolved_at IS NULL ORDER BY a.id"
        )
        return [
            GapQuestion(key, question, asked_at, not answered, down)
            for key, question, asked_at, answered, down in rows
            if not answered or down > 0
        ]

    def resolve(self, keys: tuple[str, ...]) -> int:
        with self.state.db() as db:
            return db.execute(
                "UPDATE answers SET resolved_at = %s"
                " WHERE collection = %s AND key = ANY(%s) AND resolved_at IS NULL",
                (now(), self.collection, list(keys)),
            ).rowcount

    def set_opt_out(self, user_id: int, out: bool) -> None:
        if out:
            self._run(
                "INSERT INTO opt_outs VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                (self.user_hash(user_id), now()),
            )
        else:
            self._run(
                "DELETE FROM opt_outs WHERE collection = %s AND user_hash = %s",
                (self.user_hash(user_id),),
            )

    def opted_out(self, user_id: int) -> bool:
        return bool(
            self._all(
                "SELECT 1 FROM opt_outs WHERE collection = %s AND user_hash = %s",
                (self.user_hash(user_id),),
            )
        )

    def opt_outs(self) -> list[str]:
        return [r[0] for r in self._all("SELECT user_hash FROM opt_outs WHERE collection = %s")]
