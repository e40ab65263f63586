"""The index on disk: a plain folder per build, swapped in by rewriting one pointer file.

    index_dir/CURRENT          name of the live build folder (replaced atomically)
    index_dir/build-*/         manifest.json, vectors.faiss (chunks), sentences.npy (their
                               sentences), chunks.sqlite (chunks, citations and each
                               document's text), bm25/

Each chunk row keeps the key of what was embedded for it (embedding_key): the model's sha256, the
embedded text and the sentence spans pooled. A later build looks its new chunks' keys up in one
batched query and copies the vectors of every key it finds, whatever file they came from.

A build is written to a new folder and only then named in CURRENT, so a crash mid-build leaves the
previous index serving. Loading checks the manifest and every file's checksum: a damaged index
gives IndexCorrupt with a clear message, never wrong answers.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import shutil
import sqlite3
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from index.chunk import embedding_prefix
from index.errors import REBUILD_HINT, IndexCorrupt, IndexMissing, IndexWriteError
from index.lexical import Bm25Index
from index.models import Chunk, DocumentInfo, Sentence, Source

log = logging.getLogger("qabot.index")

FORMAT_VERSION = 2  # 2: document texts, page and section locators, embedding keys
POINTER = "CURRENT"
MANIFEST = "manifest.json"
VECTORS = "vectors.faiss"
TABLE = "chunks.sqlite"
SENTENCES = "sentences.npy"  # one float16 vector per sentence, in chunk order
BM25_DIR = "bm25"
# Exact search below HNSW_MIN_VECTORS, HNSW above (benchmarks/results/latest.md). At 100,260 real
# vectors exact search took 12 ms; HNSW M 32 reached recall@10 0.921 against it with the usual
# efConstruction 80 / efSearch 128, and 0.995 in 0.7 ms with 200 / 512, which is used. HNSW keeps
# its vectors in float16: at 100,095 vectors (300 SciFact queries) recall@10 0.995 against 0.997
# for float32, search 0.34 against 0.51 ms, and 99 MB in memory and on disk instead of 173.
HNSW_MIN_VECTORS = 20_000
HNSW_M, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH = 32, 200, 512

_SCHEMA = """
CREATE TABLE chunks (row INTEGER PRIMARY KEY, chunk_id TEXT UNIQUE NOT NULL, file TEXT NOT NULL,
    doc TEXT NOT NULL, title TEXT NOT NULL, heading TEXT, paragraph INTEGER NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL, sentences TEXT NOT NULL,
    first_sentence INTEGER NOT NULL, page INTEGER, page_label TEXT, section TEXT, anchor TEXT,
    embedding_key TEXT NOT NULL);
CREATE TABLE documents (doc TEXT PRIMARY KEY, file TEXT NOT NULL, title TEXT NOT NULL,
    meta TEXT NOT NULL, chunks INTEGER NOT NULL, text TEXT NOT NULL);
CREATE INDEX chunks_by_doc ON chunks (doc, paragraph);
CREATE INDEX chunks_by_file ON chunks (file, row);
CREATE INDEX chunks_by_key ON chunks (embedding_key);
CREATE INDEX documents_by_file ON documents (file);
"""
KEY_BATCH = 10_000  # keys per query, well under SQLite's limit of bound parameters


def search_text(chunk: Chunk) -> str:
    """What is embedded and BM25-indexed for a chunk: its title and heading give it context,
    cut to a quarter of the model's window so a long title can't crowd the text out of it."""
    return "\n".join(
        part for part in (embedding_prefix(chunk.title, chunk.heading), chunk.text) if part
    )


def sentence_spans(chunk: Chunk) -> list[tuple[int, int]]:
    """Where the chunk's sentences sit inside its search_text (which ends with the chunk text)."""
    shift = len(search_text(chunk)) - len(chunk.text) - chunk.start
    return [(s.start + shift, s.end + shift) for s in chunk.sentences]


def embedding_key(model_sha256: str, text: str, spans: list[tuple[int, int]]) -> str:
    """A hash of exactly what is embedded: the model, the text and the sentence spans pooled."""
    spans_text = ",".join(f"{a}-{b}" for a, b in spans)
    return hashlib.sha256(f"{model_sha256}\0{text}\0{spans_text}".encode()).hexdigest()


@dataclass(frozen=True)
class StoredSentences:
    """A chunk's sentence vectors inside a previous build's file, copied as bytes when reused.

    Reused vectors are never loaded: a rebuild of a large corpus would otherwise hold them twice.
    """

    path: Path
    offset: int  # bytes from the start of the file
    rows: int


class SentenceFile:
    """The build's sentence vectors (.npy, float16), read a chunk's rows at a time with pread.

    Not memory-mapped: a mapping faults whole neighbourhoods of pages in, and at the 100k tier it
    held 67 MB of the 131 MB file resident after 200 questions, where each question reads about
    5 chunks' sentences (a few kB). Reads come from the page cache, which is not the process's
    memory.
    """

    def __init__(self, path: Path, handle, offset: int, rows: int, dim: int):
        self.path, self._handle, self.offset, self.rows, self.dim = path, handle, offset, rows, dim
        self.width = dim * np.dtype(np.float16).itemsize

    @classmethod
    def open(cls, path: Path) -> SentenceFile:
        handle = path.open("rb")
        try:
            header = {(1, 0): np.lib.format.read_array_header_1_0}.get(
                np.lib.format.read_magic(handle), np.lib.format.read_array_header_2_0
            )
            shape, fortran, dtype = header(handle)
            if len(shape) != 2 or fortran or dtype != np.float16:
                raise ValueError(f"{path.name} holds {dtype} {shape}, not float16 rows")
            offset = handle.tell()
            if offset + shape[0] * shape[1] * dtype.itemsize != os.fstat(handle.fileno()).st_size:
                raise ValueError(f"{path.name} is truncated")
        except BaseException:
            handle.close()
            raise
        return cls(path, handle, offset, int(shape[0]), int(shape[1]))

    def read(self, first: int, count: int) -> np.ndarray:
        size = count * self.width
        data = os.pread(self._handle.fileno(), size, self.offset + first * self.width)
        if len(data) != size:
            raise IndexCorrupt(f"the index file {self.path} is truncated; {REBUILD_HINT}")
        return np.frombuffer(data, dtype=np.float16).reshape(count, self.dim)

    def close(self) -> None:
        self._handle.close()


class StoredIndex:
    """A loaded build: FAISS vectors, BM25, and the chunk table (read on demand)."""

    def __init__(
        self,
        folder: Path,
        manifest: dict,
        vectors: faiss.Index,
        bm25: Bm25Index,
        sentence_vectors: SentenceFile,
    ):
        self.folder = folder
        self.sentence_vectors = sentence_vectors
        self.manifest = manifest
        self.vectors = vectors
        self.bm25 = bm25
        self._lock = threading.Lock()
        uri = f"file:{folder / TABLE}?mode=ro"
        self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)

    def __len__(self) -> int:
        return int(self.manifest["chunk_count"])

    def _query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def chunks_at(self, rows: list[int]) -> list[Chunk]:
        """Chunks at these FAISS rows, in the same order."""
        if not rows:
            return []
        marks = ",".join("?" * len(rows))
        found = {
            r[0]: _chunk_from_row(r)
            for r in self._query(_SELECT + f" WHERE row IN ({marks})", tuple(rows))
        }
        return [found[row] for row in rows]

    def docs_at(self, rows: list[int]) -> dict[int, str]:
        marks = ",".join("?" * len(rows))
        return dict(self._query(f"SELECT row, doc FROM chunks WHERE row IN ({marks})", tuple(rows)))

    def sentence_vectors_of(self, row: int, dtype: type = np.float32) -> np.ndarray:
        """The vectors of one chunk's sentences, in order (stored as float16)."""
        first, count = self._query(
            "SELECT first_sentence, json_array_length(sentences) FROM chunks WHERE row = ?", (row,)
        )[0]
        return self.sentence_vectors.read(first, count).astype(dtype)

    def stored_sentences_of_file(self, file: str) -> list[StoredSentences]:
        """Where each of the file's chunks (in row order) keeps its sentence vectors."""
        rows = self._query(
            "SELECT first_sentence, json_array_length(sentences) FROM chunks"
            " WHERE file = ? ORDER BY row",
            (file,),
        )
        return [self._stored(first, count) for first, count in rows]

    def rows_by_key(self, keys: list[str]) -> dict[str, int]:
        """The row of a chunk embedded under each key that this build holds (one query per
        KEY_BATCH keys)."""
        found: dict[str, int] = {}
        unique = sorted(set(keys))
        for first in range(0, len(unique), KEY_BATCH):
            batch = unique[first : first + KEY_BATCH]
            marks = ",".join("?" * len(batch))
            sql = f"SELECT embedding_key, min(row) FROM chunks WHERE embedding_key IN ({marks})"
            found.update(self._query(sql + " GROUP BY embedding_key", tuple(batch)))
        return found

    def stored_sentences_at(self, rows: list[int]) -> list[StoredSentences]:
        """Where each of these chunks keeps its sentence vectors, in the same order."""
        if not rows:
            return []
        marks = ",".join("?" * len(rows))
        found = dict(
            (row, (first, count))
            for row, first, count in self._query(
                "SELECT row, first_sentence, json_array_length(sentences) FROM chunks"
                f" WHERE row IN ({marks})",
                tuple(rows),
            )
        )
        return [self._stored(*found[row]) for row in rows]

    def _stored(self, first: int, count: int) -> StoredSentences:
        vectors = self.sentence_vectors
        return StoredSentences(vectors.path, vectors.offset + first * vectors.width, count)

    def keys_of_file(self, file: str) -> list[str]:
        """The embedding keys of the file's chunks, in row order."""
        sql = "SELECT embedding_key FROM chunks WHERE file = ? ORDER BY row"
        return [key for (key,) in self._query(sql, (file,))]

    def document_text(self, doc: str) -> str | None:
        """The text of a document as indexed: for PDF, HTML and Word, the extracted text."""
        rows = self._query("SELECT text FROM documents WHERE doc = ?", (doc,))
        return rows[0][0] if rows else None

    def chunk_by_id(self, chunk_id: str) -> tuple[int, Chunk] | None:
        rows = self._query(_SELECT + " WHERE chunk_id = ?", (chunk_id,))
        return (rows[0][0], _chunk_from_row(rows[0])) if rows else None

    def find_text(self, phrase: str, limit: int = 5) -> list[tuple[int, Chunk]]:
        """Chunks containing the phrase, case-insensitively (SQLite LIKE folds ASCII case)."""
        escaped = phrase.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        sql = _SELECT + " WHERE text LIKE ? ESCAPE '\\' ORDER BY row LIMIT ?"
        return [(r[0], _chunk_from_row(r)) for r in self._query(sql, (f"%{escaped}%", limit))]

    def chunks_of_file(self, file: str) -> list[tuple[int, Chunk]]:
        rows = self._query(_SELECT + " WHERE file = ? ORDER BY row", (file,))
        return [(r[0], _chunk_from_row(r)) for r in rows]

    def list_chunks(self, like: str = "", limit: int = 25) -> list[Chunk]:
        sql = (
            _SELECT
            + " WHERE title LIKE ? OR doc LIKE ? OR text LIKE ? ORDER BY doc, paragraph LIMIT ?"
        )
        pattern = f"%{like}%"
        return [_chunk_from_row(r) for r in self._query(sql, (pattern, pattern, pattern, limit))]

    def documents(self, file: str | None = None) -> list[DocumentInfo]:
        """All documents, or those of one corpus file."""
        sql = "SELECT doc, title, meta, chunks FROM documents"
        rows = (
            self._query(sql + " WHERE file = ? ORDER BY rowid", (file,))
            if file
            else self._query(sql + " ORDER BY doc")
        )
        return [
            DocumentInfo(doc, title, json.loads(meta), chunks) for doc, title, meta, chunks in rows
        ]

    def document_meta(self, docs: set[str]) -> dict[str, dict[str, str]]:
        marks = ",".join("?" * len(docs))
        rows = self._query(f"SELECT doc, meta FROM documents WHERE doc IN ({marks})", tuple(docs))
        return {doc: json.loads(meta) for doc, meta in rows}

    def vectors_of(self, rows: list[int]) -> np.ndarray:
        if not rows:
            return np.zeros((0, self.vectors.d), dtype=np.float32)
        return self.vectors.reconstruct_batch(np.asarray(rows, dtype=np.int64))

    def close(self) -> None:
        with self._lock:
            self._db.close()
            self.sentence_vectors.close()


_SELECT = (
    'SELECT row, chunk_id, doc, title, heading, paragraph, start, "end", text, sentences,'
    " page, page_label, section, anchor FROM chunks"
)


def _chunk_from_row(row: tuple) -> Chunk:
    _, chunk_id, doc, title, heading, paragraph, start, end, text, sentences, *place = row
    return Chunk(
        chunk_id,
        doc,
        title,
        heading,
        paragraph,
        start,
        end,
        text,
        _decode_sentences(sentences),
        *place,
    )


def _encode_sentences(sentences: tuple[Sentence, ...]) -> str:
    return json.dumps([[s.start, s.end, [[x.name, x.date] for x in s.sources]] for s in sentences])


def _decode_sentences(data: str) -> tuple[Sentence, ...]:
    return tuple(
        Sentence(start, end, tuple(Source(name, date) for name, date in sources))
        for start, end, sources in json.loads(data)
    )


# ---- writing -------------------------------------------------------------------------------


def write_build(
    index_dir: Path,
    manifest: dict,
    chunks: list[tuple[str, Chunk]],
    documents: list[tuple[str, DocumentInfo, str]],
    vectors: np.ndarray,
    sentence_vectors: list[np.ndarray | StoredSentences],
    keys: list[str],
) -> Path:
    """Write a complete build into a new folder and make it the live one. Returns the folder.

    documents are (file, info, text); sentence_vectors holds one (sentences, dim) array per chunk
    and keys one embedding_key per chunk, in chunk order.
    """
    folder = (
        index_dir
        / f"build-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    )
    partial = folder.with_name(folder.name + ".partial")
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        partial.mkdir()
        _write_table(partial / TABLE, chunks, documents, keys)
        faiss.write_index(_vector_index(vectors), str(partial / VECTORS))
        _write_sentence_vectors(partial / SENTENCES, sentence_vectors, vectors.shape[1])
        Bm25Index.build([search_text(c) for _, c in chunks]).save(partial / BM25_DIR)
        manifest = {**manifest, "chunk_count": len(chunks), "checksums": _checksums(partial)}
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
        _fsync_tree(partial)
        partial.rename(folder)
        _point_to(index_dir, folder.name)
    except BaseException as error:
        shutil.rmtree(partial, ignore_errors=True)
        shutil.rmtree(folder, ignore_errors=True)  # renamed, but never named in CURRENT
        if isinstance(error, OSError | sqlite3.Error | RuntimeError):  # RuntimeError: FAISS
            raise IndexWriteError(
                f"can't write the new index in {index_dir} ({write_failure(error)});"
                " the old index is unchanged"
            ) from error
        raise
    _remove_old_builds(index_dir, keep={folder.name})
    return folder


def _write_sentence_vectors(
    path: Path, parts: list[np.ndarray | StoredSentences], dim: int
) -> None:
    """One float16 .npy written part by part; reused parts are copied from the old file."""
    width = dim * np.dtype(np.float16).itemsize
    rows = sum(len(part) if isinstance(part, np.ndarray) else part.rows for part in parts)
    header = {"descr": np.lib.format.dtype_to_descr(np.dtype(np.float16))}
    header |= {"fortran_order": False, "shape": (rows, dim)}
    with path.open("wb") as handle, ExitStack() as sources:
        np.lib.format.write_array_header_1_0(handle, header)
        opened: dict[Path, int] = {}
        pending: StoredSentences | None = None  # adjacent reused parts, copied in one read

        def copy(stored: StoredSentences) -> None:
            if stored.path not in opened:
                opened[stored.path] = sources.enter_context(stored.path.open("rb")).fileno()
            size = stored.rows * width
            data = os.pread(opened[stored.path], size, stored.offset)
            if len(data) != size:
                raise IndexCorrupt(f"the index file {stored.path} is truncated; {REBUILD_HINT}")
            handle.write(data)

        for part in parts:
            if isinstance(part, StoredSentences):
                if (
                    pending
                    and pending.path == part.path
                    and (pending.offset + pending.rows * width == part.offset)
                ):
                    pending = StoredSentences(part.path, pending.offset, pending.rows + part.rows)
                    continue
                if pending:
                    copy(pending)
                pending = part
                continue
            if pending:
                copy(pending)
                pending = None
            handle.write(np.ascontiguousarray(part, dtype=np.float16).tobytes())
        if pending:
            copy(pending)


def _vector_index(vectors: np.ndarray) -> faiss.Index:
    dim = vectors.shape[1]
    if len(vectors) >= HNSW_MIN_VECTORS:
        index = faiss.IndexHNSWSQ(
            dim, faiss.ScalarQuantizer.QT_fp16, HNSW_M, faiss.METRIC_INNER_PRODUCT
        )
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    else:
        index = faiss.IndexFlatIP(dim)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def _write_table(
    path: Path,
    chunks: list[tuple[str, Chunk]],
    documents: list[tuple[str, DocumentInfo, str]],
    keys: list[str],
) -> None:
    db = sqlite3.connect(path)
    try:
        db.executescript(_SCHEMA)
        firsts = np.cumsum([0] + [len(c.sentences) for _, c in chunks]).tolist()
        db.executemany(
            "INSERT INTO chunks VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                (
                    row,
                    c.chunk_id,
                    file,
                    c.doc_id,
                    c.title,
                    c.heading,
                    c.paragraph,
                    c.start,
                    c.end,
                    c.text,
                    _encode_sentences(c.sentences),
                    firsts[row],
                    c.page,
                    c.page_label,
                    c.section,
                    c.anchor,
                    keys[row],
                )
                for row, (file, c) in enumerate(chunks)
            ),
        )
        db.executemany(
            "INSERT INTO documents VALUES (?,?,?,?,?,?)",
            (
                (d.doc, file, d.title, json.dumps(d.meta, ensure_ascii=False), d.chunks, text)
                for file, d, text in documents
            ),
        )
        db.commit()
    finally:
        db.close()


def _checksums(folder: Path) -> dict[str, str]:
    return {
        path.relative_to(folder).as_posix(): _sha256(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != MANIFEST
    }


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())


def write_failure(error: BaseException) -> str:
    """Why a write failed, in a few words: "No space left on device", "Read-only file system"."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    text = str(error)
    if getattr(error, "sqlite_errorname", "") == "SQLITE_FULL":  # "database or disk is full"
        return os.strerror(errno.ENOSPC)
    for known in ("No space left on device", "Read-only file system", "Permission denied"):
        if known in text:
            return known
    return text.splitlines()[0] if text else type(error).__name__


def _point_to(index_dir: Path, name: str) -> None:
    temporary = index_dir / f"{POINTER}.{os.getpid()}.tmp"
    try:
        temporary.write_text(name + "\n")
        with temporary.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, index_dir / POINTER)
    finally:
        temporary.unlink(missing_ok=True)


def _remove_old_builds(index_dir: Path, keep: set[str]) -> None:
    """Drop superseded builds and leftovers of crashed ones; readers keep open files alive."""
    for path in index_dir.glob("build-*"):
        if path.name not in keep:
            shutil.rmtree(path, ignore_errors=True)


# ---- reading -------------------------------------------------------------------------------


def live_folder(index_dir: Path) -> Path | None:
    """The build CURRENT names or, when CURRENT is missing or names no complete build, the newest
    complete one (a crash never causes that; a deleted or damaged file can). None if there is none.
    """
    return _named_build(index_dir) or _newest_build(index_dir)


def _named_build(index_dir: Path) -> Path | None:
    pointer = index_dir / POINTER
    if not pointer.is_file():
        return None
    try:
        name = pointer.read_text().strip()
    except (OSError, UnicodeDecodeError):
        return None
    return _complete(index_dir / name) if _is_build_name(name) else None


def _newest_build(index_dir: Path) -> Path | None:
    """Complete builds were renamed from .partial only after every file was synced."""
    builds = [
        folder
        for folder in index_dir.glob("build-*")
        if _is_build_name(folder.name) and _complete(folder)
    ]
    return max(builds, key=lambda folder: (folder / MANIFEST).stat().st_mtime_ns, default=None)


def _is_build_name(name: str) -> bool:
    return name.startswith("build-") and "/" not in name and not name.endswith(".partial")


def _complete(folder: Path) -> Path | None:
    return folder if (folder / MANIFEST).is_file() else None


def read_manifest(index_dir: Path) -> dict:
    folder = live_folder(index_dir)
    if folder is None:
        raise _no_build(index_dir)
    return _read_manifest(folder)


def _no_build(index_dir: Path) -> Exception:
    pointer = index_dir / POINTER
    if pointer.exists():
        return IndexCorrupt(f"the index pointer {pointer} names no complete build; {REBUILD_HINT}")
    return IndexMissing(f"no index at {index_dir}: run `qabot index build` first")


def _read_manifest(folder: Path) -> dict:
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError) as error:
        raise IndexCorrupt(
            f"the index manifest at {folder} is unreadable ({error}); {REBUILD_HINT}"
        ) from error
    if not isinstance(manifest, dict) or manifest.get("format_version") != FORMAT_VERSION:
        raise IndexCorrupt(f"the index at {folder} has an unknown format; {REBUILD_HINT}")
    if any(not isinstance(manifest.get(key), kind) for key, kind in _MANIFEST_FIELDS.items()):
        raise IndexCorrupt(f"the index manifest at {folder} is incomplete; {REBUILD_HINT}")
    return manifest


_MANIFEST_FIELDS = {
    "model": str,
    "model_sha256": str,
    "dim": int,
    "dtype": str,
    "built_at": str,
    "chunk_count": int,
    "document_count": int,
    "files": dict,
    "checksums": dict,
}


def load(index_dir: Path, expect_model_sha256: str, expect_dim: int) -> StoredIndex:
    stored = read(index_dir)
    check_model(stored, expect_model_sha256, expect_dim)
    return stored


def read(index_dir: Path) -> StoredIndex:
    """The live build, its files checked against the manifest; no model needed yet."""
    folder = live_folder(index_dir)
    if folder is None:
        raise _no_build(index_dir)
    if folder != _named_build(index_dir):
        log.warning(
            "qabot: the index pointer %s is missing or damaged; serving the newest complete"
            " build, %s (the next `qabot index build` rewrites it)",
            index_dir / POINTER,
            folder.name,
        )
    manifest = _read_manifest(folder)
    _check_files(folder, manifest)
    try:
        vectors = faiss.read_index(str(folder / VECTORS))
        if isinstance(vectors, faiss.IndexHNSW):  # also for builds made with an older setting
            vectors.hnsw.efSearch = HNSW_EF_SEARCH
        bm25 = Bm25Index.load(folder / BM25_DIR)
        sentence_vectors = SentenceFile.open(folder / SENTENCES)
        stored = StoredIndex(folder, manifest, vectors, bm25, sentence_vectors)
        rows = stored._query("SELECT count(*) FROM chunks")[0][0]
    except Exception as error:  # any reader failure means a damaged file
        raise IndexCorrupt(
            f"the index at {folder} can't be read ({error}); {REBUILD_HINT}"
        ) from error
    if vectors.ntotal != len(stored) or rows != len(stored) or vectors.d != manifest.get("dim"):
        raise IndexCorrupt(f"the index files at {folder} disagree in size; {REBUILD_HINT}")
    return stored


def check_model(stored: StoredIndex, expect_model_sha256: str, expect_dim: int) -> None:
    """Raises IndexCorrupt when the index was built with another model than the one loaded."""
    manifest = stored.manifest
    if manifest.get("model_sha256") != expect_model_sha256 or manifest.get("dim") != expect_dim:
        raise IndexCorrupt(
            f"the index was built with another model ({manifest.get('model')}, "
            f"dimension {manifest.get('dim')}); {REBUILD_HINT}"
        )


def _check_files(folder: Path, manifest: dict) -> None:
    checksums = manifest.get("checksums")
    if not isinstance(checksums, dict) or not checksums:
        raise IndexCorrupt(f"the index manifest at {folder} lists no files; {REBUILD_HINT}")
    for name, expected in checksums.items():
        path = folder / name
        if not path.is_file():
            raise IndexCorrupt(f"the index file {path} is missing; {REBUILD_HINT}")
        if _sha256(path) != expected:
            raise IndexCorrupt(
                f"the index file {path} is damaged (checksum mismatch); {REBUILD_HINT}"
            )
