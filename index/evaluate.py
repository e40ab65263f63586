"""Scoring cited answers on labelled question sets (retrieval on a BEIR folder: index/beir.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.errors import QabotError
from index.models import Answer


@dataclass(frozen=True)
class LabelledQuestion:
    id: str
    question: str
    answerable: bool
    key: str
    sources: tuple[str, ...]
    # SQuAD-style sets: the gold answers, their document, and where answers[0] starts in it
    answers: tuple[str, ...] = ()
    doc: str | None = None
    char_start: int | None = None
    paragraph: int | None = None

    @property
    def squad(self) -> bool:
        return self.doc is not None


@dataclass(frozen=True)
class QaScores:
    questions: int
    cite_at_1: float
    cite_at_3: float
    answer: float
    sources: float
    abstain: float
    answer_rate: float
    failures: tuple[str, ...]  # one line per question that missed a measure


@dataclass(frozen=True)
class SquadScores:
    """Answer-or-abstain figures on a SQuAD-style set (see README, Quality)."""

    questions: int
    answerable: int
    # the first passage shown ([1], or the closest related passage when qabot abstains) lies in
    # the right document and spans a gold answer
    locate_at_1: float
    answer: float  # answerable questions whose answer text holds a gold answer
    answer_rate: float  # answerable questions answered at all
    abstain: float  # unanswerable questions abstained on
    accuracy: float  # right answers plus right abstentions, over all questions
    failures: tuple[str, ...]


def read_questions(path: Path) -> list[LabelledQuestion]:
    items = []
    for number, line in enumerate(read_lines(path), start=1):
        try:
            record = json.loads(line)
            answers = tuple(record.get("answers") or ())
            items.append(
                LabelledQuestion(
                    str(record.get("id", number)),
                    record["question"],
                    bool(record["answerable"]),
                    record.get("key") or (answers[0] if answers else ""),
                    tuple(record.get("sources") or ()),
                    answers,
                    record["doc"] if "answers" in record else None,
                    record.get("char_start"),
                    record.get("paragraph"),
                )
            )
        except (ValueError, KeyError, TypeError) as error:
            raise QabotError(
                f"{path} line {number} is not a labelled question ({error})"
            ) from error
    return items


def documents_sample(
    docs: list[str], limit: int, seed: int = 0, from_end: bool = False
) -> set[str]:
    """Whole documents, dealt in a seeded order, until their questions number at least `limit`
    (`docs` holds each question's document). `from_end` deals the same order from its other end:
    documents apart from the first sample's while the two together hold fewer questions than
    there are. The abstention levels are placed on the first sample and the reader learns from
    the other (index/training), so `qabot eval --sample` scores what neither was fitted on."""
    names = sorted(set(docs))
    counts = {name: 0 for name in names}
    for doc in docs:
        counts[doc] += 1
    order = np.random.default_rng(seed).permutation(len(names))
    chosen: set[str] = set()
    taken = 0
    for i in order[::-1] if from_end else order:
        if taken >= limit:
            break
        chosen.add(names[i])
        taken += counts[names[i]]
    return chosen


def read_lines(path: Path) -> list[str]:
    try:
        return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, UnicodeDecodeError) as error:
        raise QabotError(f"can't read {path}: {error}") from error


def normalise(text: str) -> str:
    """Lowercase with white space folded: how answers and keys are compared."""
    return " ".join(text.lower().split())


def score_answers(items: list[LabelledQuestion], answers: list[Answer]) -> QaScores:
    hits = {"cite1": 0, "cite3": 0, "answer": 0, "sources": 0, "abstain": 0, "answered": 0}
    failures: list[str] = []
    answerable = [(q, a) for q, a in zip(items, answers, strict=True) if q.answerable]
    unanswerable = [(q, a) for q, a in zip(items, answers, strict=True) if not q.answerable]
    for q, a in answerable:
        key = normalise(q.key)
        passages = [normalise(c.passage) for c in a.citations]
        first_sources = {s.name for s in a.citations[0].sources} if a.citations else set()
        checks = {
            "cite1": bool(passages) and key in passages[0],
            "cite3": any(key in p for p in passages[:3]),
            "answer": a.answered and key in normalise(a.answer),
            "sources": set(q.sources) <= first_sources,
            "answered": a.answered,
        }
        _tally(q, checks, hits, failures)
    for q, a in unanswerable:
        hits["abstain"] += not a.answered
        if a.answered:
            failures.append(
                f"{q.id} answered an unanswerable question: {q.question} -> {a.answer[:80]}"
            )
    n, u = max(1, len(answerable)), max(1, len(unanswerable))
    return QaScores(
        questions=len(items),
        cite_at_1=round(hits["cite1"] / n, 4),
        cite_at_3=round(hits["cite3"] / n, 4),
        answer=round(hits["answer"] / n, 4),
        sources=round(hits["sources"] / n, 4),
        abstain=round(hits["abstain"] / u, 4),
        answer_rate=round(hits["answered"] / n, 4),
        failures=tuple(failures),
    )


def _tally(
    q: LabelledQuestion, checks: dict[str, bool], counts: dict[str, int], failures: list[str]
) -> None:
    for name, ok in checks.items():
        counts[name] += ok
    missed = [name for name, ok in checks.items() if not ok]
    if missed:
        failures.append(f"{q.id} missed {', '.join(missed)}: {q.question.strip()}")


def score_squad(items: list[LabelledQuestion], answers: list[Answer]) -> SquadScores:
    counts = {"locate": 0, "answer": 0, "answered": 0, "abstain": 0}
    failures: list[str] = []
    for q, a in zip(items, answers, strict=True):
        if not q.answerable:
            counts["abstain"] += not a.answered
            if a.answered:
                failures.append(f"{q.id} answered an unanswerable question: {q.question.strip()}")
            continue
        golds = [normalise(g) for g in q.answers]
        text = normalise(a.answer)
        checks = {
            "locate": _locates(q, (*a.citations, *a.related)[0], golds)
            if a.citations or a.related
            else False,
            "answer": a.answered and any(g in text for g in golds),
            "answered": a.answered,
        }
        _tally(q, checks, counts, failures)
    total = len(items)
    n = sum(q.answerable for q in items)
    u = total - n
    return SquadScores(
        questions=total,
        answerable=n,
        locate_at_1=round(counts["locate"] / max(1, n), 4),
        answer=round(counts["answer"] / max(1, n), 4),
        answer_rate=round(counts["answered"] / max(1, n), 4),
        abstain=round(counts["abstain"] / max(1, u), 4),
        accuracy=round((counts["answer"] + counts["abstain"]) / max(1, total), 4),
        failures=tuple(failures),
    )


def _locates(q: LabelledQuestion, citation, golds: list[str]) -> bool:
    """The citation is in the right document and its passage spans a gold answer: the one at
    char_start, or (where the offset points at another occurrence) one inside the passage."""
    if citation.doc != q.doc:
        return False
    if (
        q.char_start is not None
        and q.answers
        and citation.start <= q.char_start
        and q.char_start + len(q.answers[0]) <= citation.end
    ):
        return True
    passage = normalise(citation.passage)
    same_paragraph = q.paragraph is None or citation.paragraph == q.paragraph
    return same_paragraph and any(g in passage for g in golds)


@dataclass(frozen=True)
class SetFigures:
    """One row of `qabot eval`'s table: the same measures for every kind of labelled set.

    locate@1: the first passage shown ([1], or the closest related passage when qabot abstains)
    holds the answer (SQuAD-style sets: in the right document; others: the key); answered when
    located: of the answerable questions located so, the share answered."""

    name: str
    questions: int
    answerable: int
    locate_at_1: float
    answer_rate: float
    answer: float
    abstain: float | None  # None: the set has no unanswerable question
    accuracy: float
    answered_when_located: float | None  # None: nothing was located


def set_figures(name: str, items: list[LabelledQuestion], answers: list[Answer]) -> SetFigures:
    located = answered = right = abstained = located_answered = 0
    for q, a in zip(items, answers, strict=True):
        if not q.answerable:
            abstained += not a.answered
            continue
        first = (*a.citations, *a.related)[:1]
        golds = [normalise(g) for g in (q.answers or (q.key,))]
        found = bool(first) and (
            _locates(q, first[0], golds)
            if q.squad
            else normalise(q.key) in normalise(first[0].passage)
        )
        located += found
        answered += a.answered
        located_answered += found and a.answered
        right += a.answered and any(g in normalise(a.answer) for g in golds)
    n = sum(q.answerable for q in items)
    u = len(items) - n
    return SetFigures(
        name=name,
        questions=len(items),
        answerable=n,
        locate_at_1=round(located / max(1, n), 4),
        answer_rate=round(answered / max(1, n), 4),
        answer=round(right / max(1, n), 4),
        abstain=round(abstained / u, 4) if u else None,
        accuracy=round((right + abstained) / max(1, len(items)), 4),
        answered_when_located=round(located_answered / located, 4) if located else None,
    )
