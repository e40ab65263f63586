"""Incremental build: embed only the chunks of added or changed files, reuse every other vector."""

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
from index.chunk import Window, chunk_document, chunking_rule, embedding_prefix, model_window
from index.embed import Embedder
from index.errors import BuildInProgress, CorpusError, IndexWriteError
from index.ingest import CorpusFile, list_corpus, read_documents
from index.models import BuildReport, Chunk, DocumentInfo
from index.store import (
    FORMAT_VERSION,
    StoredIndex,
    StoredSentences,
    search_text,
    sentence_spans,
)

Progress = Callable[[int, int], None]
EMBED_FLUSH = 512  # chunks gathered before embedding, so batches stay full across small files
# Sentence vectors are stored as float16; holding them so while building halves the peak memory.
SENTENCE_DTYPE = np.float16


@dataclass
class _Plan:
    """The new index as it is assembled, file by file, in corpus order."""

    chunks: list[tuple[str, Chunk]] = field(default_factory=list)
    documents: list[tuple[str, DocumentInfo]] = field(default_factory=list)
    vectors: list[np.ndarray | None] = field(default_factory=list)
    sentence_vectors: list[np.ndarray | StoredSentences | None] = field(default_factory=list)
    pending: list[int] = field(default_factory=list)  # positions still to embed
    doc_ids: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)


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
    rule = chunking_rule(window)
    previous_rule = previous.manifest.get("chunking") if previous else None
    # Files are chunked again under a new rule; vectors of chunks made under another recorded
    # rule may embed another prefix, and those of older builds only where it is left whole.
    vectors_from = previous if previous_rule in (rule, None) else None
    with _build_lock(index_dir):
        files, warnings = list_corpus(corpus_dir)
        if not files:
            raise CorpusError(f"no usable .txt, .md or .jsonl document in {corpus_dir}")
        old_files = previous.manifest["files"] if previous else {}
        states = {f.rel_path: _state(f, old_files) for f in files}
        plan = _Plan(warnings=warnings)
        embedded = 0
        for done, file in enumerate(files, start=1):
            if states[file.rel_path] == "unchanged" and previous and previous_rule == rule:
                _reuse_file(plan, file, previous)
            else:
                _read_file(plan, file, vectors_from, window, legacy=previous_rule is None)
            if len(plan.pending) >= EMBED_FLUSH or done == len(files):
                embedded += _embed_pending(plan, embedder)
            if progress:
                progress(done, len(files))
        store.write_build(
            index_dir,
            _manifest(embedder, files, plan, rule),
            plan.chunks,
            plan.documents,
            _stack(plan.vectors, embedder.dim),
            plan.sentence_vectors,
        )
    return BuildReport(
        added=tuple(sorted(p for p, state in states.items() if state == "added")),
        changed=tuple(sorted(p for p, state in states.items() if state == "changed")),
        removed=tuple(sorted(set(old_files) - set(states))),
        unchanged=tuple(sorted(p for p, state in states.items() if state == "unchanged")),
        chunks=len(plan.chunks),
        embedded=embedded,
        seconds=round(time.perf_counter() - started, 3),
        skipped=tuple(plan.warnings),
    )


def _state(file: CorpusFile, old_files: dict) -> str:
    if file.rel_path not in old_files:
        return "added"
    return "unchanged" if old_files[file.rel_path].get("sha256") == file.sha256 else "changed"


def _reuse_file(plan: _Plan, file: CorpusFile, previous: StoredIndex) -> None:
    rows = previous.chunks_of_file(file.rel_path)
    vectors = previous.vectors_of([row for row, _ in rows])
    plan.sentence_vectors.extend(previous.stored_sentences_of_file(file.rel_path))
    for (_, chunk), vector in zip(rows, vectors, strict=True):
        plan.chunks.append((file.rel_path, chunk))
        plan.vectors.append(vector)
    for info in previous.documents(file.rel_path):
        plan.documents.append((file.rel_path, info))
        plan.doc_ids.add(info.doc)


def _read_file(
    plan: _Plan, file: CorpusFile, previous: StoredIndex | None, window: Window, legacy: bool
) -> None:
    documents, warnings = read_documents(file)
    plan.warnings.extend(warnings)
    for document in documents:
        if document.doc_id in plan.doc_ids:
            plan.warnings.append(
                f"skipped {document.doc_id} in {file.rel_path}: duplicate document id"
            )
            continue
        plan.doc_ids.add(document.doc_id)
        chunks = chunk_document(document, window)
        plan.documents.append(
            (
                file.rel_path,
                DocumentInfo(document.doc_id, document.title, document.meta, len(chunks)),
            )
        )
        for chunk in chunks:
            found = previous.chunk_by_id(chunk.chunk_id) if previous else None
            plan.chunks.append((file.rel_path, chunk))
            if found and _embedded_alike(found[1], chunk, legacy):
                plan.vectors.append(previous.vectors_of([found[0]])[0])
                plan.sentence_vectors.append(previous.sentence_vectors_of(found[0], SENTENCE_DTYPE))
            else:
                plan.pending.append(len(plan.vectors))
                plan.vectors.append(None)
                plan.sentence_vectors.append(None)


def _embedded_alike(old: Chunk, new: Chunk, legacy: bool) -> bool:
    """Whether the old chunk's vectors are those of the new one's search_text: the same text (the
    chunk id), title and heading, prefixed the same way. A legacy build (from before the chunking
    rule was recorded) never cut the prefix, so its vectors serve only where it is whole now."""
    if (old.title, old.heading) != (new.title, new.heading):
        return False
    whole = "\n".join(part for part in (new.title, new.heading) if part)
    return not legacy or embedding_prefix(new.title, new.heading) == whole


def _embed_pending(plan: _Plan, embedder: Embedder) -> int:
    if not plan.pending:
        return 0
    chunks = [plan.chunks[i][1] for i in plan.pending]
    vectors, sentence_vectors = embedder.embed_with_spans(
        [search_text(c) for c in chunks], [sentence_spans(c) for c in chunks], embedder.progress
    )
    for position, vector, per_sentence in zip(plan.pending, vectors, sentence_vectors, strict=True):
        plan.vectors[position] = vector
        plan.sentence_vectors[position] = per_sentence.astype(SENTENCE_DTYPE)
    count = len(plan.pending)
    plan.pending.clear()
    return count


def _stack(vectors: list, dim: int) -> np.ndarray:
    if not vectors:
        return np.zeros((0, dim), dtype=np.float32)
    return np.vstack(vectors).astype(np.float32, copy=False)


def _manifest(embedder: Embedder, files: list[CorpusFile], plan: _Plan, rule: str) -> dict:
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
            f.rel_path: {
                "sha256": f.sha256,
                "size": f.size,
                "chunks": chunks_per_file.get(f.rel_path, 0),
            }
            for f in files
        },
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
