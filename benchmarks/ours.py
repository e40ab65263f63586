"""Our engine, measured through its facade: builds, incremental rebuilds, timed answers."""

from __future__ import annotations

import json
import time
from pathlib import Path

from benchmarks.baseline import Timings
from benchmarks.cache import CachedEmbedder, VectorCache
from index import engine as engine_module
from index import store
from index.build import build_index
from index.embed import Embedder
from index.engine import Engine
from index.settings import EngineSettings


def embedder(cached: bool) -> Embedder | CachedEmbedder:
    inner = Embedder()
    return CachedEmbedder(inner, VectorCache(inner.weights_sha256, inner.dim)) if cached else inner


def full_build(corpus_dir: Path, index_dir: Path, model) -> dict[str, float]:
    report = build_index(corpus_dir, index_dir, model, None)
    return {"chunks": report.chunks, "embedded": report.embedded, "seconds": report.seconds}


def incremental_build(corpus_dir: Path, index_dir: Path, model) -> dict[str, float]:
    """Change one document's text in one file, then rebuild on top of the previous index."""
    previous = store.load(index_dir, model.weights_sha256, model.dim)
    file = sorted(corpus_dir.rglob("*.jsonl"))[len(list(corpus_dir.rglob("*.jsonl"))) // 2]
    lines = file.read_text().splitlines()
    record = json.loads(lines[0])
    record["text"] += " This abstract was revised after publication."
    file.write_text("\n".join([json.dumps(record), *lines[1:]]) + "\n")
    started = time.perf_counter()
    report = build_index(corpus_dir, index_dir, model, previous)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "embedded": report.embedded, "changed": len(report.changed)}


def open_engine(corpus_dir: Path, index_dir: Path) -> Engine:
    return Engine.open(EngineSettings(corpus_dir=corpus_dir, index_dir=index_dir))


def answer_timed(engine: Engine, question: str) -> Timings:
    """One Engine.answer, split into embed, search and the rest (answer assembly).

    The engine's own embed_query and retrieve are wrapped with timers, so the split follows
    whatever Engine.answer does inside.
    """
    spent = {"embed": 0.0, "search": 0.0}

    def timed(name: str, function):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - started

        return wrapper

    embed_query, search = engine.embedder.embed_query, engine_module.retrieve
    engine.embedder.embed_query = timed("embed", embed_query)
    engine_module.retrieve = timed("search", search)
    try:
        started = time.perf_counter()
        engine.answer(question)
        total = time.perf_counter() - started
    finally:
        engine.embedder.embed_query, engine_module.retrieve = embed_query, search
    rest = total - spent["embed"] - spent["search"]
    return Timings(spent["embed"] * 1000, spent["search"] * 1000, rest * 1000)


def disk_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
