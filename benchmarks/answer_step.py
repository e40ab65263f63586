"""Where a warm answer's time goes, by stage, with the fitted answer step included.

    python -m benchmarks.answer_step [FOLDER] [--corpus DIR] [--index DIR] [--questions N]
                                     [--repeats R]

Asks N questions of a folder's corpus R times: a SQuAD-style folder (questions.jsonl and corpus/;
default ../shared/eval/squad2-dev-half) or a BEIR folder (queries.jsonl and corpus.jsonl).
`--corpus` asks them of another corpus, e.g. the 100k tier of `benchmarks.corpora`, whose first
documents are SciFact's:

    python -m benchmarks.answer_step ../shared/bench/scifact --questions 300 \
        --corpus benchmarks/.cache/corpora/100k --index .qabot/bench-100k

It prints the process's peak resident memory, and each stage's p50 and p99 in milliseconds (the
engine's own stage times: question embedding, search, the reader's pass over the best passages,
and the answer step that scores candidates and composes the answer) as the median over the
repeats with min–max. The reader reads three passages whatever the corpus size, so its cost
follows the passages' length (SciFact's abstracts are longer than SQuAD's paragraphs), not the
number of chunks; search grows with the corpus.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

import numpy as np

from benchmarks.memory import peak_rss_mb
from index.engine import Engine
from index.settings import EngineSettings

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "squad2-dev-half"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, nargs="?", default=DEFAULT)
    parser.add_argument("--corpus", type=Path, help="ask the questions of this corpus instead")
    parser.add_argument("--index", type=Path, default=Path(".qabot/bench-answer-step"))
    parser.add_argument("--questions", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    beir = (args.folder / "queries.jsonl").is_file()
    file, key = ("queries.jsonl", "text") if beir else ("questions.jsonl", "question")
    lines = (args.folder / file).read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)[key] for line in lines[: args.questions]]
    corpus = args.corpus or args.folder / ("corpus.jsonl" if beir else "corpus")
    engine = Engine.open(EngineSettings(corpus_dir=corpus, index_dir=args.index))
    for question in questions[:20]:  # warm-up
        engine.answer(question)
    runs: dict[str, list[float]] = {}
    for _ in range(args.repeats):
        times = [engine.answer_timed(q)[1] for q in questions]
        for stage in ("embed_ms", "search_ms", "read_ms", "answer_ms"):
            values = np.array([getattr(t, stage) for t in times])
            runs.setdefault(f"{stage[:-3]} p50", []).append(float(np.percentile(values, 50)))
            runs.setdefault(f"{stage[:-3]} p99", []).append(float(np.percentile(values, 99)))
        totals = np.array([t.embed_ms + t.search_ms + t.read_ms + t.answer_ms for t in times])
        runs.setdefault("total p50", []).append(float(np.percentile(totals, 50)))
        runs.setdefault("total p99", []).append(float(np.percentile(totals, 99)))
    print(f"{len(questions)} questions x {args.repeats} runs, {len(engine._index)} chunks")
    peak = peak_rss_mb()
    print(f"peak RSS     {peak:6.0f} MB (the whole process: models, index, questions)")
    for name, values in runs.items():
        print(
            f"{name:12s} {statistics.median(values):6.2f} ms ({min(values):.2f}–{max(values):.2f})"
        )


if __name__ == "__main__":
    main()
