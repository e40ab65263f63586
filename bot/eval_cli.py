"""`qabot eval`: score answers on labelled or SQuAD-style sets, or retrieval on a BEIR folder.

One file prints that set's own measures; several print one table with the same measures for
every set (locate@1, answer_rate, answer, abstain, accuracy, answered when located), which is
what `make eval` runs over every set the project has.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from bot.arguments import engine_settings
from index.errors import QabotError, QuestionError
from index.settings import EngineSettings

COLUMNS = (
    ("locate@1", "locate_at_1"),
    ("answer_rate", "answer_rate"),
    ("answer", "answer"),
    ("abstain", "abstain"),
    ("accuracy", "accuracy"),
    ("answered when located", "answered_when_located"),
)


def add_eval_command(commands, paths: Callable[[argparse.ArgumentParser], None]) -> None:
    evaluate = commands.add_parser(
        "eval", help="score answers on labelled or SQuAD-style sets, or retrieval on BEIR"
    )
    paths(evaluate)
    evaluate.add_argument(
        "file", nargs="*", type=Path, help="labelled questions (.jsonl); several: one table"
    )
    evaluate.add_argument(
        "--beir", type=Path, metavar="DIR", help="a BEIR folder to score retrieval on"
    )
    evaluate.add_argument(
        "--run", type=Path, metavar="FILE", help="with --beir: write a TREC run file"
    )
    evaluate.add_argument(
        "--sample",
        type=int,
        metavar="N",
        help="SQuAD-style sets: only the questions of whole documents dealt in seed 0's order "
        "until N, the sample the abstention levels are placed on and the reader never learns from",
    )
    evaluate.add_argument("--json", action="store_true")
    evaluate.add_argument("--verbose", action="store_true", help="list the questions that missed")
    evaluate.set_defaults(handler=_eval)


def _eval(args: argparse.Namespace) -> int:
    if args.beir is None and not args.file:
        raise QuestionError("give a labelled .jsonl file (or several), or --beir DIR")
    if args.beir is not None or (len(args.file) == 1 and args.sample is None):
        return _eval_one(args)
    return _eval_table(args)


def _eval_table(args: argparse.Namespace) -> int:
    """Every set, asked as users ask: SQuAD-style sets of the corpus beside them (each in an
    index of its own), others of the configured one (--corpus, --index, QABOT_CORPUS_DIR)."""
    from index import runtime
    from index.engine import Engine
    from index.evaluate import documents_sample, read_questions, set_figures

    rows = []
    models = None  # loaded once, shared by every set's engine
    for path in args.file:
        items = read_questions(path)
        squad = bool(items) and all(item.squad for item in items)
        if squad and args.sample is not None:
            chosen = documents_sample([str(item.doc) for item in items], args.sample)
            items = [item for item in items if item.doc in chosen]
        settings = _squad_settings(args, path, own=True) if squad else engine_settings(args)
        models = models or runtime.load_models(settings)
        engine = Engine.open(settings, models)
        answers = [engine.answer(item.question) for item in items]
        rows.append(set_figures(_set_name(path), items, answers))
    if args.json:
        print(json.dumps([asdict(row) for row in rows]))
    else:
        print(format_table(rows))
    return 0


def format_table(rows: list) -> str:
    """A plain-text table, one row per set; "–" where a measure doesn't apply."""
    header = ["set", "questions", *(name for name, _ in COLUMNS)]
    lines = [header]
    for row in rows:
        cells = [row.name, f"{row.questions} ({row.answerable} answerable)"]
        for _, key in COLUMNS:
            value = getattr(row, key)
            cells.append("–" if value is None else f"{value:.3f}")
        lines.append(cells)
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


def _set_name(path: Path) -> str:
    """The set's folder for SQuAD-style `questions.jsonl` files, else the file's name."""
    return path.parent.name if path.name == "questions.jsonl" else path.stem


def _squad_settings(args: argparse.Namespace, path: Path, own: bool = False) -> EngineSettings:
    """A SQuAD-style set: its documents are `corpus/` beside the file unless --corpus says (or
    always, with `own`), in an index of their own beside the configured one unless --index
    says."""
    corpus = (None if own else args.corpus) or path.parent / "corpus"
    if not corpus.is_dir():
        raise QabotError(f"no corpus for {path}: give --corpus DIR (its `doc` files)")
    index_dir = (None if own else args.index) or _eval_index_dir(corpus, "squad")
    return EngineSettings.from_env(corpus, index_dir)


def _eval_one(args: argparse.Namespace) -> int:
    from index.beir import read_beir, score_rankings, write_trec_run
    from index.engine import Engine
    from index.evaluate import read_questions, score_answers

    if args.beir is not None:
        queries, qrels = read_beir(args.beir)
        index_dir = args.index or _eval_index_dir(args.beir, "beir")
        engine = Engine.open(EngineSettings.from_env(args.beir / "corpus.jsonl", index_dir))
        ids = list(queries)
        rankings = dict(zip(ids, engine.rank_documents([queries[q] for q in ids]), strict=True))
        scores = score_rankings(rankings, qrels)
        if args.run:
            write_trec_run(args.run, rankings)
        if args.json:
            print(json.dumps(asdict(scores)))
        else:
            print(f"queries: {scores.queries}")
            for key in ("ndcg_at_10", "recall_at_10", "recall_at_100", "mrr_at_10"):
                print(f"{key.replace('_at_', '@')}: {getattr(scores, key):.4f}")
        return 0
    items = read_questions(args.file[0])
    if items and all(item.squad for item in items):
        return _eval_squad(args, items)
    engine = Engine.open(engine_settings(args))
    answers = [engine.answer(item.question) for item in items]
    scores = score_answers(items, answers)
    if args.json:
        print(json.dumps(asdict(scores)))
        return 0
    print(f"questions: {scores.questions}")
    for key in ("cite_at_1", "cite_at_3", "answer", "sources", "abstain", "answer_rate"):
        print(f"{key.replace('_at_', '@')}: {getattr(scores, key):.3f}")
    if args.verbose:
        print("\n".join(scores.failures))
    return 0


def _eval_squad(args: argparse.Namespace, items: list) -> int:
    """A SQuAD-style set: its documents are `corpus/` beside the file unless --corpus says."""
    from index.engine import Engine
    from index.evaluate import score_squad

    engine = Engine.open(_squad_settings(args, args.file[0]))
    scores = score_squad(items, [engine.answer(item.question) for item in items])
    if args.json:
        print(json.dumps({k: v for k, v in asdict(scores).items() if k != "failures"}))
        return 0
    print(f"questions: {scores.questions} ({scores.answerable} answerable)")
    for key in ("locate_at_1", "answer", "answer_rate", "abstain", "accuracy"):
        print(f"{key.replace('_at_', '@')}: {getattr(scores, key):.3f}")
    if args.verbose:
        print("\n".join(scores.failures))
    return 0


def _eval_index_dir(folder: Path, kind: str) -> Path:
    """An evaluation set's own index, beside the configured one."""
    base = EngineSettings.from_env().index_dir.parent
    tag = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:8]
    return base / f"{kind}-{folder.resolve().name}-{tag}"
