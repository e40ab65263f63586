"""Sentence splitter: speed on SciFact abstracts and the English Golden Rules score.

    python -m benchmarks.sentences [--runs 7] [--corpus PATH] [--rules PATH]

Speed is megabytes of abstract text (UTF-8) split per second: the median of several runs over
the whole corpus, with the slowest and fastest run beside it. The Golden Rules score counts the
cases whose sentences all match, compared as tests/test_sentences.py compares them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from index.sentences import split_sentences
from tests.test_sentences import case_passes, read_cases

SCIFACT = Path("/work/shared/bench/scifact/corpus.jsonl")
GOLDEN_RULES = Path(__file__).resolve().parent.parent / "tests/data/golden_rules_en.jsonl"


def read_abstracts(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line)["text"] for line in lines if line.strip()]


def megabytes_per_second(texts: list[str], runs: int) -> list[float]:
    """One figure per run: the whole list split once, after one untimed warm-up run."""
    megabytes = sum(len(text.encode("utf-8")) for text in texts) / 1e6
    for text in texts:
        split_sentences(text)
    speeds = []
    for _ in range(runs):
        started = time.perf_counter()
        for text in texts:
            split_sentences(text)
        speeds.append(megabytes / (time.perf_counter() - started))
    return speeds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--corpus", type=Path, default=SCIFACT)
    parser.add_argument("--rules", type=Path, default=GOLDEN_RULES)
    args = parser.parse_args()

    texts = read_abstracts(args.corpus)
    speeds = megabytes_per_second(texts, args.runs)
    print(
        f"SciFact abstracts ({len(texts)} texts): {statistics.median(speeds):.1f} MB/s "
        f"(min {min(speeds):.1f}, max {max(speeds):.1f}, {args.runs} runs)"
    )
    cases = read_cases(args.rules)
    failed = [case for case in cases if not case_passes(case)]
    print(f"{args.rules.name}: {len(cases) - len(failed)}/{len(cases)} cases pass")
    for case in failed:
        print(f"  failed #{case.get('id', '?')}: {case.get('name', case['text'][:60])}")


if __name__ == "__main__":
    main()
