"""Labelled rows for the answer model: each candidate sentence of a question's best passages,
with its features and whether it holds a gold answer in the right document.

Two kinds of question sets:
- the set the reader was trained on (the SQuAD 2.0 dev half): its reader scores must be the
  out-of-fold ones `python -m index.training.reader_train` leaves in the index folder (`collect`);
- sets the shipped reader never saw (SQuADShifts' reviews and new Wikipedia articles, all
  answerable): read with the shipped reader, each question asked twice, of its corpus and of the
  corpus without its own document (`collect_held_out`). The second asks what the documents don't
  cover, as users' off-topic questions do: every candidate is a negative.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.errors import QabotError
from index.evaluate import normalise
from index.lexical import question_terms, term_weights
from index.query.features import (
    CANDIDATE_PASSAGES,
    FEATURES,
    candidate_features,
    candidates_of,
    reader_margins,
)
from index.query.retrieve import retrieve
from index.training.common import Asked, ask_all, questions_sha256
from index.training.reader_train import out_of_fold_path


@dataclass
class Rows:
    features: np.ndarray  # one row per candidate sentence
    labels: np.ndarray  # holds a gold answer, in the right document
    question: np.ndarray  # index of its question
    answerable: np.ndarray  # per question
    document: np.ndarray  # per question: its gold document (the CV group)
    corpus: np.ndarray  # per question: the set it comes from
    kind: np.ndarray | None = None  # per question, where known: see collect_held_out

    @classmethod
    def join(cls, parts: list[Rows]) -> Rows:
        offsets = np.cumsum([0] + [len(p.answerable) for p in parts])
        return cls(
            np.concatenate([p.features for p in parts]),
            np.concatenate([p.labels for p in parts]),
            np.concatenate([p.question + o for p, o in zip(parts, offsets, strict=False)]),
            np.concatenate([p.answerable for p in parts]),
            np.concatenate([p.document for p in parts]),
            np.concatenate([p.corpus for p in parts]),
            np.concatenate([_kinds(p) for p in parts]),
        )


def _kinds(rows: Rows) -> np.ndarray:
    if rows.kind is not None:
        return rows.kind
    return np.where(rows.answerable, "asked", "adversarial")


def collect(folder: Path, index_dir: Path) -> Rows:
    """Ask every question; the reader's scores are the out-of-fold ones
    `python -m index.training.reader_train` left in the index folder: each from a reader that was
    not trained on that question's document."""
    asked, index, _ = ask_all(folder, index_dir)
    path = out_of_fold_path(index_dir, questions_sha256(folder))
    try:
        saved = np.load(path)
        margins = np.split(saved["margins"], np.cumsum(saved["counts"])[:-1])
    except (OSError, KeyError, ValueError):
        raise QabotError(
            f"no out-of-fold reader scores at {path}: run `python -m index.training.reader_train "
            f"{folder} --index {index_dir}` first"
        ) from None
    if [len(m) for m in margins] != [len(a.candidates) for a in asked]:
        raise QabotError(
            f"the reader scores at {path} are for other candidates: retrain the reader"
        )
    answerable = [bool(a.record["answerable"]) for a in asked]
    return _rows(asked, margins, answerable, index.bm25.idf, folder.name)


def collect_held_out(folder: Path, index_dir: Path, limit: int | None = None) -> Rows:
    """A set read with the shipped reader, each question asked of its corpus and, when it is
    answerable, again without its own document (off-topic) and, in documents of several
    paragraphs, without its own paragraph (a near miss: the document is on the topic but may not
    hold the answer any more; it stays answerable when another paragraph holds a gold answer).
    Every question's kind is in `kind`: asked, adversarial (unanswerable as written), off-topic
    or near-miss."""
    asked, index, models = ask_all(folder, index_dir, limit=limit)
    reader = models.reader(index_dir)
    paragraphs = _paragraphs(folder / "corpus", {str(a.record.get("doc")) for a in asked})
    variants: list[tuple[Asked, bool, tuple[str, int | None] | None]] = [
        (a, bool(a.record["answerable"]), None) for a in asked
    ]
    for a in (a for a in asked if a.record["answerable"]):
        doc = str(a.record.get("doc"))
        variants.append((a, False, (doc, None)))
        if len(paragraphs[doc]) > 1:
            number = int(a.record.get("paragraph") or 0)
            others = " ".join(p for n, p in enumerate(paragraphs[doc], start=1) if n != number)
            golds = [normalise(g) for g in a.record.get("answers") or ()]
            variants.append((a, any(g in others for g in golds), (doc, number)))
    questions = []
    for a, _, place in variants:
        if place is None:
            questions.append(a)
            continue
        hits = retrieve(index, a.vector, question_terms(a.question), 5, leave_out=place)
        questions.append(
            Asked(a.record, a.question, a.vector, hits[:CANDIDATE_PASSAGES], candidates_of(hits))
        )
    margins = [
        reader_margins(
            reader.read(a.question, [h.chunk.text for h in a.hits]), a.candidates, a.hits
        )
        for a in questions
    ]
    answerable = [can for _, can, _ in variants]
    rows = _rows(questions, margins, answerable, index.bm25.idf, folder.name)
    rows.kind = np.asarray([_kind(a, place) for a, _, place in variants])
    return rows


def _kind(asked: Asked, place: tuple[str, int | None] | None) -> str:
    if place is None:
        return "asked" if asked.record["answerable"] else "adversarial"
    return "off-topic" if place[1] is None else "near-miss"


def _paragraphs(corpus: Path, docs: set[str]) -> dict[str, list[str]]:
    """Each document's paragraphs after its title line, normalised (the SQuAD-style layout)."""
    found = {}
    for doc in docs:
        text = (corpus / doc).read_text(encoding="utf-8")
        body = text.split("\n\n", 1)[1] if "\n\n" in text else text
        found[doc] = [normalise(p) for p in body.split("\n\n") if p.strip()]
    return found


def _rows(asked: list[Asked], margins, answerable: list[bool], idf, corpus: str) -> Rows:
    features, labels, owners = [], [], []
    for number, (item, margin, can) in enumerate(zip(asked, margins, answerable, strict=True)):
        terms = term_weights(item.question, idf)
        features.append(
            candidate_features(
                item.question, item.vector, item.hits, item.candidates, terms, margin
            )
        )
        golds = [normalise(a) for a in item.record.get("answers") or ()] if can else []
        for candidate in item.candidates:
            right_doc = item.hits[candidate.hit].chunk.doc_id == item.record.get("doc")
            text = normalise(candidate.text)
            labels.append(right_doc and any(g in text for g in golds))
            owners.append(number)
    empty = np.zeros((0, len(FEATURES)))
    return Rows(
        np.concatenate(features or [empty]).astype(np.float64),
        np.asarray(labels, dtype=bool),
        np.asarray(owners, dtype=np.int64),
        np.asarray(answerable, dtype=bool),
        np.asarray([str(a.record.get("doc")) for a in asked]),
        np.asarray([corpus] * len(asked)),
    )
