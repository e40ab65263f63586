"""What the fitting commands share: asking a SQuAD-style set's questions as the engine asks them,
the folds by document, and the command-line arguments.

`python -m index.training.reader_train` and `python -m index.training.fit` both use it; serving
never imports anything under index/training/.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from index.evaluate import documents_sample
from index.lexical import question_terms
from index.query.features import CANDIDATE_PASSAGES, Candidate, candidates_of
from index.query.retrieve import Hit, retrieve
from index.settings import EngineSettings
from index.store import StoredIndex

if TYPE_CHECKING:
    from index.runtime import Models

SEED = 0
FOLDS = 6
LEVELS_SAMPLE = 3000  # questions per set the levels are placed on (index.training.levels)


@dataclass(frozen=True)
class Asked:
    """One question as the engine asks it: its record, its best passages and their candidates."""

    record: dict
    question: str
    vector: np.ndarray
    hits: list[Hit]  # the passages candidates come from, best first
    candidates: list[Candidate]


def ask_all(
    folder: Path,
    index_dir: Path,
    k: int = 5,
    limit: int | None = None,
    records: list[dict] | None = None,
) -> tuple[list[Asked], StoredIndex, Models]:
    """Build (or update) an index of the folder's corpus and ask it every question (or, with
    `limit`, the questions of whole documents taken in a seeded order until about that many; or
    the `records` given); with the index, whose IDF the features read, and the models that served
    them."""
    from index.build.rebuild import rebuild
    from index.engine import check_question
    from index.runtime import Models

    records = read_records(folder, limit) if records is None else records
    settings = EngineSettings(corpus_dir=folder / "corpus", index_dir=index_dir)
    models = Models(settings)
    _, index = rebuild(settings, models)
    # Questions are embedded the way the engine serves them: the ONNX export where it works.
    questions = models.question_embedder(index_dir) or models.build_embedder()
    asked = []
    for record in records:
        question = check_question(record["question"])
        vector = questions.embed_query(question)
        hits = retrieve(index, vector, question_terms(question), k)
        asked.append(
            Asked(record, question, vector, hits[:CANDIDATE_PASSAGES], candidates_of(hits))
        )
    return asked, index, models


def read_records(folder: Path, limit: int | None = None, from_end: bool = False) -> list[dict]:
    """The folder's questions, in file order; with `limit`, those of whole documents dealt in a
    seeded order until at least `limit` are taken, and each (doc, paragraph, question) once.
    `from_end` deals the same order from its other end: documents disjoint from the first
    sample's while the two samples together hold fewer questions than the folder."""
    with (folder / "questions.jsonl").open(encoding="utf-8") as lines:
        records = [json.loads(line) for line in lines]
    if limit is None or limit >= len(records):
        return records
    chosen = documents_sample([str(r.get("doc")) for r in records], limit, SEED, from_end)
    seen: set[tuple] = set()
    kept = []
    for record in records:
        key = (record.get("doc"), record.get("paragraph"), record["question"].strip())
        if str(record.get("doc")) in chosen and key not in seen:
            seen.add(key)
            kept.append(record)
    return kept


def questions_sha256(folder: Path) -> str:
    return _sha256(folder / "questions.jsonl")


def fold_of(documents: np.ndarray) -> np.ndarray:
    """Each question's fold: documents are dealt to folds in a fixed shuffled order."""
    names = sorted(set(documents.tolist()))
    order = np.random.default_rng(SEED).permutation(len(names))
    fold = {names[i]: position % FOLDS for position, i in enumerate(order)}
    return np.asarray([fold[d] for d in documents])


def arguments(prog: str, description: str | None, out: Path) -> argparse.ArgumentParser:
    """The fitting commands' arguments. Both use the same index folder: the reader's command
    leaves its out-of-fold scores there, and this one reads them."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("folder", type=Path, help="a SQuAD-style folder: corpus/, questions.jsonl")
    parser.add_argument("--index", type=Path, default=Path(".qabot/fit-index"))
    parser.add_argument("--out", type=Path, default=out)
    return parser


def write_sha256(path: Path) -> None:
    """Write the file's checksum beside it (`<name>.sha256`), as the loaders check it."""
    path.with_suffix(".sha256").write_text(f"{_sha256(path)}  {path.name}\n")


def write_model_file(path: Path, spec: dict) -> None:
    """Write a fitted model's JSON file, and its checksum beside it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(json.dumps(spec, indent=1).encode())
    write_sha256(path)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
