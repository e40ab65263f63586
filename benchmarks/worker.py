"""One measurement in a fresh process, so peak RSS and cold start belong to it alone.

    python -m benchmarks.worker build ours|baseline CORPUS WORKDIR [--cached]
    python -m benchmarks.worker serve ours|baseline CORPUS INDEX QUESTIONS
    python -m benchmarks.worker quality baseline CORPUS WORKDIR LABELLED

Prints JSON lines: {"event": "first"} after the first answer (serve), then one result object.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
from pathlib import Path

from benchmarks.memory import peak_rss_mb
from benchmarks.timing import times_ms

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _emit(payload: dict) -> None:
    print(json.dumps(payload), flush=True)


def build(pipeline: str, corpus: Path, workdir: Path, cached: bool) -> dict:
    from benchmarks import baseline, ours
    from benchmarks.cache import CachedEncoder, VectorCache

    shutil.rmtree(workdir, ignore_errors=True)
    shutil.copytree(corpus, workdir / "corpus")
    index_dir = workdir / "index"
    if pipeline == "baseline":
        model = baseline.load_model()
        if cached:
            model = CachedEncoder(model, VectorCache(baseline.cache_namespace(), model_dim(model)))
        result = baseline.build(workdir / "corpus", index_dir, model)
    else:
        model = ours.embedder(cached)
        result = ours.full_build(workdir / "corpus", index_dir, model)
        result["incremental"] = ours.incremental_build(workdir / "corpus", index_dir, model)
        result["export_s"] = ours.export(index_dir)  # once per index, as `qabot index build` does
    return {**result, "disk_mb": ours.disk_bytes(index_dir) / 1e6, "peak_rss_mb": peak_rss_mb()}


def model_dim(model) -> int:
    return int(model.get_embedding_dimension())


def serve(pipeline: str, corpus: Path, index_dir: Path, questions: list[str]) -> dict:
    from benchmarks import baseline, ours

    if pipeline == "baseline":
        engine = baseline.Baseline(index_dir, baseline.load_model())
        answer, stages = engine.answer, lambda q: engine.answer_timed(q)[1]
    else:
        opened = ours.open_engine(corpus, index_dir)
        answer, stages = opened.answer, lambda q: ours.answer_timed(opened, q)
    answer(questions[0])
    _emit({"event": "first"})
    total = times_ms(answer, questions, warmup=10)
    split = [stages(q) for q in questions]
    return {
        "total_ms": total,
        "embed_ms": [s.embed_ms for s in split],
        "search_ms": [s.search_ms for s in split],
        "answer_ms": [s.answer_ms for s in split],
        "peak_rss_mb": peak_rss_mb(),
    }


def quality(corpus: Path, workdir: Path, labelled: Path) -> dict:
    """The baseline scored with `qabot eval`'s own scorer on a labelled question set."""
    from dataclasses import asdict

    from benchmarks import baseline
    from index.evaluate import read_questions, score_answers

    model = baseline.load_model()
    baseline.build(corpus, workdir, model)
    pipeline = baseline.Baseline(workdir, model)
    items = read_questions(labelled)
    scores = asdict(score_answers(items, [pipeline.answer(i.question) for i in items]))
    return {k: v for k, v in scores.items() if k != "failures"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("task", choices=["build", "serve", "quality"])
    parser.add_argument("pipeline", choices=["ours", "baseline"])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("path", type=Path)
    parser.add_argument("questions", type=Path, nargs="?")
    parser.add_argument("--cached", action="store_true")
    args = parser.parse_args()
    if args.task == "build":
        _emit(build(args.pipeline, args.corpus, args.path, args.cached))
    elif args.task == "quality":
        _emit(quality(args.corpus, args.path, args.questions))
    else:
        questions = json.loads(args.questions.read_text())
        _emit(serve(args.pipeline, args.corpus, args.path, questions))


if __name__ == "__main__":
    main()
