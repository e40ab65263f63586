"""Embedding cache keyed by (model weights, text, sentence spans), so only the first run pays.

Each entry holds a chunk's vector followed by its sentence vectors (the engine pools those from
the same model pass). Entries live in one SQLite file under benchmarks/.cache/. `CachedEmbedder`
wraps the engine's Embedder for the tiers built from cache; build-throughput runs use the bare
Embedder, and questions are never cached.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import numpy as np

from index.build.embed import Embedder
from index.build.keys import search_text, sentence_spans
from index.store import StoredIndex

CACHE_DIR = Path(__file__).parent / ".cache"
Spans = list[tuple[int, int]]


class VectorCache:
    def __init__(self, namespace: str, dim: int = 384, path: Path = CACHE_DIR / "vectors.sqlite"):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.namespace, self.dim = namespace, dim
        self._db = sqlite3.connect(path)
        self._db.execute("CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, vectors BLOB)")

    def key(self, text: str, spans: Spans) -> str:
        payload = f"{self.namespace}\0{text}\0{json.dumps([list(s) for s in spans])}"
        return hashlib.sha256(payload.encode()).hexdigest()

    def get_many(self, texts: list[str], spans: list[Spans]) -> dict[int, np.ndarray]:
        """Cached (1 + sentences, dim) arrays by position in `texts`."""
        keys = [self.key(t, s) for t, s in zip(texts, spans, strict=True)]
        found: dict[str, np.ndarray] = {}
        for start in range(0, len(keys), 500):
            part = keys[start : start + 500]
            sql = f"SELECT key, vectors FROM entries WHERE key IN ({','.join('?' * len(part))})"
            for key, blob in self._db.execute(sql, part):
                found[key] = np.frombuffer(blob, dtype=np.float32).reshape(-1, self.dim)
        return {i: found[k] for i, k in enumerate(keys) if k in found}

    def put_many(self, texts: list[str], spans: list[Spans], stacks: list[np.ndarray]) -> None:
        rows = [
            (self.key(t, s), np.asarray(v, np.float32).tobytes())
            for t, s, v in zip(texts, spans, stacks, strict=True)
        ]
        self._db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?)", rows)
        self._db.commit()

    def count(self, texts: list[str], spans: list[Spans]) -> int:
        return len(self.get_many(texts, spans))


class CachedEmbedder:
    """The engine's Embedder with a cache in front of its chunk embedding."""

    def __init__(self, inner: Embedder, cache: VectorCache):
        self.inner, self.cache = inner, cache
        self.embedded = 0  # texts that missed the cache and went through the model

    def __getattr__(self, name: str):  # model_name, dim, dtype, weights_sha256, progress, ...
        return getattr(self.inner, name)

    def embed(self, texts: list[str], progress: bool = False) -> np.ndarray:
        return self.embed_with_spans(texts, [[] for _ in texts], progress)[0]

    def embed_with_spans(
        self, texts: list[str], spans: list[Spans], progress: bool = False
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        found = self.cache.get_many(texts, spans)
        missing = [i for i in range(len(texts)) if i not in found]
        if missing:
            whole, parts = self.inner.embed_with_spans(
                [texts[i] for i in missing], [spans[i] for i in missing], progress
            )
            stacks = [np.vstack([w[None, :], p]) for w, p in zip(whole, parts, strict=True)]
            self.cache.put_many([texts[i] for i in missing], [spans[i] for i in missing], stacks)
            found.update(zip(missing, stacks, strict=True))
            self.embedded += len(missing)
        stacks = [found[i] for i in range(len(texts))]
        whole = np.zeros((len(texts), self.inner.dim), dtype=np.float32)
        for i, stack in enumerate(stacks):
            whole[i] = stack[0]
        return whole, [stack[1:] for stack in stacks]


class CachedEncoder:
    """The baseline's SentenceTransformer with the cache in front of `encode` (whole texts)."""

    def __init__(self, inner, cache: VectorCache):
        self.inner, self.cache = inner, cache

    def encode(self, texts: list[str], **options) -> np.ndarray:
        spans: list[Spans] = [[] for _ in texts]
        found = self.cache.get_many(texts, spans)
        missing = [i for i in range(len(texts)) if i not in found]
        if missing:
            vectors = self.inner.encode([texts[i] for i in missing], **options)
            stacks = [np.asarray(v, np.float32)[None, :] for v in vectors]
            self.cache.put_many([texts[i] for i in missing], [[] for _ in missing], stacks)
            found.update(zip(missing, stacks, strict=True))
        return np.vstack([found[i] for i in range(len(texts))])


def seed_from_index(cache: VectorCache, index: StoredIndex) -> int:
    """Copy the vectors of an index the engine built into the cache (same model, same texts)."""
    rows = [r[0] for r in index._query("SELECT row FROM chunks ORDER BY row")]
    for start in range(0, len(rows), 2000):
        part = rows[start : start + 2000]
        chunks = index.chunks_at(part)
        stacks = [
            np.vstack([whole[None, :], index.sentence_vectors_of(row)])
            for row, whole in zip(part, index.vectors_of(part), strict=True)
        ]
        texts = [search_text(c) for c in chunks]
        cache.put_many(texts, [sentence_spans(c) for c in chunks], stacks)
    return len(rows)
