"""An index of the 100k-chunk tier (benchmarks/corpora.py) for the workers benchmark, built in
minutes instead of hours: real chunks, rows, BM25 postings and index files, with stand-in vectors.

The real embedder needs hours for 100k chunks on 2 cores. What the workers benchmark measures
(memory per worker, questions per second, the download a takeover makes) depends on the files'
sizes, the number of chunks and sentences, and the passages the reader reads, not on what the
vectors mean; so every chunk and sentence gets a hashed bag-of-words vector (each word adds +-1 to
one of 384 dimensions), normalised. The files are those of a real build of the same size; dense
retrieval finds lexically close passages instead of semantically close ones, and BM25 is real.

    benchmarks/.cache/workers-100k/index      built once; the exports are written beside it
"""

from __future__ import annotations

import re
import zlib
from pathlib import Path

import numpy as np

from benchmarks.cache import CACHE_DIR
from benchmarks.corpora import SCIFACT, make_tier
from index.build.incremental import build_index
from index.query.onnx_embed import ModelFolder
from index.settings import BUNDLED_MODEL

INDEX = CACHE_DIR / "workers-100k" / "index"
_WORD = re.compile(r"\w+")


class HashedEmbedder:
    """The bundled model's name, weights id and width, with vectors that cost nothing."""

    model_name = BUNDLED_MODEL
    dim = 384
    dtype = "bfloat16"  # what a build on a CPU with native bf16 records
    progress = False

    def __init__(self) -> None:
        folder = ModelFolder.of(BUNDLED_MODEL)
        assert folder is not None
        self.weights_sha256 = folder.weights_sha256
        self._slots: dict[str, tuple[int, float]] = {}

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dim, dtype=np.float32)
        for word in _WORD.findall(text.lower()):
            slot = self._slots.get(word)
            if slot is None:
                code = zlib.crc32(word.encode())
                slot = self._slots[word] = (code % self.dim, 1.0 if code & 1 << 20 else -1.0)
            vector[slot[0]] += slot[1]
        vector[0] += 1e-3  # no empty text gets a zero vector
        return vector / np.linalg.norm(vector)

    def embed(self, texts: list[str], progress: bool = False) -> np.ndarray:
        return np.array([self._vector(t) for t in texts], dtype=np.float32).reshape(-1, self.dim)

    def embed_with_spans(self, texts, spans, progress: bool = False):
        parts = [
            np.array([self._vector(t[a:b]) for a, b in s], dtype=np.float32).reshape(-1, self.dim)
            for t, s in zip(texts, spans, strict=True)
        ]
        return self.embed(texts), parts


def large_index() -> tuple[Path, Path]:
    """(corpus folder, index folder) of the 100k tier, built on first use."""
    tier = make_tier("100k")
    if not (INDEX / "CURRENT").exists():
        build_index(tier.folder, INDEX, HashedEmbedder(), None)
    return tier.folder, INDEX


def scifact_questions(limit: int = 60) -> list[str]:
    """SciFact's own questions: the tier begins with every SciFact abstract."""
    import json

    lines = (SCIFACT / "queries.jsonl").read_text().splitlines()[:limit]
    return [json.loads(line)["text"] for line in lines]
