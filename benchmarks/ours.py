"""Our engine, measured through its facade: builds, incremental rebuilds, timed answers."""

from __future__ import annotations

import json
import time
from pathlib import Path

from benchmarks.baseline import Timings
from benchmarks.cache import CachedEmbedder, VectorCache
from index import store
from index.build.embed import Embedder
from index.build.incremental import build_index
from index.engine import Engine
from index.runtime import export_models
from index.settings import BUNDLED_MODEL, EngineSettings


def embedder(cached: bool) -> Embedder | CachedEmbedder:
    inner = Embedder()
    return CachedEmbedder(inner, VectorCache(inner.weights_sha256, inner.dim)) if cached else inner


def full_build(corpus_dir: Path, index_dir: Path, model) -> dict[str, float]:
    report = build_index(corpus_dir, index_dir, model, None)
    return {"chunks": report.chunks, "embedded": report.embedded, "seconds": report.seconds}


def incremental_build(corpus_dir: Path, index_dir: Path, model) -> dict[str, float]:
    """Change one document's text in one file, then rebuild on top of the previous index."""
    previous = store.load_index(index_dir, model.weights_sha256, model.dim)
    file = sorted(corpus_dir.rglob("*.jsonl"))[len(list(corpus_dir.rglob("*.jsonl"))) // 2]
    lines = file.read_text().splitlines()
    record = json.loads(lines[0])
    record["text"] += " This abstract was revised after publication."
    file.write_text("\n".join([json.dumps(record), *lines[1:]]) + "\n")
    started = time.perf_counter()
    report = build_index(corpus_dir, index_dir, model, previous)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "embedded": report.embedded, "changed": len(report.changed)}


def export(index_dir: Path) -> float:
    """Export the question model and the reader, as a build does, so serving runs them in ONNX
    Runtime; returns the seconds it took (not part of the build's own time)."""
    started = time.perf_counter()
    export_models(BUNDLED_MODEL, index_dir)
    return time.perf_counter() - started


def open_engine(corpus_dir: Path, index_dir: Path) -> Engine:
    return Engine.open(EngineSettings(corpus_dir=corpus_dir, index_dir=index_dir))


def answer_timed(engine: Engine, question: str) -> Timings:
    """One Engine.answer, split by the engine itself into embed, search and the answer step."""
    times = engine.answer_timed(question)[1]
    return Timings(times.embed_ms, times.search_ms, times.read_ms + times.answer_ms)


def disk_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
