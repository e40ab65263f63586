"""Vector files: the FAISS index of chunk vectors, and the float16 file of sentence vectors."""

from __future__ import annotations

import os
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from index.errors import REBUILD_HINT, IndexCorrupt

# Exact search below HNSW_MIN_VECTORS, HNSW above (benchmarks/results/latest.md). At 100,260 real
# vectors exact search took 12 ms; HNSW M 32 reached recall@10 0.921 against it with the usual
# efConstruction 80 / efSearch 128, and 0.995 in 0.7 ms with 200 / 512, which is used. HNSW keeps
# its vectors in float16: at 100,095 vectors (300 SciFact queries) recall@10 0.995 against 0.997
# for float32, search 0.34 against 0.51 ms, and 99 MB in memory and on disk instead of 173.
HNSW_MIN_VECTORS = 20_000


HNSW_M, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH = 32, 200, 512


def vector_index(vectors: np.ndarray) -> faiss.Index:
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


def write_sentence_vectors(path: Path, parts: list[np.ndarray | StoredSentences], dim: int) -> None:
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
