"""Reading a build: its files checked against the manifest, then served read-only."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from pathlib import Path

import faiss
import numpy as np

from index.errors import REBUILD_HINT, IndexCorrupt
from index.lexical import Bm25Index
from index.models import Chunk, DocumentInfo
from index.store.layout import (
    BM25_DIR,
    POINTER,
    SENTENCES,
    TABLE,
    VECTORS,
    check_files,
    live_folder,
    named_build,
    no_build,
    read_manifest_of,
)
from index.store.rows import KEY_BATCH, SELECT, chunk_from_row
from index.store.vectors import HNSW_EF_SEARCH, SentenceFile, StoredSentences

log = logging.getLogger("qabot.index")


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
            r[0]: chunk_from_row(r)
            for r in self._query(SELECT + f" WHERE row IN ({marks})", tuple(rows))
        }
        return [found[row] for row in rows]

    def places_at(self, rows: list[int]) -> dict[int, tuple[str, int]]:
        """row -> (document, paragraph) of each of these chunks."""
        marks = ",".join("?" * len(rows))
        sql = f"SELECT row, doc, paragraph FROM chunks WHERE row IN ({marks})"
        return {row: (doc, paragraph) for row, doc, paragraph in self._query(sql, tuple(rows))}

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
        rows = self._query(SELECT + " WHERE chunk_id = ?", (chunk_id,))
        return (rows[0][0], chunk_from_row(rows[0])) if rows else None

    def find_text(self, phrase: str, limit: int = 5) -> list[tuple[int, Chunk]]:
        """Chunks containing the phrase, case-insensitively (SQLite LIKE folds ASCII case)."""
        escaped = phrase.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        sql = SELECT + " WHERE text LIKE ? ESCAPE '\\' ORDER BY row LIMIT ?"
        return [(r[0], chunk_from_row(r)) for r in self._query(sql, (f"%{escaped}%", limit))]

    def chunks_of_file(self, file: str) -> list[tuple[int, Chunk]]:
        rows = self._query(SELECT + " WHERE file = ? ORDER BY row", (file,))
        return [(r[0], chunk_from_row(r)) for r in rows]

    def list_chunks(self, like: str = "", limit: int = 25) -> list[Chunk]:
        sql = (
            SELECT
            + " WHERE title LIKE ? OR doc LIKE ? OR text LIKE ? ORDER BY doc, paragraph LIMIT ?"
        )
        pattern = f"%{like}%"
        return [chunk_from_row(r) for r in self._query(sql, (pattern, pattern, pattern, limit))]

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


def load_index(index_dir: Path, expect_model_sha256: str, expect_dim: int) -> StoredIndex:
    stored = read_index(index_dir)
    check_model(stored, expect_model_sha256, expect_dim)
    return stored


def read_index(index_dir: Path) -> StoredIndex:
    """The live build, its files checked against the manifest; no model needed yet."""
    folder = live_folder(index_dir)
    if folder is None:
        raise no_build(index_dir)
    if folder != named_build(index_dir):
        log.warning(
            "qabot: the index pointer %s is missing or damaged; serving the newest complete"
            " build, %s (the next `qabot index build` rewrites it)",
            index_dir / POINTER,
            folder.name,
        )
    manifest = read_manifest_of(folder)
    check_files(folder, manifest)
    try:
        # Memory-mapped, read-only: workers on one machine share the vectors through the page
        # cache instead of each holding its own copy (99 MB at 100k chunks).
        vectors = faiss.read_index(str(folder / VECTORS), faiss.IO_FLAG_MMAP_IFC)
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
