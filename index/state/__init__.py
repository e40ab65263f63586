"""Shared state: everything qabot remembers per server besides documents and their indexes.

    feedback      answers shown, 👍 / 👎 votes, conversations (follow-ups), gaps, opt-outs
    bindings      channel -> named collection (/docs bind)
    registry      each collection's documents: stored name, original name or URL, sha256, ...
    builds        which build each collection serves (its pointer), and one build at a time

`open_state` picks the store: PostgreSQL when QABOT_DATABASE_URL is set (index/state/postgres.py,
for several workers; the schema is created and migrated on start), else the files of one process
(index/state/sqlite.py: SQLite feedback files, bindings.json, each corpus folder's documents.json).
Both implement `State`, so nothing above this package knows which one it talks to.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from index.library.layout import CollectionPaths
from index.models import DocumentRecord
from index.settings import LibrarySettings
from index.state.records import Feedback, StateUnavailable


class State(Protocol):
    shared: bool  # True: other workers see the same state (PostgreSQL)

    def feedback(self, collection: str) -> Feedback: ...
    def bindings(self, guild_id: int) -> dict[str, str]: ...
    def bind(self, guild_id: int, channel_id: int, name: str | None) -> None: ...
    def records(self, collection: str) -> list[DocumentRecord]: ...
    def write_records(self, collection: str, records: list[DocumentRecord]) -> None: ...
    def published(self, collection: str) -> str | None: ...
    def publish(self, collection: str, build: str) -> None: ...
    def hold(self, collection: str) -> AbstractContextManager[None]: ...
    def close(self) -> None: ...


def open_state(
    library: LibrarySettings,
    locate: Callable[[str], CollectionPaths],
    default_feedback: Path,
) -> State:
    """The state these settings name. `locate` gives a collection's folders (for the files of
    one process); `default_feedback` is QABOT_FEEDBACK_DB, the default collection's SQLite file.
    Raises StateUnavailable when the database can't be reached."""
    if library.database_url:
        from index.state.postgres import PostgresState

        return PostgresState(library.database_url)
    from index.state.sqlite import LocalState

    return LocalState(library.data_dir, locate, default_feedback)


__all__ = ["Feedback", "State", "StateUnavailable", "open_state"]
