"""The PostgreSQL schema, as numbered migrations that qabot applies itself on start.

Each worker runs `migrate` when it connects: under a transaction-level advisory lock, it applies
the migrations newer than the highest one recorded in qabot_migrations, so several workers
starting at once apply each migration exactly once. A migration is never edited once released:
a change to the schema is a new entry at the end of MIGRATIONS.
"""

from __future__ import annotations

import psycopg

MIGRATION_LOCK = 0x71AB07  # the advisory lock key that serialises migrations

MIGRATIONS: tuple[str, ...] = (
    # 1: feedback (answers, votes, opt-outs, each collection's salt), bindings, the document
    # registry and each collection's published build.
    """
    CREATE TABLE salts (collection TEXT PRIMARY KEY, salt TEXT NOT NULL);
    CREATE TABLE answers (
        id BIGSERIAL PRIMARY KEY,
        collection TEXT NOT NULL, key TEXT NOT NULL, question TEXT NOT NULL,
        chunk_ids TEXT NOT NULL, answered BOOLEAN NOT NULL, created_at TEXT NOT NULL,
        place TEXT NOT NULL DEFAULT '', parent TEXT NOT NULL DEFAULT '', resolved_at TEXT,
        UNIQUE (collection, key));
    CREATE INDEX answers_place ON answers (collection, place, id);
    CREATE TABLE votes (
        collection TEXT NOT NULL, answer_key TEXT NOT NULL, question TEXT NOT NULL,
        chunk_ids TEXT NOT NULL, user_hash TEXT NOT NULL, vote SMALLINT NOT NULL,
        voted_at TEXT NOT NULL, PRIMARY KEY (collection, answer_key, user_hash));
    CREATE TABLE opt_outs (
        collection TEXT NOT NULL, user_hash TEXT NOT NULL, since TEXT NOT NULL,
        PRIMARY KEY (collection, user_hash));
    CREATE TABLE bindings (
        guild_id BIGINT NOT NULL, channel_id TEXT NOT NULL, collection_name TEXT NOT NULL,
        PRIMARY KEY (guild_id, channel_id));
    CREATE TABLE documents (
        collection TEXT NOT NULL, stored TEXT NOT NULL, original TEXT NOT NULL,
        url TEXT NOT NULL, sha256 TEXT NOT NULL, etag TEXT NOT NULL,
        last_modified TEXT NOT NULL, added_at TEXT NOT NULL, position INTEGER NOT NULL,
        PRIMARY KEY (collection, stored));
    CREATE TABLE builds (
        collection TEXT PRIMARY KEY, build TEXT NOT NULL, published_at TEXT NOT NULL);
    """,
)


def migrate(db: psycopg.Connection) -> int:
    """Apply the migrations this database lacks; returns the schema version it is now at."""
    with db.transaction():
        db.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        db.execute(
            "CREATE TABLE IF NOT EXISTS qabot_migrations ("
            " version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        row = db.execute("SELECT COALESCE(max(version), 0) FROM qabot_migrations").fetchone()
        have = int(row[0]) if row else 0
        for version, sql in enumerate(MIGRATIONS[have:], start=have + 1):
            db.execute(sql)
            db.execute("INSERT INTO qabot_migrations (version) VALUES (%s)", (version,))
    return len(MIGRATIONS)
