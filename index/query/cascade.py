"""Passages one at a time: the reader stops once the passages not read can't change the answer.

The reader is most of an answer's time, and it reads each of the best passages on its own. A
candidate sentence's probability (index.query.answer_model) depends on the reader only through
its own `reader` feature, its best span minus its passage's no-answer score, which the answer
model weighs linearly and never negatively. So before a passage is read, what any of its
sentences can reach is bounded by its probability with that feature at `margin_bound`: the lowest
margin at which no answer of the fitting questions changes (`python -m index.training.cascade`;
kept in index/data/answer_model.json with the sha256 of the reader it bounds). The engine reads
the best passage first and reads the others (side by side, index.query.reader) only when a
sentence of theirs could still reach what would change the answer (index.query.answer.deciding):
beat or join the answer's sentences, turn an abstention into an answer, or change its closest
sentence. An
unread passage's sentences are never scored, quoted or named as closest; an abstention decided
early reports the best probability among the sentences read as its confidence.

Without a margin bound for the shipped reader (a model file fitted before it, or after the reader
was retrained) every passage is read, as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from index.query.answer import CLOSEST_LEVEL, Sheet, deciding
from index.query.answer_model import AnswerModel
from index.query.features import CANDIDATE_PASSAGES
from index.query.reader import Read
from index.query.retrieve import Hit
from index.query.span_model import shipped_sha256


class Reader(Protocol):
    def read(self, question: str, passages: Sequence[str]) -> list[Read]: ...


def margin_bound(model: AnswerModel) -> float | None:
    """The highest margin an unread sentence is taken to reach, or None: read every passage."""
    cascade = model.cascade
    if cascade is None or cascade.reader_sha256 != shipped_sha256():
        return None
    return cascade.margin_bound


def read_passages(
    reader: Reader,
    question: str,
    hits: list[Hit],
    sheet: Sheet,
    model: AnswerModel,
    bar: float,
) -> list[Read]:
    """The reads of the best passages in order (hits[: len(reads)]): the best one, then the others
    unless they can't change the answer."""
    texts = [hit.chunk.text for hit in hits[:CANDIDATE_PASSAGES]]
    bound = margin_bound(model)
    if bound is None:
        return reader.read(question, texts)
    reads = reader.read(question, texts[:1])
    if len(texts) > 1 and not settled(reads, hits, sheet, model, bar, bound):
        reads += reader.read(question, texts[1:])  # side by side (index.query.reader)
    return reads


def settled(
    reads: list[Read], hits: list[Hit], sheet: Sheet, model: AnswerModel, bar: float, bound: float
) -> bool:
    """Whether no sentence of the passages not read can change the answer the read ones give,
    whatever its reader margin up to `bound`."""
    unread = sheet.reaching(reads, bound)
    if len(unread) == 0:
        return True
    scored = model.probabilities(sheet.rows(reads, hits))
    best = float(scored.max()) if len(scored) else 0.0
    floor = model.levels.get(CLOSEST_LEVEL, bar)
    return float(model.probabilities(unread).max()) < deciding(best, bar, floor)
