"""Shared state behind one interface: the SQLite files of one process and PostgreSQL behave alike,
keep each collection apart, migrate themselves, and fail clearly when the database is gone."""

from __future__ import annotations

import threading
from pathlib import Path

import psycopg
import pytest

from index.errors import BuildInProgress
from index.library.layout import collection_paths
from index.models import DocumentRecord
from index.settings import EngineSettings, LibrarySettings
from index.state import StateUnavailable, open_state
from index.state.schema import MIGRATIONS


@pytest.fixture(params=["sqlite", "postgres"])
def state(request, tmp_path: Path):
    url = request.getfixturevalue("database_url") if request.param == "postgres" else ""
    library = LibrarySettings(data_dir=tmp_path / "data", database_url=url)
    engine = EngineSettings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")
    opened = open_state(
        library, lambda name: collection_paths(name, library.data_dir, engine), tmp_path / "fb.db"
    )
    yield opened
    opened.close()


def test_feedback_votes_gaps_conversations_and_opt_outs(state) -> None:
    store = state.feedback("guild/1")
    first = store.remember("Who built the pier?", ("c1", "c2"), True, place="10")
    second = store.remember("And when?", ("c3",), False, place="10", parent=first)
    store.move(second, "11")
    assert store.latest_in("10") == first and store.latest_in("11") == second
    assert [t.question for t in store.conversation(second, 3)] == [
        "Who built the pier?",
        "And when?",
    ]
    assert store.answer(first).chunk_ids == ("c1", "c2")
    assert store.vote(first, 7, -1) is not None and store.vote(first, 7, 1) is not None
    store.vote(first, 8, -1)
    assert store.vote("nope", 7, 1) is None
    summary = store.summary()
    assert (summary.answers, summary.up, summary.down, summary.voters) == (1, 1, 1, 2)
    assert [g.question for g in store.gaps()] == ["Who built the pier?", "And when?"]
    assert store.resolve((second,)) == 1 and [g.key for g in store.gaps()] == [first]
    store.set_opt_out(7, True)
    assert store.opted_out(7) and not store.opted_out(8)
    assert store.opt_outs() == [store.user_hash(7)]
    store.set_opt_out(7, False)
    assert not store.opted_out(7)


def test_collections_never_share_state(state) -> None:
    a, b = state.feedback("guild/1"), state.feedback("guild/2")
    key = a.remember("Where is the boathouse?", ("c1",), False)
    assert b.answer(key) is None and b.gaps() == [] and b.vote(key, 1, 1) is None
    assert a.user_hash(5) != b.user_hash(5)  # a salt of its own
    state.bind(1, 100, "rules")
    assert state.bindings(1) == {"100": "rules"} and state.bindings(2) == {}
    state.bind(1, 100, None)
    assert state.bindings(1) == {}
    record = DocumentRecord("a.md", "A.md", "", "ab" * 32, added_at="2026-01-01T00:00:00+00:00")
    state.write_records("guild/1", [record])
    assert state.records("guild/1") == [record] and state.records("guild/2") == []


def test_builds_are_published_and_held_one_at_a_time(state) -> None:
    if not state.shared:
        assert state.published("guild/1") is None  # the index folder's CURRENT is the pointer
        return
    state.publish("guild/1", "build-1")
    state.publish("guild/1", "build-2")
    assert state.published("guild/1") == "build-2" and state.published("guild/2") is None
    with state.hold("guild/1"):
        other = threading.Thread(target=lambda: _try_hold(state, "guild/1", found))
        found: list[Exception] = []
        other.start()
        other.join()
        assert isinstance(found[0], BuildInProgress)
        with state.hold("guild/2"):  # other collections are not blocked
            pass
    with state.hold("guild/1"):  # released on leaving
        pass


def _try_hold(state, name: str, found: list[Exception]) -> None:
    try:
        with state.hold(name):
            found.append(AssertionError("held twice"))
    except Exception as error:
        found.append(error)


def test_postgres_schema_is_created_and_migrated_once(database_url: str) -> None:
    library = LibrarySettings(database_url=database_url)
    for _ in range(2):  # a second worker starting finds the schema in place
        open_state(library, lambda name: None, Path("unused")).close()  # type: ignore[arg-type]
    with psycopg.connect(database_url) as db:
        versions = [row[0] for row in db.execute("SELECT version FROM qabot_migrations")]
    assert versions == list(range(1, len(MIGRATIONS) + 1))


def test_an_unreachable_database_is_one_clear_error_without_the_password() -> None:
    from tests.services import free_port

    url = f"postgresql://qabot:s3cret@127.0.0.1:{free_port()}/qabot"
    with pytest.raises(StateUnavailable) as caught:
        open_state(LibrarySettings(database_url=url), lambda name: None, Path("x"))  # type: ignore[arg-type]
    message = str(caught.value)
    assert "s3cret" not in message and "127.0.0.1" in message and "can't be reached" in message
    assert "s3cret" not in repr(LibrarySettings(database_url=url))
