"""Incremental build: read each file once, chunk what changed, and embed only what is new.

A vector is reused by the key of exactly what was embedded (keys.embedding_key: the model's
sha256, the embedded text and its sentence spans), looked up in one batched query per flush. So
a renamed or moved file, a PDF saved again with the same text, or a paragraph that moved between
files embeds nothing new. Unchanged files (same bytes, same chunking rule) are not even chunked
again: their rows are copied from the previous build.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from index import store
from index.build.chunk import Window, chunk_document, chunking_rule, model_window
from index.build.embed import Embedder
from index.build.formats.sandbox import Sandbox
from index.build.ingest import FORMATS, CorpusFile, list_corpus, read_bytes, read_documents
from index.build.keys import embedding_key, search_text, sentence_spans
from index.errors import BuildInProgress, CorpusError, IndexWriteError
from index.models import BuildReport, Chunk, DocumentInfo
from index.store import FORMAT_VERSION, StoredIndex, StoredSentences

Progress = Callable[[int, int], None]
EMBED_FLUSH = 512  # chunks gathered before embedding, so batches stay full across small files
# Sentence vectors are stored as float16; holding them so while building halves the peak memory.
SENTENCE_DTYPE = np.float16
# Named in the chunking rule: a change in how files are extracted chunks every file again.
EXTRACTION = "extraction 1"


@dataclass
class _Plan:
    """The new index as it is assembled, file by file, in corpus order."""

    chunks: list[tuple[str, Chunk]] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)  # each chunk's embedding key
    documents: list[tuple[str, DocumentInfo, str]] = field(default_factory=list)
    vectors: list[np.ndarray | None] = field(default_factory=list)
    sentence_vectors: list[np.ndarray | StoredSentences | None] = field(default_factory=list)
    pending: list[int] = field(default_factory=list)  # positions still to embed
    by_key: dict[str, int] = field(default_factory=dict)  # a position holding each key's vectors
    doc_ids: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)
    files: dict[str, dict] = field(default_factory=dict)  # manifest entries, by file
    skipped: dict[str, dict] = field(default_factory=dict)  # unusable files: sha256, warning
    states: dict[str, str] = field(default_factory=dict)  # added, changed or unchanged


def build_index(
    corpus_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    previous: StoredIndex | None,
    progress: Progress | None = None,
) -> BuildReport:
    started = time.perf_counter()
    if not corpus_dir.exists():
        raise CorpusError(f"the corpus folder {corpus_dir} does not exist")
    # The fake embedder of the store tests has no window; it chunks like the bundled model.
    window = getattr(embedder, "window", None) or model_window()
    rule = f"{chunking_rule(window)}; {EXTRACTION}"
    # Rows of unchanged files are copied only from a build made the same way with the same model.
    same_rule = (
        previous is not None
        and previous.manifest.get("chunking") == rule
        and previous.manifest.get("model_sha256") == embedder.weights_sha256
    )
    with _build_lock(index_dir), Sandbox() as sandbox:
        files, warnings = list_corpus(corpus_dir)
        if not files:
            raise CorpusError(f"no usable document ({_suffixes()}) in {corpus_dir}")
        plan = _Plan(warnings=warnings)
        embedded = 0
        for done, file in enumerate(files, start=1):
            _add_file(plan, file, previous, same_rule, window, sandbox, embedder)
            if len(plan.pending) >= EMBED_FLUSH or done == len(files):
                embedded += _embed_pending(plan, embedder, previous)
            if progress:
                progress(done, len(files))
        if not plan.documents:
            raise CorpusError(f"no usable document in {corpus_dir}: {'; '.join(plan.warnings)}")
        store.write_build(
            index_dir,
            _manifest(embedder, plan, rule),
            plan.chunks,
            plan.documents,
            _stack(plan.vectors, embedder.dim),
            plan.sentence_vectors,
            plan.keys,
            [search_text(chunk) for _, chunk in plan.chunks],
        )
    old_files = previous.manifest["files"] if previous else {}
    return BuildReport(
        added=_with_state(plan, "added"),
        changed=_with_state(plan, "changed"),
        removed=tuple(sorted(set(old_files) - set(plan.states))),
        unchanged=_with_state(plan, "unchanged"),
        chunks=len(plan.chunks),
        embedded=embedded,
        seconds=round(time.perf_counter() - started, 3),
        skipped=tuple(plan.warnings),
    )


def _suffixes() -> str:
    return ", ".join(sorted(FORMATS))


def _with_state(plan: _Plan, state: str) -> tuple[str, ...]:
    return tuple(sorted(path for path, s in plan.states.items() if s == state))


def _add_file(
    plan: _Plan,
    file: CorpusFile,
    previous: StoredIndex | None,
    same_rule: bool,
    window: Window,
    sandbox: Sandbox,
    embedder: Embedder,
) -> None:
    """Read the file once; copy its rows when unchanged, else extract and chunk it."""
    try:
        data, sha256 = read_bytes(file)
    except OSError as error:
        plan.warnings.append(f"skipped {file.rel_path}: it can't be read ({error.strerror})")
        return
    manifest = previous.manifest if previous else {}
    known_bad = manifest.get("skipped", {}).get(file.rel_path)
    if same_rule and known_bad and known_bad.get("sha256") == sha256:  # warn, don't read again
        plan.warnings.append(known_bad["warning"])
        plan.skipped[file.rel_path] = known_bad
        return
    old = manifest.get("files", {}).get(file.rel_path)
    unchanged = old is not None and old.get("sha256") == sha256
    if previous and same_rule and unchanged:
        _reuse_file(plan, file.rel_path, previous)
    else:
        documents, warnings = read_documents(file, data, sandbox)
        if (
            not documents
            and len(warnings) == 1
            and warnings[0].startswith(f"skipped {file.rel_path}:")
        ):
            plan.warnings.extend(warnings)
            plan.skipped[file.rel_path] = {"sha256": sha256, "warning": warnings[0]}
            return
        plan.warnings.extend(warnings)
        for document in documents:
            _add_document(plan, file.rel_path, document, window, embedder)
    plan.states[file.rel_path] = "unchanged" if unchanged else "changed" if old else "added"
    plan.files[file.rel_path] = {"sha256": sha256, "size": len(data), "format": file.format}


def _reuse_file(plan: _Plan, file: str, previous: StoredIndex) -> None:
    rows = previous.chunks_of_file(file)
    vectors = previous.vectors_of([row for row, _ in rows])
    stored = previous.stored_sentences_of_file(file)
    for (_, chunk), vector, sentences, key in zip(
        rows, vectors, stored, previous.keys_of_file(file), strict=True
    ):
        plan.by_key.setdefault(key, len(plan.chunks))
        plan.chunks.append((file, chunk))
        plan.keys.append(key)
        plan.vectors.append(vector)
        plan.sentence_vectors.append(sentences)
    for info in previous.documents(file):
        plan.documents.append((file, info, previous.document_text(info.doc) or ""))
        plan.doc_ids.add(info.doc)


def _add_document(plan: _Plan, file: str, document, window: Window, embedder: Embedder) -> None:
    if document.doc_id in plan.doc_ids:
        plan.warnings.append(f"skipped {document.doc_id} in {file}: duplicate document id")
        return
    plan.doc_ids.add(document.doc_id)
    chunks = chunk_document(document, window)
    info = DocumentInfo(document.doc_id, document.title, document.meta, len(chunks))
    plan.documents.append((file, info, document.text))
    for chunk in chunks:
        key = embedding_key(embedder.weights_sha256, search_text(chunk), sentence_spans(chunk))
        plan.pending.append(len(plan.chunks))
        plan.chunks.append((file, chunk))
        plan.keys.append(key)
        plan.vectors.append(None)
        plan.sentence_vectors.append(None)


def _embed_pending(plan: _Plan, embedder: Embedder, previous: StoredIndex | None) -> int:
    """Vectors for the pending chunks: copied where this build or the previous one holds their
    key (one batched lookup), embedded where nothing does. Returns how many were embedded."""
    if not plan.pending:
        return 0
    waiting = [i for i in plan.pending if plan.keys[i] not in plan.by_key]
    found = previous.rows_by_key([plan.keys[i] for i in waiting]) if previous else {}
    rows = sorted(set(found.values()))
    vectors = dict(zip(rows, previous.vectors_of(rows), strict=True)) if previous else {}
    stored = dict(zip(rows, previous.stored_sentences_at(rows), strict=True)) if previous else {}
    new: dict[str, list[int]] = {}
    for position in plan.pending:
        key = plan.keys[position]
        if key in plan.by_key:
            source = plan.by_key[key]
            plan.vectors[position] = plan.vectors[source]
            plan.sentence_vectors[position] = plan.sentence_vectors[source]
        elif key in found:
            plan.vectors[position] = vectors[found[key]]
            plan.sentence_vectors[position] = stored[found[key]]
            plan.by_key[key] = position
        else:
            new.setdefault(key, []).append(position)
    plan.pending.clear()
    if new:
        _embed(plan, embedder, new)
    return len(new)


def _embed(plan: _Plan, embedder: Embedder, new: dict[str, list[int]]) -> None:
    firsts = [positions[0] for positions in new.values()]
    chunks = [plan.chunks[i][1] for i in firsts]
    vectors, sentence_vectors = embedder.embed_with_spans(
        [search_text(c) for c in chunks], [sentence_spans(c) for c in chunks], embedder.progress
    )
    for positions, vector, per_sentence in zip(
        new.values(), vectors, sentence_vectors, strict=True
    ):
        plan.by_key[plan.keys[positions[0]]] = positions[0]
        for position in positions:
            plan.vectors[position] = vector
            plan.sentence_vectors[position] = per_sentence.astype(SENTENCE_DTYPE)


def _stack(vectors: list, dim: int) -> np.ndarray:
    if not vectors:
        return np.zeros((0, dim), dtype=np.float32)
    return np.vstack(vectors).astype(np.float32, copy=False)


def _manifest(embedder: Embedder, plan: _Plan, rule: str) -> dict:
    chunks_per_file: dict[str, int] = {}
    for file, _ in plan.chunks:
        chunks_per_file[file] = chunks_per_file.get(file, 0) + 1
    return {
        "format_version": FORMAT_VERSION,
        "model": embedder.model_name,
        "model_sha256": embedder.weights_sha256,
        "dim": embedder.dim,
        "dtype": embedder.dtype,
        "chunking": rule,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "document_count": len(plan.documents),
        "files": {
            path: entry | {"chunks": chunks_per_file.get(path, 0)}
            for path, entry in plan.files.items()
        },
        "skipped": plan.skipped,
    }


@contextmanager
def _build_lock(index_dir: Path) -> Iterator[None]:
    """One build at a time per index folder, across processes too."""
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        handle = (index_dir / ".build.lock").open("w")
    except OSError as error:
        raise IndexWriteError(
            f"can't build in the index folder {index_dir} ({error.strerror});"
            " questions still use the index there"
        ) from error
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise BuildInProgress(
                "another index build is running; try again when it finishes"
            ) from error
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
