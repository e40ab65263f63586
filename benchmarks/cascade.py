"""Passages one at a time against reading all three, paired question by question in one process.

    python -m benchmarks.cascade [FOLDER] [--corpus DIR] [--index DIR] [--questions N]
                                 [--repeats R]

Asks N questions of a folder's corpus (a SQuAD-style folder or a BEIR folder, as
benchmarks/answer_step.py; default: the 1k tier's 200 SciFact queries, `make bench`'s questions)
R times. Each question is asked three times in a row, the order rotating so that every way sees
the same machine load: with the cascade (index/query/cascade.py: the best passage, then the
others side by side), with the cascade reading the others one after another, and with all three
read one after another as before the cascade. Prints, per way, the warm answer's p50 and p95 and
the reader's p50 and mean in milliseconds (the median over the repeats, min–max), each p50's
ratio to the last way's per repeat, how many passages the cascade read, and how many answers
differ beyond their time (an abstention decided early may report a lower confidence: counted
apart).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np

from benchmarks.cache import CACHE_DIR
from benchmarks.corpora import make_tier
from index.engine import Engine
from index.query import cascade
from index.settings import EngineSettings


class Counting:
    """The engine's reader, counting the passages read since the last `take`."""

    def __init__(self, reader):
        self.reader = reader
        self.count = 0

    def read(self, question, passages):
        self.count += len(passages)
        return self.reader.read(question, passages)

    def take(self) -> int:
        count, self.count = self.count, 0
        return count


def _questions(folder: Path | None, limit: int) -> tuple[list[str], Path]:
    if folder is None:
        questions = json.loads((CACHE_DIR / "questions.json").read_text())
        return questions[:limit], make_tier("1k").folder
    beir = (folder / "queries.jsonl").is_file()
    file, key = ("queries.jsonl", "text") if beir else ("questions.jsonl", "question")
    lines = (folder / file).read_text(encoding="utf-8").splitlines()[:limit]
    return [json.loads(line)[key] for line in lines], folder / (
        "corpus.jsonl" if beir else "corpus"
    )


MODES = {  # name: (the cascade on, later passages side by side)
    "cascade": (True, True),
    "cascade, one after another": (True, False),
    "all three, one after another": (False, False),  # as before the cascade
}


@contextlib.contextmanager
def reading(onnx_reader, mode: str) -> Iterator[None]:
    """Answer the questions asked inside as `mode` says (the engine's OnnxReader)."""
    on, side_by_side = MODES[mode]
    real, pool = cascade.margin_bound, onnx_reader.pool
    if not on:
        cascade.margin_bound = lambda model: None
    if not side_by_side:
        onnx_reader.pool = None
    try:
        yield
    finally:
        cascade.margin_bound, onnx_reader.pool = real, pool


def _ask(engine: Engine, reader: Counting, question: str, mode: str):
    with reading(reader.reader, mode):
        answer, times = engine.answer_timed(question)
    total = times.embed_ms + times.search_ms + times.read_ms + times.answer_ms
    return answer, total, times.read_ms, reader.take()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, nargs="?")
    parser.add_argument("--corpus", type=Path, help="ask the questions of this corpus instead")
    parser.add_argument("--index", type=Path, default=Path(".qabot/bench-cascade"))
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    questions, corpus = _questions(args.folder, args.questions)
    engine = Engine.open(EngineSettings(corpus_dir=args.corpus or corpus, index_dir=args.index))
    reader = engine.reader = Counting(engine.reader)
    for question in questions[:10]:  # warm-up, every way
        for mode in MODES:
            _ask(engine, reader, question, mode)
    runs: dict[str, list[float]] = {}
    passages: dict[int, int] = {}
    differ = lower = 0
    modes = list(MODES)
    for repeat in range(args.repeats):
        timed: dict[str, list] = {mode: [] for mode in modes}
        for n, question in enumerate(questions):
            turn = (n + repeat) % len(modes)
            results = {m: _ask(engine, reader, question, m) for m in modes[turn:] + modes[:turn]}
            for mode, result in results.items():
                timed[mode].append(result[1:3])
            if repeat == 0:
                early, full = results["cascade"][0], results["all three, one after another"][0]
                count = results["cascade"][3]
                passages[count] = passages.get(count, 0) + 1
                differ += _shown(early) != _shown(full)
                lower += early.confidence != full.confidence and _shown(early) == _shown(full)
        for mode in modes:
            totals, reads = np.array(timed[mode]).T
            runs.setdefault(f"{mode}: p50", []).append(float(np.percentile(totals, 50)))
            runs.setdefault(f"{mode}: p95", []).append(float(np.percentile(totals, 95)))
            runs.setdefault(f"{mode}: reader p50", []).append(float(np.percentile(reads, 50)))
            runs.setdefault(f"{mode}: reader mean", []).append(float(np.mean(reads)))
        for mode in modes[:2]:
            ratio = runs[f"{mode}: p50"][-1] / runs["all three, one after another: p50"][-1]
            runs.setdefault(f"{mode}: p50 / before", []).append(ratio)
    print(f"{len(questions)} questions x {args.repeats} runs, {len(engine._index)} chunks")
    for name, values in runs.items():
        print(f"{name:42s} {statistics.median(values):7.3f} ({min(values):.3f}–{max(values):.3f})")
    shares = {k: round(v / len(questions), 3) for k, v in sorted(passages.items())}
    print(f"passages read with the cascade (share of questions): {shares}")
    print(f"answers that differ: {differ}; abstentions with a lower confidence only: {lower}")


def _shown(answer):
    return replace(answer, took_ms=0.0, confidence=answer.confidence if answer.answered else 0.0)


if __name__ == "__main__":
    main()
