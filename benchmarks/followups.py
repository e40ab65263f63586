"""Follow-up questions with and without the previous turn (tests/data/followups.jsonl).

Each item is a first question, a follow-up that leans on it ("When did he say that?") and a key
phrase the follow-up's answer should hold. Without context the follow-up is asked alone, as the
bot did before; with context it carries the first question and the passages its answer cited.
`article` items are asked of docs_corpus/, `squad` items of the SQuAD 2.0 dev half's corpus:

    .venv/bin/python -m benchmarks.followups [../shared/eval/squad2-dev-half/corpus]

cite@1: the key is in the first passage shown ([1], or the closest related passage);
answer: the key is in the answer text.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from index.engine import Engine
from index.models import Answer
from index.query.context import Context, Turn
from index.settings import EngineSettings

ROOT = Path(__file__).resolve().parent.parent
SQUAD = ROOT.parent / "shared/eval/squad2-dev-half/corpus"


def shown(answer: Answer) -> tuple[str, ...]:
    cited = answer.citations if answer.answered else answer.related[:3]
    return tuple(c.chunk_id for c in cited)


def first_passage(answer: Answer) -> str:
    cited = answer.citations or answer.related
    return cited[0].passage if cited else ""


def score(engine: Engine, items: list[dict], verbose: bool) -> dict[str, list[int]]:
    marks: dict[str, list[int]] = {"cite_alone": [], "answer_alone": [], "cite": [], "answer": []}
    for item in items:
        key = item["key"].lower()
        first = engine.answer(item["first"])
        alone = engine.answer(item["followup"])
        context = Context((Turn(first.question, shown(first)),))
        followed = engine.answer(item["followup"], context)
        for name, answer in (("_alone", alone), ("", followed)):
            marks["cite" + name].append(int(key in first_passage(answer).lower()))
            marks["answer" + name].append(int(answer.answered and key in answer.answer.lower()))
        if verbose:
            print(item["id"], marks["answer_alone"][-1], marks["answer"][-1], followed.answer[:90])
    return marks


def main(argv: list[str]) -> int:
    verbose = "--verbose" in argv
    argv = [a for a in argv if a != "--verbose"]
    squad = Path(argv[0]) if argv else SQUAD
    items = [json.loads(line) for line in (ROOT / "tests/data/followups.jsonl").open()]
    totals: dict[str, list[int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for corpus, folder in (("article", ROOT / "docs_corpus"), ("squad", squad)):
            settings = EngineSettings(corpus_dir=folder, index_dir=Path(tmp) / corpus)
            engine = Engine.open(settings)
            marks = score(engine, [i for i in items if i["corpus"] == corpus], verbose)
            report(corpus, marks)
            for name, values in marks.items():
                totals.setdefault(name, []).extend(values)
    report("all", totals)
    return 0


def report(label: str, marks: dict[str, list[int]]) -> None:
    n = len(marks["cite"])
    rate = {name: sum(values) / n for name, values in marks.items()}
    print(
        f"{label:8s} n={n:2d}  without context: cite@1 {rate['cite_alone']:.3f}"
        f" answer {rate['answer_alone']:.3f}  |  with context: cite@1 {rate['cite']:.3f}"
        f" answer {rate['answer']:.3f}"
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
