"""The serving path, measured in one run: question embedding (ONNX Runtime against PyTorch), warm
answers at the 1k and 10k tiers with the tutorial baseline beside them, cold `qabot ask`, the
int8 option's quality, and the event loop under a burst of questions during a rebuild.

    python -m benchmarks.serving [--scifact-index DIR] [--repeats N]

--scifact-index: an index of SciFact (`qabot eval --beir`) built by this engine, for the 10k tier
and the int8 quality check; without it both are skipped. Results go to
benchmarks/results/serving.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from benchmarks.cache import CACHE_DIR
from benchmarks.corpora import SCIFACT, make_tier
from index import exports
from index.query import onnx_embed
from index.settings import BUNDLED_MODEL, EngineSettings

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
WORK = CACHE_DIR / "serving"
ARTICLE = ROOT / "docs_corpus" / "moscow-mulls-reaction-to-japan.txt"
ARTICLE_QUESTION = "What did Tokyo urge Japanese citizens to do?"
DEV_SET = ROOT / "tests" / "data" / "seed_dev.jsonl"  # labelled questions about the article


def spread(values: list[float]) -> dict[str, float]:
    """Median with min and max, and the 95th and 99th percentiles, in the values' unit."""
    ordered = sorted(values)

    def at(share: float) -> float:
        return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]

    return {
        "median": round(statistics.median(ordered), 3),
        "min": round(ordered[0], 3),
        "max": round(ordered[-1], 3),
        "p95": round(at(0.95), 3),
        "p99": round(at(0.99), 3),
        "n": len(ordered),
    }


def queries(limit: int = 300) -> list[str]:
    lines = (SCIFACT / "queries.jsonl").read_text().splitlines()
    return [json.loads(line)["text"] for line in lines[:limit]]


def int8_copy(index_dir: Path) -> Path:
    """The exported (fused) model with int8 weights in its MatMul and Attention nodes, per output
    channel in 7 bits, as the reader's (index.exports.int8_weights)."""
    source = next((index_dir / onnx_embed.MODELS_DIR).glob("embedding-*.onnx"))
    target = WORK / f"{source.stem}-int8.onnx"
    if not target.exists():
        exports.int8_weights(source, target, ("MatMul", "Attention"))
    return target


def question_embedders(index_dir: Path) -> dict[str, object]:
    from index.build.embed import Embedder

    folder = onnx_embed.ModelFolder.of(BUNDLED_MODEL)
    exported = onnx_embed.load(BUNDLED_MODEL, index_dir)
    return {
        "PyTorch bf16 (the engine before)": Embedder(BUNDLED_MODEL, "auto"),
        "PyTorch fp32": Embedder(BUNDLED_MODEL, "float32"),
        "ONNX Runtime fp32 (the engine now)": exported,
        "ONNX Runtime int8": onnx_embed.OnnxEmbedder(BUNDLED_MODEL, folder, int8_copy(index_dir)),
    }


def embedding_probe(embedders: dict[str, object], texts: list[str], repeats: int) -> dict:
    """ms per question, runtimes interleaved question by question; cosine to the fp32 reference."""
    times: dict[str, list[float]] = {name: [] for name in embedders}
    for embedder in embedders.values():
        embedder.embed_query(texts[0])  # warm
    for _ in range(repeats):
        for text in texts:
            for name, embedder in embedders.items():
                started = time.perf_counter()
                embedder.embed_query(text)
                times[name].append((time.perf_counter() - started) * 1000)
    reference = embedders["PyTorch fp32"].embed(texts)
    result = {}
    for name, embedder in embedders.items():
        cosines = (np.array([embedder.embed_query(t) for t in texts]) * reference).sum(1)
        result[name] = {"ms": spread(times[name]), "cosine_to_fp32_min": float(cosines.min())}
    return result


def warm_probe(index_dir: Path, corpus: Path, texts: list[str], embedders: dict) -> dict:
    """Whole answers (embedding, search, answer step) with each question embedder, interleaved."""
    from index.engine import Engine

    base = Engine.open(EngineSettings(corpus_dir=corpus, index_dir=index_dir))
    engines = {
        "ours, ONNX Runtime": base,
        "ours, PyTorch bf16": replace_embedder(base, embedders["PyTorch bf16 (the engine before)"]),
    }
    times: dict[str, list[float]] = {name: [] for name in engines}
    for engine in engines.values():
        engine.answer(texts[0])
    for text in texts:
        for name, engine in engines.items():
            started = time.perf_counter()
            engine.answer(text)
            times[name].append((time.perf_counter() - started) * 1000)
    return {name: spread(values) for name, values in times.items()}


def replace_embedder(engine, embedder):
    from index.engine import Engine

    return Engine(engine.settings, embedder, engine._index, engine.answer_model)


def baseline_probe(corpus: Path, texts: list[str]) -> dict:
    from benchmarks import baseline

    model = baseline.load_model()
    folder = WORK / f"baseline-{corpus.name}"
    if not (folder / "index.faiss").exists():
        baseline.build(corpus, folder, model)
    pipeline = baseline.Baseline(folder, model)
    pipeline.answer(texts[0])
    times = []
    for text in texts:
        started = time.perf_counter()
        pipeline.answer(text)
        times.append((time.perf_counter() - started) * 1000)
    return spread(times)


def cold_probe(index_dir: Path, runs: int) -> dict:
    """Process start to printed answer, `qabot ask` on the article, with and without the export."""
    models = index_dir / onnx_embed.MODELS_DIR
    hidden = index_dir / "models-hidden"
    command = [sys.executable, "-m", "bot.cli", "ask", "--index", str(index_dir), ARTICLE_QUESTION]
    times: dict[str, list[float]] = {"ONNX Runtime (now)": [], "sentence-transformers (before)": []}
    for _ in range(runs):
        for name in times:
            if name.startswith("sentence") and models.exists():
                models.rename(hidden)
            started = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
            times[name].append(time.perf_counter() - started)
            assert done.returncode == 0 and "Japanese citizens" in done.stdout, done.stderr
            if hidden.exists():
                hidden.rename(models)
    return {name: spread(values) for name, values in times.items()}


def quality_probe(scifact_index: Path, embedders: dict) -> dict:
    """SciFact nDCG@10 and the dev set's figures with each question embedder, same index."""
    from index.beir import read_beir, score_rankings
    from index.engine import Engine
    from index.evaluate import read_questions, score_answers

    query_texts, qrels = read_beir(SCIFACT)
    base = Engine.open(EngineSettings(corpus_dir=SCIFACT / "corpus.jsonl", index_dir=scifact_index))
    article = WORK / "article"
    if not article.exists():
        (article / "corpus").mkdir(parents=True)
        shutil.copy(ARTICLE, article / "corpus")
    dev_engine = Engine.open(
        EngineSettings(corpus_dir=article / "corpus", index_dir=article / "index")
    )
    items = read_questions(DEV_SET)
    result = {}
    for name in (
        "PyTorch bf16 (the engine before)",
        "ONNX Runtime fp32 (the engine now)",
        "ONNX Runtime int8",
    ):
        engine = replace_embedder(base, embedders[name])
        ids = list(query_texts)
        rankings = dict(zip(ids, engine.rank_documents([query_texts[q] for q in ids]), strict=True))
        dev = replace_embedder(dev_engine, embedders[name])
        scores = score_answers(items, [dev.answer(item.question) for item in items])
        result[name] = {
            "scifact_ndcg_at_10": round(score_rankings(rankings, qrels).ndcg_at_10, 4),
            "dev": {k: v for k, v in asdict(scores).items() if k != "failures"},
        }
    return result


async def _load(engine, workers: int | None, members: int = 50) -> dict:
    """A rebuild with new files, 50 questions at once; the loop's lag sampled every 10 ms."""
    from concurrent.futures import ThreadPoolExecutor

    from benchmarks.small_corpus import FROST
    from bot import asking
    from bot.feedback import FeedbackStore
    from bot.reindex import Reindexer

    pool = ThreadPoolExecutor(workers) if workers else None
    store = FeedbackStore(WORK / "load-feedback.sqlite3")
    lags: list[float] = []

    async def probe() -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(0.01)
            lags.append((time.perf_counter() - started - 0.01) * 1000)

    async def timed() -> float:
        started = time.perf_counter()
        await asking.ask(engine, store, FROST, pool=pool)
        return (time.perf_counter() - started) * 1000

    prober = asyncio.create_task(probe())
    rebuild = asyncio.create_task(Reindexer().run(engine))
    await asyncio.sleep(0.2)
    answered = await asyncio.gather(*(timed() for _ in range(members)))
    during = rebuild.done() is False
    await rebuild
    prober.cancel()
    return {
        "answer_ms": spread(answered),
        "loop_lag_ms": spread(lags),
        "answered_during_rebuild": during,
    }


def load_probe() -> dict:
    from benchmarks.small_corpus import grow_corpus, write_corpus
    from index.engine import Engine

    result = {}
    # The first rebuild in a serving process imports the build's libraries (torch,
    # sentence-transformers) in its thread, and those imports hold the GIL in long stretches: it is
    # reported on its own, and the pool and the default executor are compared after it.
    runs = (
        ("first rebuild in the process, pool of 2", 2),
        ("pool of 2 (QABOT_WORKERS)", 2),
        ("default executor (before)", None),
    )
    for number, (label, workers) in enumerate(runs):
        folder = WORK / f"load-{number}"
        shutil.rmtree(folder, ignore_errors=True)
        corpus = write_corpus(folder / "corpus")
        engine = Engine.open(EngineSettings(corpus_dir=corpus, index_dir=folder / "index"))
        grow_corpus(corpus, files=12)
        result[label] = asyncio.run(_load(engine, workers))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scifact-index", type=Path)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--cold-runs", type=int, default=5)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    from index.engine import Engine

    tier = make_tier("1k")
    tier_index = WORK / "index-1k"
    Engine.open(EngineSettings(corpus_dir=tier.folder, index_dir=tier_index))  # builds once
    article = WORK / "article-cold"
    if not article.exists():
        (article / "corpus").mkdir(parents=True)
        shutil.copy(ARTICLE, article / "corpus")
        Engine.open(EngineSettings(corpus_dir=article / "corpus", index_dir=article / "index"))
    texts = queries()
    embedders = question_embedders(tier_index)
    results = {"machine": {"cores": len(__import__("os").sched_getaffinity(0))}}
    results["question_embedding"] = embedding_probe(embedders, texts[:100], args.repeats)
    results["warm_1k"] = warm_probe(tier_index, tier.folder, texts, embedders) | {
        "tutorial baseline": baseline_probe(tier.folder, texts)
    }
    results["warm_1k"]["chunks"] = tier.chunks
    if args.scifact_index:
        scifact = args.scifact_index
        if not (scifact / onnx_embed.MODELS_DIR).exists():
            shutil.copytree(tier_index / onnx_embed.MODELS_DIR, scifact / onnx_embed.MODELS_DIR)
        results["warm_10k"] = warm_probe(scifact, SCIFACT / "corpus.jsonl", texts, embedders)
        results["int8_quality"] = quality_probe(scifact, embedders)
    results["cold_ask_s"] = cold_probe(article / "index", args.cold_runs)
    results["load"] = load_probe()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "serving.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
