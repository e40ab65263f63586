"""Collections at scale in one process: peak memory with 20 small collections loaded, and the
first-question latency of a collection that is not loaded yet.

    .venv/bin/python -m benchmarks.collections [--collections 20] [--json]

Each collection is a small corpus (3 documents of a few paragraphs) under a temporary data
folder, built once. Peak RSS is measured in fresh processes (VmHWM): the model and one
collection loaded, against the model and all N loaded, all sharing one embedder; the baseline
is what a second model in the same process adds, the cost of a model per collection. Latency: the
first question to a collection that is not in memory (its index read from disk, then the
answer) against a question to a loaded one, median with min–max over the collections.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.memory import peak_rss_mb, rss_now_mb

os.environ.setdefault("HF_HUB_OFFLINE", "1")

TOPICS = [
    ("harbour", "ferry", "pier"),
    ("orchard", "apple", "frost"),
    ("library", "archive", "manuscript"),
    ("railway", "tunnel", "timetable"),
    ("glacier", "survey", "moraine"),
]
QUESTION = "When does the {0} committee meet?"


def corpus_text(n: int, doc: int) -> str:
    a, b, c = TOPICS[(n + doc) % len(TOPICS)]
    paragraphs = [
        f"The {a} committee of district {n} meets on the {doc + 2}th day of each month "
        f"to discuss the {b} and the {c}.",
        f"Members of the {a} group reported that the {b} improved by {n + doc} percent "
        f"after the {c} works ended in spring.",
        f"A public hearing on the {c} takes place in the town hall of district {n}; "
        f"residents may submit written comments on the {b} beforehand.",
    ]
    return f"{a.title()} Notes {n}-{doc}\n\n" + "\n\n".join(paragraphs) + "\n"


def make(data: Path, count: int) -> list[str]:
    from index.library.collections import Collections
    from index.settings import EngineSettings, LibrarySettings

    collections = Collections(
        EngineSettings(), LibrarySettings(data_dir=data, collection_cache=count)
    )
    names = [f"guild/{1000 + n}" for n in range(count)]
    for n, name in enumerate(names):
        corpus = collections.paths(name).corpus_dir
        corpus.mkdir(parents=True, exist_ok=True)
        for doc in range(3):
            (corpus / f"doc-{doc}.txt").write_text(corpus_text(n, doc), encoding="utf-8")
        with collections.changing(name):
            collections.rebuild(name)
    return names


def child(data: Path, loaded: int, count: int) -> dict:
    """In a fresh process: load `loaded` collections (sharing one model), ask one question
    each; report peak RSS."""
    from index.library.collections import Collections
    from index.settings import EngineSettings, LibrarySettings

    collections = Collections(
        EngineSettings(), LibrarySettings(data_dir=data, collection_cache=max(count, 1))
    )
    collections.embedder.embed_query("warm up")
    base, base_now = peak_rss_mb(), rss_now_mb()
    for n in range(loaded):
        topic = TOPICS[n % len(TOPICS)][0]
        collections.engine(f"guild/{1000 + n}").answer(QUESTION.format(topic))
    peak = peak_rss_mb()
    after = rss_now_mb()
    second_model = 0.0
    if loaded == 1:  # the baseline: what each collection would add with a model of its own
        from index.build.embed import Embedder

        own = Embedder()
        own.embed_query("warm up")
        second_model = rss_now_mb() - after
    return {
        "second_model_mb": round(second_model, 1),
        "loaded": loaded,
        "peak_rss_mb": round(peak, 1),
        "model_only_mb": round(base, 1),
        "rss_now_mb": round(after, 1),
        "model_only_now_mb": round(base_now, 1),
    }


def latency(data: Path, names: list[str]) -> dict:
    """Cold: the first question to a collection not in memory. Warm: the next question."""
    from index.library.collections import Collections
    from index.settings import EngineSettings, LibrarySettings

    collections = Collections(EngineSettings(), LibrarySettings(data_dir=data, collection_cache=1))
    collections.embedder.embed_query("warm up")
    collections.engine(names[-1]).answer("warm up the answer path")
    cold, warm = [], []
    for n, name in enumerate(names):
        question = QUESTION.format(TOPICS[n % len(TOPICS)][0])
        started = time.perf_counter()
        collections.engine(name).answer(question)  # evicts the previous one (cache of 1)
        cold.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        collections.engine(name).answer(question)
        warm.append((time.perf_counter() - started) * 1000)
    return {"cold_ms": summary(cold), "warm_ms": summary(warm)}


def summary(values: list[float]) -> dict:
    return {
        "median": round(statistics.median(values), 1),
        "min": round(min(values), 1),
        "max": round(max(values), 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--collections", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--child", nargs=3, metavar=("DATA", "LOADED", "COUNT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(Path(args.child[0]), int(args.child[1]), int(args.child[2]))))
        return 0
    with tempfile.TemporaryDirectory(prefix="qabot-collections-") as tmp:
        data = Path(tmp) / "data"
        names = make(data, args.collections)
        runs = {}
        for loaded in (1, args.collections):
            out = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "benchmarks.collections",
                    "--child",
                    str(data),
                    str(loaded),
                    str(args.collections),
                ],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            runs[loaded] = json.loads(out.strip().splitlines()[-1])
        timed = latency(data, names)
    one, many = runs[1], runs[args.collections]
    result = {
        "collections": args.collections,
        "peak_rss_mb": {
            "model_only": one["model_only_mb"],
            "1": one["peak_rss_mb"],
            str(args.collections): many["peak_rss_mb"],
        },
        "rss_now_mb": {
            "model_only": one["model_only_now_mb"],
            "1": one["rss_now_mb"],
            str(args.collections): many["rss_now_mb"],
        },
        "per_extra_collection_mb": round(
            (many["rss_now_mb"] - one["rss_now_mb"]) / max(args.collections - 1, 1), 2
        ),
        "own_model_per_collection_mb": one["second_model_mb"],
        **timed,
        "cold_over_warm": round(timed["cold_ms"]["median"] / timed["warm_ms"]["median"], 1),
    }
    if args.json:
        print(json.dumps(result))
        return 0
    n = args.collections
    rss = result["peak_rss_mb"]
    now = result["rss_now_mb"]
    print("| | peak RSS | RSS after |\n|---|---|---|")
    for key, label in (("model_only", "model only"), ("1", "model + 1 collection")):
        print(f"| {label} | {rss[key]:.0f} MB | {now[key]:.0f} MB |")
    print(f"| model + {n} collections | {rss[str(n)]:.0f} MB | {now[str(n)]:.0f} MB |")
    print(f"\nper extra collection: {result['per_extra_collection_mb']} MB (shared model)")
    print(f"baseline, a model of its own: {result['own_model_per_collection_mb']} MB more each")
    c, w = timed["cold_ms"], timed["warm_ms"]
    print(f"first question, collection not loaded: {c['median']} ms ({c['min']}–{c['max']})")
    print(f"question, collection loaded: {w['median']} ms ({w['min']}–{w['max']})")
    print(f"cold / warm: {result['cold_over_warm']}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
