"""Sentence splitter: speed on SciFact abstracts and the English Golden Rules score.

    python -m benchmarks.sentences [--runs 7] [--corpus PATH] [--rules PATH]

Speed is megabytes of abstract text (UTF-8) split per second: the median of several runs over
the whole corpus, with the slowest and fastest run beside it. The Golden Rules score counts the
cases whose sentences all match (`case_passes`, which tests/test_sentences.py uses too).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from pathlib import Path

from index.sentences import split_sentences

SCIFACT = Path("/work/shared/bench/scifact/corpus.jsonl")
GOLDEN_RULES = Path(__file__).resolve().parent.parent / "tests/data/golden_rules_en.jsonl"

# A list marker opening an expected sentence ("1.)", "• 9.", "a."): split_sentences leaves
# markers out of its spans by contract, so they are dropped before comparing.
_EXPECTED_MARKER = re.compile(r"(?:[•⁃▪◦‣*\-–—]\s*)?(?:\(?(?:\d{1,3}|[a-z])(?:\.\)|[.)])\s+)?")


def read_cases(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def _folded(sentence: str) -> str:
    return " ".join(sentence.split())


def case_passes(case: dict) -> bool:
    """Whether the spans' texts are the expected sentences, without their list markers.

    White space inside a sentence is folded on both sides (a case written on one line may
    expect a sentence whose line break the source text keeps); the spans themselves are exact.
    """
    expected = [_folded(s[_EXPECTED_MARKER.match(s).end() :]) for s in case["sentences"]]
    return [_folded(t) for t in _texts(case["text"])] == expected


def _texts(text: str) -> list[str]:
    return [text[a:b] for a, b in split_sentences(text)]


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
