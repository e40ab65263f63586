"""Questions per second per core with 1 and 2 concurrent askers: ours beside the tutorial's.

    python -m benchmarks.askers OURS_INDEX BASELINE_INDEX [--corpus DIR] [--seconds 20]
                                [--repeats 3]

OURS_INDEX and BASELINE_INDEX are the 1k tier's indexes as `python -m benchmarks.run` leaves them
(benchmarks/.cache/work/1k-ours/index and 1k-baseline/index). One process serves each pipeline,
as the bot does: 1 or 2 threads ask `make bench`'s SciFact queries as fast as they can for
--seconds, each question waiting for the previous answer of its thread. Ours runs in each way of
reading that benchmarks/cascade.py compares (the cascade, the cascade one passage after another,
all three one after another as before), the runs of each repeat taken back to back. Prints
questions per second divided by the machine's cores, the median over the repeats (min–max).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.cache import CACHE_DIR
from benchmarks.corpora import make_tier


def per_core_qps(
    answer: Callable[[str], object], questions: list[str], askers: int, seconds: float
) -> float:
    counts = [0] * askers
    start = threading.Barrier(askers + 1)
    end = [0.0]

    def ask(slot: int) -> None:
        start.wait()
        n = slot
        while time.perf_counter() < end[0]:
            answer(questions[n % len(questions)])
            n += askers
            counts[slot] += 1

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(askers)]
    for thread in threads:
        thread.start()
    end[0] = time.perf_counter() + seconds
    start.wait()
    for thread in threads:
        thread.join()
    return sum(counts) / seconds / (os.cpu_count() or 1)


def main() -> None:
    from benchmarks import baseline
    from benchmarks.cascade import MODES, reading
    from index.engine import Engine
    from index.settings import EngineSettings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ours", type=Path)
    parser.add_argument("baseline", type=Path)
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    questions = json.loads((CACHE_DIR / "questions.json").read_text())
    corpus = args.corpus or make_tier("1k").folder
    engine = Engine.open(EngineSettings(corpus_dir=corpus, index_dir=args.ours))
    tutorial = baseline.Baseline(args.baseline, baseline.load_model())
    for question in questions[:10]:
        engine.answer(question)
        tutorial.answer(question)
    results: dict[str, list[float]] = {}
    for _ in range(args.repeats):
        for askers in (1, 2):
            for mode in MODES:
                with reading(engine.reader, mode):
                    qps = per_core_qps(engine.answer, questions, askers, args.seconds)
                results.setdefault(f"ours, {mode}, {askers}", []).append(qps)
            results.setdefault(f"tutorial, {askers}", []).append(
                per_core_qps(tutorial.answer, questions, askers, args.seconds)
            )
    print(f"{os.cpu_count()} cores, {args.seconds:.0f} s per run, {args.repeats} repeats")
    for name, values in results.items():
        print(
            f"{name:44s} askers: {statistics.median(values):6.2f} q/s per core "
            f"({min(values):.2f}–{max(values):.2f})"
        )


if __name__ == "__main__":
    main()
