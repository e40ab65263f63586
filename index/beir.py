"""Scoring retrieval on a BEIR folder (corpus.jsonl, queries.jsonl, qrels.tsv): nDCG@10,
recall and MRR, and TREC run files for other tools."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from index.errors import QabotError
from index.evaluate import read_lines


@dataclass(frozen=True)
class BeirScores:
    queries: int
    ndcg_at_10: float
    recall_at_10: float
    recall_at_100: float
    mrr_at_10: float


def read_beir(folder: Path) -> tuple[dict[str, str], dict[str, dict[str, int]]]:
    """Queries that have relevance labels, and the labels: {qid: {docid: grade}}."""
    for name in ("corpus.jsonl", "queries.jsonl", "qrels.tsv"):
        if not (folder / name).is_file():
            raise QabotError(f"{folder} is not a BEIR folder: {name} is missing")
    qrels: dict[str, dict[str, int]] = {}
    for line in read_lines(folder / "qrels.tsv"):
        parts = line.split("\t")
        if len(parts) < 3 or not parts[2].strip().lstrip("-").isdigit():
            continue  # the header line
        qrels.setdefault(parts[0], {})[parts[1]] = int(parts[2])
    queries = {}
    for line in read_lines(folder / "queries.jsonl"):
        record = json.loads(line)
        if str(record["_id"]) in qrels:
            queries[str(record["_id"])] = record["text"]
    return queries, qrels


def score_rankings(
    rankings: dict[str, list[tuple[str, float]]], qrels: dict[str, dict[str, int]]
) -> BeirScores:
    ndcg, r10, r100, mrr = [], [], [], []
    for qid, ranked in rankings.items():
        relevant = {d: g for d, g in qrels.get(qid, {}).items() if g > 0}
        if not relevant:
            continue
        docs = [d for d, _ in ranked]
        gains = [relevant.get(d, 0) for d in docs[:10]]
        dcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(gains))
        ideal = sorted(relevant.values(), reverse=True)[:10]
        idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
        ndcg.append(dcg / idcg)
        r10.append(len(set(docs[:10]) & relevant.keys()) / len(relevant))
        r100.append(len(set(docs[:100]) & relevant.keys()) / len(relevant))
        first = next((i for i, d in enumerate(docs[:10]) if d in relevant), None)
        mrr.append(0.0 if first is None else 1 / (first + 1))
    n = max(1, len(ndcg))
    return BeirScores(
        len(ndcg),
        round(sum(ndcg) / n, 4),
        round(sum(r10) / n, 4),
        round(sum(r100) / n, 4),
        round(sum(mrr) / n, 4),
    )


def write_trec_run(
    path: Path, rankings: dict[str, list[tuple[str, float]]], tag: str = "qabot"
) -> None:
    lines = [
        f"{qid} Q0 {doc} {rank} {score:.6f} {tag}"
        for qid, ranked in rankings.items()
        for rank, (doc, score) in enumerate(ranked[:100], start=1)
    ]
    path.write_text("\n".join(lines) + "\n")
