"""Characters per answer as members read it: the Discord embed and the CLI's readable answer.

Asks every question of a labelled set (default: tests/data/seed_dev.jsonl) of an index of the
article in docs_corpus/, renders each answer the way the bot and `qabot ask` show it, and prints
the median, mean and range of their lengths. Not part of the tests:

    .venv/bin/python -m benchmarks.answer_length [QUESTIONS.jsonl]
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
from pathlib import Path

from bot import render
from bot.terminal import format_answer
from index.engine import Engine
from index.settings import EngineSettings

ROOT = Path(__file__).resolve().parent.parent


def embed_chars(embed) -> int:
    """What Discord counts towards its 6,000: title, description, fields, footer."""
    return len(embed)


def summary(values: list[int]) -> str:
    return (
        f"median {statistics.median(values):.0f}, mean {statistics.mean(values):.0f}"
        f" ({min(values)}–{max(values)})"
    )


def main(argv: list[str]) -> int:
    questions_file = Path(argv[0]) if argv else ROOT / "tests/data/seed_dev.jsonl"
    questions = [json.loads(line)["question"] for line in questions_file.open() if line.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        engine = Engine.open(EngineSettings(corpus_dir=ROOT / "docs_corpus", index_dir=Path(tmp)))
        answers = [engine.answer(q) for q in questions]
    answered = [a for a in answers if a.answered]
    print(f"{len(answers)} questions, {len(answered)} answered")
    for label, group in (("answered", answered), ("all", answers)):
        embeds = [embed_chars(render.answer_embed(a)) for a in group]
        cli = [len(format_answer(a)) for a in group]
        print(f"{label:9s} Discord embed: {summary(embeds)}")
        print(f"{label:9s} CLI answer:    {summary(cli)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
