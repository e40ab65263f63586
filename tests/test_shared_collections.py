"""Collections shared by several workers through PostgreSQL and SeaweedFS's S3: each worker here is
a Collections with a local cache of its own, as on another machine."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from index.blobs import S3Blobs, StorageUnavailable
from index.library import intake
from index.library.collections import CollectionBusy, Collections, EmptyCollection
from index.library.shared import builds_key, documents_key
from index.settings import EngineSettings, LibrarySettings
from index.state import StateUnavailable, open_state
from tests.services import free_port

ALPHA = """# Alpha Club Rules

The alpha club meets every Tuesday evening in the old boathouse by the river.

New members pay a fee of twelve euros per year to the club treasurer.
"""
BETA = """Beta Notes

The beta guild keeps its brass telescope in the north tower of the castle.
"""
NAME = "guild/4194304"


@pytest.fixture
def shared_env(monkeypatch, s3_server, database_url) -> dict[str, str]:
    env = s3_server.env(prefix=f"t-{uuid.uuid4().hex[:8]}") | {"QABOT_DATABASE_URL": database_url}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def worker(tmp_path: Path, label: str, models, env: dict[str, str]) -> Collections:
    """One worker's Collections: the shared database and store, its own local cache."""
    library = LibrarySettings.from_values(env | {"QABOT_DATA_DIR": str(tmp_path / label)})
    settings = EngineSettings(corpus_dir=tmp_path / label / "c", index_dir=tmp_path / label / "i")
    return Collections(settings, library, models)


def add(collections: Collections, name: str, filename: str, text: str) -> None:
    with collections.changing(name) as paths:
        intake.add(paths, filename, text.encode())
        collections.rebuild(name)


def test_a_document_added_on_one_worker_is_served_by_another(tmp_path, models, shared_env) -> None:
    a, b = worker(tmp_path, "a", models, shared_env), worker(tmp_path, "b", models, shared_env)
    with pytest.raises(EmptyCollection):
        b.engine(NAME)
    add(a, NAME, "alpha.md", ALPHA)
    question = "Where does the alpha club meet?"
    assert "boathouse" in a.engine(NAME).answer(question).answer
    served = b.engine(NAME)  # downloaded from the store, checked, then loaded
    assert "boathouse" in served.answer(question).answer
    assert served.build_name == a.engine(NAME).build_name
    assert [r.original for r in b.documents(NAME)] == ["alpha.md"]

    add(a, NAME, "beta.txt", BETA)  # the pointer moves: b reloads between questions
    assert "north tower" in b.engine(NAME).answer("Where is the brass telescope?").answer
    assert b.engine(NAME) is served and served.build_name == a.engine(NAME).build_name
    blobs = b.blobs
    assert len(blobs.keys(documents_key(NAME))) == 2
    published = {k.split("/")[4] for k in blobs.keys(builds_key(NAME))}
    assert len(published) <= 2  # the current build and the one before

    with b.changing(NAME) as paths:  # b removes one; a's next question no longer sees it
        intake.remove(paths, "alpha.md")
        b.rebuild(NAME)
    assert [r.original for r in a.documents(NAME)] == ["beta.txt"]
    assert not a.engine(NAME).answer(question).answered


def test_one_change_or_build_at_a_time_across_workers(tmp_path, models, shared_env) -> None:
    a, b = worker(tmp_path, "a", models, shared_env), worker(tmp_path, "b", models, shared_env)
    with a.changing(NAME):
        with pytest.raises(CollectionBusy), b.changing(NAME):
            pass
        with b.changing("guild/8388608"):  # another collection is not held up
            pass
    with b.changing(NAME):  # free again
        pass


def test_the_default_collection_is_built_once_and_read_by_every_worker(
    tmp_path, models, shared_env
) -> None:
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "alpha.md").write_text(ALPHA)
    workers = []
    for label in ("a", "b"):
        library = LibrarySettings.from_values(shared_env)
        settings = EngineSettings(corpus_dir=corpus, index_dir=tmp_path / label / "index")
        workers.append(Collections(settings, library, models))
    first = workers[0].engine("default", wait=True)
    second = workers[1].engine("default", wait=True)
    assert first.build_name == second.build_name
    assert len(list((tmp_path / "b" / "index").glob("build-*"))) == 1  # downloaded, not built


def test_a_store_or_database_that_is_down_is_a_clear_error_and_the_cache_serves(
    tmp_path, models, shared_env, monkeypatch
) -> None:
    a = worker(tmp_path, "a", models, shared_env)
    add(a, NAME, "alpha.md", ALPHA)
    engine = a.engine(NAME)
    # The store goes away: a change fails with one clear line and changes nothing shared.
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    a.blobs = S3Blobs("qabot", "nowhere")
    with pytest.raises(StorageUnavailable, match="can't be reached"):
        add(a, NAME, "beta.txt", BETA)
    assert [r.original for r in a.state.records(NAME)] == ["alpha.md"]
    # The database goes away: questions go on from the cached build.
    down = f"postgresql://qabot:pw@127.0.0.1:{free_port()}/qabot"
    with pytest.raises(StateUnavailable, match="can't be reached") as caught:
        open_state(LibrarySettings(database_url=down), a.paths, tmp_path / "x")
    assert "pw" not in str(caught.value)

    class Down:
        shared = True

        def published(self, name):
            raise caught.value

    a.state = Down()  # type: ignore[assignment]
    assert a.engine(NAME) is engine
    assert "boathouse" in engine.answer("Where does the alpha club meet?").answer
