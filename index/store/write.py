"""Writing a build: every file into a new folder, synced, then named in CURRENT."""

from __future__ import annotations

import errno
import json
import os
import shutil
import sqlite3
import time
from pathlib import Path

import faiss
import numpy as np

from index.errors import IndexWriteError
from index.lexical import Bm25Index
from index.models import Chunk, DocumentInfo
from index.store.layout import (
    BM25_DIR,
    MANIFEST,
    SENTENCES,
    TABLE,
    VECTORS,
    checksums,
    fsync_tree,
    point_to,
    remove_old_builds,
)
from index.store.rows import write_table
from index.store.vectors import StoredSentences, vector_index, write_sentence_vectors


def write_build(
    index_dir: Path,
    manifest: dict,
    chunks: list[tuple[str, Chunk]],
    documents: list[tuple[str, DocumentInfo, str]],
    vectors: np.ndarray,
    sentence_vectors: list[np.ndarray | StoredSentences],
    keys: list[str],
    search_texts: list[str],
) -> Path:
    """Write a complete build into a new folder and make it the live one. Returns the folder.

    documents are (file, info, text); sentence_vectors holds one (sentences, dim) array per chunk,
    keys one embedding key and search_texts the text BM25 indexes, per chunk, in chunk order.
    """
    folder = (
        index_dir
        / f"build-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    )
    partial = folder.with_name(folder.name + ".partial")
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        partial.mkdir()
        write_table(partial / TABLE, chunks, documents, keys)
        faiss.write_index(vector_index(vectors), str(partial / VECTORS))
        write_sentence_vectors(partial / SENTENCES, sentence_vectors, vectors.shape[1])
        Bm25Index.build(search_texts).save(partial / BM25_DIR)
        manifest = {**manifest, "chunk_count": len(chunks), "checksums": checksums(partial)}
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
        fsync_tree(partial)
        partial.rename(folder)
        point_to(index_dir, folder.name)
    except BaseException as error:
        shutil.rmtree(partial, ignore_errors=True)
        shutil.rmtree(folder, ignore_errors=True)  # renamed, but never named in CURRENT
        if isinstance(error, OSError | sqlite3.Error | RuntimeError):  # RuntimeError: FAISS
            raise IndexWriteError(
                f"can't write the new index in {index_dir} ({write_failure(error)});"
                " the old index is unchanged"
            ) from error
        raise
    remove_old_builds(index_dir, keep={folder.name})
    return folder


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
