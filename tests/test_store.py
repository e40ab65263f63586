"""Building, swapping and loading the index on disk, with a deterministic fake embedder."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index import store
from index.build import incremental as build_module
from index.build.incremental import build_index
from index.errors import BuildInProgress, IndexCorrupt, IndexMissing, IndexWriteError
from index.lexical import Bm25Index
from index.store import vectors
from tests.conftest import FakeEmbedder

DOCS = {
    "a.txt": "Alpha report\n\nThe harbour froze in March (Regnum, March 3). Ships waited.",
    "b.md": "# Beta notes\n\nTrade rose by 4 percent. Exports of grain led the rise.",
    "sub/c.txt": "Gamma file\n\nThe council met twice. It approved the budget (TASS, May 1).",
}


def write_corpus(root: Path, docs: dict[str, str]) -> Path:
    for name, text in docs.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def build(corpus: Path, index: Path, embedder: FakeEmbedder):
    previous = None
    with contextlib.suppress(IndexMissing):
        previous = store.load_index(index, embedder.weights_sha256, embedder.dim)
    return build_index(corpus, index, embedder, previous)


@pytest.fixture
def corpus(tmp_path) -> Path:
    return write_corpus(tmp_path / "corpus", DOCS)


def test_first_build_embeds_everything_and_loads(corpus, tmp_path, fake_embedder):
    report = build(corpus, tmp_path / "index", fake_embedder)
    assert report.added == ("a.txt", "b.md", "sub/c.txt")
    assert report.embedded == report.chunks == 3
    loaded = store.load_index(tmp_path / "index", "fake-weights", 16)
    assert len(loaded) == 3
    assert {d.doc for d in loaded.documents()} == set(DOCS)
    manifest = json.loads((loaded.folder / "manifest.json").read_text())
    assert manifest["model"] == "fake" and manifest["dim"] == 16 and manifest["chunk_count"] == 3
    assert set(manifest["files"]) == set(DOCS)


@settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    touched=st.sampled_from(sorted(DOCS)), extra=st.text(alphabet="xyz ", min_size=1, max_size=20)
)
def test_touching_one_file_re_embeds_only_that_files_chunks(tmp_path_factory, touched, extra):
    root = tmp_path_factory.mktemp("inc")
    corpus = write_corpus(root / "corpus", DOCS)
    build(corpus, root / "index", FakeEmbedder())
    (corpus / touched).write_text(DOCS[touched] + " Added " + extra.strip() + " words.")
    embedder = FakeEmbedder()

    report = build(corpus, root / "index", embedder)

    assert report.changed == (touched,)
    assert report.unchanged == tuple(sorted(set(DOCS) - {touched}))
    assert report.embedded == 1
    assert all(DOCS[touched].splitlines()[0].lstrip("# ") in text for text in embedder.embedded)


def test_unchanged_corpus_embeds_nothing_and_removed_files_drop_out(corpus, tmp_path):
    build(corpus, tmp_path / "index", FakeEmbedder())
    assert build(corpus, tmp_path / "index", FakeEmbedder()).embedded == 0
    (corpus / "b.md").unlink()
    report = build(corpus, tmp_path / "index", FakeEmbedder())
    assert report.removed == ("b.md",) and report.embedded == 0
    loaded = store.load_index(tmp_path / "index", "fake-weights", 16)
    assert {d.doc for d in loaded.documents()} == {"a.txt", "sub/c.txt"}
    assert loaded.find_text("grain") == []


def _set_chunking_rule(index: Path, rule: str | None) -> None:
    path = store.live_folder(index) / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest.pop("chunking")
    path.write_text(json.dumps(manifest | ({"chunking": rule} if rule else {})))


@pytest.mark.parametrize("rule", [None, "word pieces: some other rule"])
def test_a_build_under_another_chunking_rule_chunks_every_file_again(tmp_path, rule, monkeypatch):
    corpus = write_corpus(tmp_path / "corpus", DOCS)
    build(corpus, tmp_path / "index", FakeEmbedder())
    assert "word pieces" in store.read_manifest(tmp_path / "index")["chunking"]
    _set_chunking_rule(tmp_path / "index", rule)
    chunked = []
    original = build_module.chunk_document
    monkeypatch.setattr(
        build_module, "chunk_document", lambda d, w: chunked.append(d.doc_id) or original(d, w)
    )
    embedder = FakeEmbedder()
    report = build(corpus, tmp_path / "index", embedder)
    assert report.unchanged == tuple(sorted(DOCS))
    assert sorted(chunked) == sorted(DOCS)
    assert embedder.embedded == []  # the same texts: every vector is found by its key


def test_renamed_moved_and_copied_files_embed_nothing_new(corpus, tmp_path):
    build(corpus, tmp_path / "index", FakeEmbedder())
    (corpus / "a.txt").rename(corpus / "renamed.txt")
    (corpus / "elsewhere").mkdir()
    (corpus / "sub" / "c.txt").rename(corpus / "elsewhere" / "c.txt")
    (corpus / "copy.md").write_text(DOCS["b.md"])
    embedder = FakeEmbedder()
    report = build(corpus, tmp_path / "index", embedder)
    assert report.added == ("copy.md", "elsewhere/c.txt", "renamed.txt")
    assert report.removed == ("a.txt", "sub/c.txt")
    assert report.embedded == 0 and embedder.embedded == []
    loaded = store.load_index(tmp_path / "index", "fake-weights", 16)
    assert len(loaded) == 4
    assert loaded.find_text("harbour froze")[0][1].doc_id == "renamed.txt"


def test_a_chunk_is_embedded_once_per_build_however_many_files_hold_it(tmp_path):
    corpus = write_corpus(tmp_path / "corpus", {"x.md": DOCS["b.md"], "y.md": DOCS["b.md"]})
    embedder = FakeEmbedder()
    report = build(corpus, tmp_path / "index", embedder)
    assert report.chunks == 2 and report.embedded == 1 and len(embedder.embedded) == 1


def test_another_model_embeds_everything_again(corpus, tmp_path):
    build(corpus, tmp_path / "index", FakeEmbedder())
    previous = store.read_index(tmp_path / "index")
    other = FakeEmbedder()
    other.weights_sha256 = "other-weights"
    report = build_index(corpus, tmp_path / "index", other, previous)
    assert report.embedded == 3


def _sentence_vectors_by_chunk(index: Path) -> dict[str, list]:
    loaded = store.load_index(index, "fake-weights", 16)
    return {
        chunk.chunk_id: loaded.sentence_vectors_of(row).tolist()
        for file in loaded.manifest["files"]
        for row, chunk in loaded.chunks_of_file(file)
    }


def test_an_incremental_build_stores_the_same_sentence_vectors_as_a_fresh_one(corpus, tmp_path):
    build(corpus, tmp_path / "incremental", FakeEmbedder())
    (corpus / "b.md").write_text(DOCS["b.md"] + " Imports fell.")  # between two reused files
    (corpus / "d.txt").write_text("Delta\n\nA new file arrives. It has two sentences.")
    build(corpus, tmp_path / "incremental", FakeEmbedder())
    build(corpus, tmp_path / "fresh", FakeEmbedder())

    incremental = _sentence_vectors_by_chunk(tmp_path / "incremental")
    assert incremental == _sentence_vectors_by_chunk(tmp_path / "fresh")
    assert len(incremental) == 4 and all(len(v) >= 2 for v in incremental.values())


def test_a_crash_mid_build_leaves_the_previous_index_serving(corpus, tmp_path, monkeypatch):
    build(corpus, tmp_path / "index", FakeEmbedder())
    before = store.load_index(tmp_path / "index", "fake-weights", 16).folder
    (corpus / "d.txt").write_text("Delta\n\nA new file arrives.")

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(Bm25Index, "save", crash)
    with pytest.raises(IndexWriteError, match=r"\(disk full\); the old index is unchanged"):
        build(corpus, tmp_path / "index", FakeEmbedder())

    after = store.load_index(tmp_path / "index", "fake-weights", 16)
    assert after.folder == before and len(after) == 3
    assert not list((tmp_path / "index").glob("*.partial"))


def test_a_second_build_at_the_same_time_is_refused(corpus, tmp_path):
    from index.build.incremental import _build_lock

    with _build_lock(tmp_path / "index"), pytest.raises(BuildInProgress):
        build(corpus, tmp_path / "index", FakeEmbedder())


def test_another_model_is_detected(corpus, tmp_path):
    build(corpus, tmp_path / "index", FakeEmbedder())
    with pytest.raises(IndexCorrupt, match="another model.*qabot index build"):
        store.load_index(tmp_path / "index", "other-weights", 16)


def test_missing_index_says_to_build(tmp_path):
    with pytest.raises(IndexMissing, match="qabot index build"):
        store.load_index(tmp_path / "nothing", "fake-weights", 16)


INDEX_FILES = [
    "manifest.json",
    "vectors.faiss",
    "chunks.sqlite",
    "sentences.npy",
    "bm25/vocab.index.json",
    "bm25/params.index.json",
]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.sampled_from(INDEX_FILES),
    damage=st.sampled_from(["truncate", "flip", "empty", "delete", "garbage"]),
    where=st.floats(0, 1),
)
def test_damaged_index_files_give_a_clear_error_never_a_crash(
    tmp_path_factory, name, damage, where
):
    root = tmp_path_factory.mktemp("damage")
    corpus = write_corpus(root / "corpus", DOCS)
    build(corpus, root / "index", FakeEmbedder())
    path = store.live_folder(root / "index") / name
    data = path.read_bytes()
    at = min(len(data) - 1, int(where * len(data)))
    if damage == "truncate":
        path.write_bytes(data[:at])
    elif damage == "flip":
        path.write_bytes(data[:at] + bytes([data[at] ^ 0x55]) + data[at + 1 :])
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "delete":
        path.unlink()
    else:
        path.write_bytes(
            b'{"format_version": 1, "chunk_count": "x"}'
            if name == "manifest.json"
            else b"\x00" * 64
        )

    try:
        store.load_index(root / "index", "fake-weights", 16)
    except IndexCorrupt as error:
        assert "qabot index build" in str(error)
    # Loading may succeed only when the damage changed nothing that matters: then it must be whole.
    else:
        assert name == "manifest.json"


def test_large_indexes_use_hnsw_and_still_rebuild_incrementally(corpus, tmp_path, monkeypatch):
    import faiss

    monkeypatch.setattr(vectors, "HNSW_MIN_VECTORS", 2)
    build(corpus, tmp_path / "index", FakeEmbedder())
    (corpus / "a.txt").write_text(DOCS["a.txt"] + " The ice broke in April.")
    report = build(corpus, tmp_path / "index", FakeEmbedder())
    loaded = store.load_index(tmp_path / "index", "fake-weights", 16)
    assert isinstance(loaded.vectors, faiss.IndexHNSWSQ)  # float16 vectors: half the memory
    assert faiss.downcast_index(loaded.vectors.storage).sq.qtype == faiss.ScalarQuantizer.QT_fp16
    assert loaded.vectors.hnsw.efSearch == vectors.HNSW_EF_SEARCH
    assert report.embedded == 1 and len(loaded) == 3
    vector = FakeEmbedder().embed_query("The council met twice. It approved the budget")
    _, rows = loaded.vectors.search(vector[None, :], 1)
    assert loaded.chunks_at([int(rows[0][0])])[0].doc_id == "sub/c.txt"
