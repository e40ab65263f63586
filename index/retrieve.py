"""Question -> ranked chunks: dense (FAISS inner product) and BM25, fused by reciprocal rank."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from index.models import Chunk
from index.store import StoredIndex

RRF_K = 60  # the usual reciprocal-rank constant: rank 1 scores 1/61
DENSE_WEIGHT = 1.0
LEXICAL_WEIGHT = 1.0


@dataclass(frozen=True)
class Hit:
    row: int
    chunk: Chunk
    score: float  # fused
    dense: float  # cosine similarity of the chunk to the question
    lexical: float  # BM25 score, 0 when BM25 did not find it


@dataclass(frozen=True)
class Ranking:
    rows: list[int]
    scores: list[float]
    dense: dict[int, float]
    lexical: dict[int, float]


def rank(
    index: StoredIndex, query_vector: np.ndarray, query_terms: list[str], depth: int
) -> Ranking:
    """Fused ranking of the best `depth` chunks from each retriever."""
    depth = min(depth, len(index))
    if depth == 0:
        return Ranking([], [], {}, {})
    scores, rows = index.vectors.search(query_vector[None, :].astype(np.float32), depth)
    dense = {int(r): float(s) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0}
    lexical = dict(index.bm25.search(query_terms, depth))
    fused: dict[int, float] = {}
    for weight, ranked in ((DENSE_WEIGHT, list(dense)), (LEXICAL_WEIGHT, list(lexical))):
        for position, row in enumerate(ranked):
            fused[row] = fused.get(row, 0.0) + weight / (RRF_K + position + 1)
    order = sorted(fused, key=lambda row: -fused[row])
    missing = [row for row in order if row not in dense]
    if missing:  # BM25-only hits still need their cosine, for the answer's confidence
        for row, vector in zip(missing, index.vectors_of(missing), strict=True):
            dense[row] = float(vector @ query_vector)
    return Ranking(order, [fused[row] for row in order], dense, lexical)


def retrieve(
    index: StoredIndex, query_vector: np.ndarray, query_terms: list[str], k: int
) -> list[Hit]:
    ranking = rank(index, query_vector, query_terms, depth=max(k * 4, 20))
    rows = ranking.rows[:k]
    return [
        Hit(row, chunk, score, ranking.dense[row], ranking.lexical.get(row, 0.0))
        for row, chunk, score in zip(rows, index.chunks_at(rows), ranking.scores, strict=False)
    ]
