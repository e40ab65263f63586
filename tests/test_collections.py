"""Collections: folders per server, channel bindings, lazy LRU loading with one shared model,
and a change lock per collection."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from index.errors import BuildInProgress
from index.library.collections import (
    DEFAULT,
    CollectionError,
    Collections,
    EmptyCollection,
    guild_collection,
)
from index.settings import EngineSettings, LibrarySettings

ALPHA = (
    "Alpha Club Rules\n\nThe alpha club meets every Tuesday in the old boathouse by the river.\n"
)
BETA = (
    "Beta Guild Handbook\n\nThe beta guild keeps its telescope in the north tower of the castle.\n"
)


@pytest.fixture
def collections(tmp_path: Path, models) -> Collections:
    settings = EngineSettings(corpus_dir=tmp_path / "docs_corpus", index_dir=tmp_path / "idx")
    library = LibrarySettings(data_dir=tmp_path / "data", collection_cache=2)
    return Collections(settings, library, models)


def put(collections: Collections, name: str, file: str, text: str) -> None:
    corpus = collections.paths(name).corpus_dir
    corpus.mkdir(parents=True, exist_ok=True)
    (corpus / file).write_text(text, encoding="utf-8")


def test_layout_of_a_data_folder(collections: Collections, tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert collections.paths("guild/42").corpus_dir == data / "guilds/42/corpus"
    assert collections.paths("guild/42").index_dir == data / "guilds/42/index"
    rules = collections.paths("guild/42/rules")
    assert rules.corpus_dir == data / "guilds/42/collections/rules/corpus"
    assert collections.paths("dms").corpus_dir == data / "collections/dms/corpus"
    assert collections.paths(DEFAULT).corpus_dir == tmp_path / "docs_corpus"


@pytest.mark.parametrize("name", ["../etc", "guild/1/../../x", "Guild/1", "a b", "", "guild/x"])
def test_names_that_would_leave_the_data_folder_are_refused(
    collections: Collections, name: str
) -> None:
    with pytest.raises(CollectionError):
        collections.paths(name)


def test_without_a_data_folder_every_server_sees_the_default(tmp_path: Path) -> None:
    single = Collections(EngineSettings(corpus_dir=tmp_path / "c", index_dir=tmp_path / "i"))
    assert single.for_place(1, 10) == DEFAULT
    assert single.for_place(2) == DEFAULT
    assert single.for_place(None) is None
    with pytest.raises(CollectionError):
        single.paths("guild/1")


def test_each_server_sees_its_own_collection_and_bound_channels_theirs(
    collections: Collections,
) -> None:
    assert collections.for_place(1, 10) == "guild/1"
    assert collections.for_place(2, 10) == "guild/2"
    assert collections.bind(1, 10, "rules") == "guild/1/rules"
    assert collections.for_place(1, 10) == "guild/1/rules"
    assert collections.for_place(1, 11) == "guild/1"
    assert collections.for_place(2, 10) == "guild/2"  # a binding never reaches another server
    collections.bind(1, 10, None)
    assert collections.for_place(1, 10) == "guild/1"


def test_questions_are_answered_from_their_own_collection_only(collections: Collections) -> None:
    put(collections, "guild/1", "alpha.txt", ALPHA)
    put(collections, "guild/2", "beta.txt", BETA)
    alpha = collections.engine("guild/1").answer("Where does the alpha club meet?")
    beta = collections.engine("guild/2").answer("Where does the alpha club meet?")
    assert alpha.answered and alpha.citations[0].doc == "alpha.txt"
    shown = beta.citations if beta.answered else beta.related
    assert all(c.doc == "beta.txt" for c in shown)
    assert [d.doc for d in collections.engine("guild/2").documents()] == ["beta.txt"]


def test_one_embedder_is_shared_and_the_cache_evicts_the_least_recent(
    collections: Collections,
) -> None:
    for n in (1, 2, 3):
        put(collections, f"guild/{n}", "alpha.txt", ALPHA)
    first = collections.engine("guild/1")
    collections.engine("guild/2")
    collections.engine("guild/1")  # used again: guild/2 is now the least recent
    collections.engine("guild/3")
    assert collections.loaded() == ["guild/1", "guild/3"]
    assert collections.engine("guild/2").embedder is first.embedder  # reloaded, same model
    assert collections.engine("guild/1").answer_model is first.answer_model


def test_an_empty_collection_says_so(collections: Collections) -> None:
    with pytest.raises(EmptyCollection, match="no documents yet"):
        collections.engine("guild/5")


def test_a_change_refuses_a_second_change_to_the_same_collection_only(
    collections: Collections,
) -> None:
    with collections.changing("guild/1"):
        assert collections.busy("guild/1")
        with (
            pytest.raises(BuildInProgress, match="being changed or rebuilt"),
            collections.changing("guild/1"),
        ):
            pass
        with collections.changing("guild/2"):  # another collection is not blocked
            assert collections.busy("guild/2")
    assert not collections.busy("guild/1")


def test_rebuild_indexes_added_documents_and_removing_the_last_one_empties_it(
    collections: Collections,
) -> None:
    put(collections, "guild/1", "alpha.txt", ALPHA)
    with collections.changing("guild/1"):
        report = collections.rebuild("guild/1")
    assert report is not None and report.added == ("alpha.txt",)
    put(collections, "guild/1", "beta.txt", BETA)
    seen: list[tuple[int, int]] = []
    with collections.changing("guild/1"):
        report = collections.rebuild("guild/1", lambda done, total: seen.append((done, total)))
    assert report.added == ("beta.txt",) and seen[-1] == (2, 2)
    assert {d.doc for d in collections.engine("guild/1").documents()} == {"alpha.txt", "beta.txt"}
    for name in ("alpha.txt", "beta.txt"):
        (collections.paths("guild/1").corpus_dir / name).unlink()
    with collections.changing("guild/1"):
        assert collections.rebuild("guild/1") is None
    with pytest.raises(EmptyCollection):
        collections.engine("guild/1")


def test_loading_one_collection_twice_at_once_loads_it_once(collections: Collections) -> None:
    put(collections, "guild/1", "alpha.txt", ALPHA)
    found = []
    threads = [
        threading.Thread(target=lambda: found.append(collections.engine("guild/1")))
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(e) for e in found}) == 1


def test_guild_collection_names() -> None:
    assert guild_collection(7) == "guild/7"
    assert guild_collection(7, "Rules") == "guild/7/rules"
    with pytest.raises(CollectionError):
        guild_collection(7, "../x")


HEAVY = ("torch", "transformers", "sentence_transformers", "lemminflect", "bm25s", "scipy")
SERVE = """
import dataclasses, json, sys
from pathlib import Path
from index.library.collections import Collections
from index.settings import EngineSettings, LibrarySettings

corpus, index, data, questions = sys.argv[1:5]
settings = EngineSettings(corpus_dir=Path(corpus), index_dir=Path(index))
collections = Collections(settings, LibrarySettings(data_dir=Path(data)))
engine = collections.engine("guild/1")
answers = [dataclasses.asdict(engine.answer(q)) for q in json.loads(questions)]
print(json.dumps([answers, [m for m in HEAVY if m in sys.modules]]))
"""


def test_a_worker_serves_collections_from_the_machines_exports_without_torch(
    tmp_path: Path, models, exported_model: Path
) -> None:
    """A worker starting over a cached collection loads the exports in `<data>/models` (shared by
    every collection and worker), imports no torch, and answers exactly as the engine that
    built it."""
    import dataclasses
    import json
    import shutil
    import subprocess
    import sys

    from tests.conftest import REPO, share_exported

    data = tmp_path / "data"
    settings = EngineSettings(corpus_dir=tmp_path / "docs_corpus", index_dir=tmp_path / "idx")
    built = Collections(settings, LibrarySettings(data_dir=data), models)
    put(built, "guild/1", "alpha.txt", ALPHA)
    put(built, "guild/1", "beta.txt", BETA)
    questions = ["Where does the alpha club meet?", "Where is the telescope?", "Who won in 1998?"]
    expected = json.loads(
        json.dumps([dataclasses.asdict(built.engine("guild/1").answer(q)) for q in questions])
    )
    shutil.rmtree(built.paths("guild/1").index_dir / "models")  # only the machine's folder now
    share_exported(exported_model, data)

    script = f"HEAVY = {HEAVY!r}\n{SERVE}"
    arguments = [str(settings.corpus_dir), str(settings.index_dir), str(data)]
    done = subprocess.run(
        [sys.executable, "-c", script, *arguments, json.dumps(questions)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    answers, heavy = json.loads(done.stdout.strip().splitlines()[-1])
    assert heavy == []
    timeless = [{k: v for k, v in a.items() if k != "took_ms"} for a in answers]
    assert timeless == [{k: v for k, v in a.items() if k != "took_ms"} for a in expected]
    assert answers[0]["answered"] and "boathouse" in answers[0]["answer"]
    assert not (built.paths("guild/1").index_dir / "models").exists()
