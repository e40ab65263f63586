"""Retrieved passages -> Answer: the 1-3 sentences that answer, verbatim, with [n] markers.

No language model writes anything: every answer sentence is a span of a document. The fitted
answer model (index/query/answer_model.py) gives each candidate sentence of the best passages the
probability that it holds the answer. When the best one does not reach the abstention bar
(QABOT_ABSTAIN), qabot abstains and lists the closest passages as related. Between the two, when
the best sentence reaches the `lenient` level but not the bar, it abstains all the same
(`answered` stays false) and names that sentence as `closest`: shown as what comes nearest, never
as an answer. A "why" or "how" question also quotes the best sentence's neighbour when that one
gives the reason or the manner. It reads only its inputs (the hits carry everything it needs, the
corpus's IDF comes as a value), and the Answer it returns is complete: nothing patches it
afterwards.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from index.lexical import TermWeights, canonical_terms
from index.models import Answer, Chunk, Citation, Sentence, Source
from index.query.answer_model import AnswerModel
from index.query.features import (
    FEATURES,
    Candidate,
    candidate_features,
    candidates_of,
    explanation_wanted,
    reader_margins,
)
from index.query.locate import locate
from index.query.reader import Read
from index.query.retrieve import Hit

MAX_SENTENCES = 3
RELATED = 3
CLOSEST_LEVEL = "lenient"  # from this level up to the bar, an abstention names its closest sentence
NOT_FOUND = "The documents don't answer this question."
NOT_SURE = "The documents may not answer this question."  # the middle outcome's answer text
# A further sentence joins the answer when it also clears the bar and is at least this share as
# likely as the best one to hold the answer.
SHARE_OF_BEST = 0.5
READER = FEATURES.index("reader")


@dataclass(frozen=True)
class Scored:
    candidate: Candidate
    probability: float


@dataclass(frozen=True)
class Sheet:
    """The candidate sentences of the best passages with their features, all but the reader's:
    that column is filled from the passages read (`rows`). Every other feature of a sentence is
    known before any passage is read, and none depends on another sentence's reader score."""

    candidates: list[Candidate]
    features: np.ndarray  # one row of FEATURES per candidate; the reader's column unset

    def read(self, reads: list[Read]) -> np.ndarray:
        """Which candidates lie in a passage read (the reads are of hits[: len(reads)])."""
        return np.array([c.hit < len(reads) for c in self.candidates], dtype=bool)

    def candidates_read(self, reads: list[Read]) -> list[Candidate]:
        """The candidates in the passages read, in order: those `rows` gives."""
        return [c for c in self.candidates if c.hit < len(reads)]

    def rows(self, reads: list[Read], hits: list[Hit]) -> np.ndarray:
        """The features of the candidates in the passages read, with the reader's margins."""
        rows = self.features[self.read(reads)].copy()
        rows[:, READER] = reader_margins(reads, self.candidates_read(reads), hits)
        return rows

    def reaching(self, reads: list[Read], margin: float) -> np.ndarray:
        """The features of the candidates in passages not read, as if the reader gave each of
        them `margin`: what they would reach at that margin (only ever compared, never quoted)."""
        rows = self.features[~self.read(reads)].copy()
        rows[:, READER] = margin
        return rows


def sheet_of(searched_for: str, vector: np.ndarray, hits: list[Hit], terms: TermWeights) -> Sheet:
    """The candidates of hits[:CANDIDATE_PASSAGES] and their features before reading."""
    candidates = candidates_of(hits)
    unset = np.zeros(len(candidates), dtype=np.float32)
    features = candidate_features(searched_for, vector, hits, candidates, terms, unset)
    return Sheet(candidates, features)


@dataclass(frozen=True)
class Evidence:
    """What the answer step reads: the text searched for (the question, or a follow-up with its
    conversation), its vector, the passages found, the reader's reads of the first of them
    (hits[: len(reads)], in order: index.query.cascade stops reading once the rest can't change
    the answer), the question's term weights in this corpus, and the candidates' sheet."""

    searched_for: str
    vector: np.ndarray
    hits: list[Hit]
    reads: list[Read]
    terms: TermWeights
    sheet: Sheet


def compose_answer(
    question: str, evidence: Evidence, model: AnswerModel, bar: float, started: float
) -> Answer:
    """The answer to `question`, or an abstention listing related passages; its took_ms is the
    time since `started` (time.perf_counter) when it is composed."""
    hits = evidence.hits
    scored = score_candidates(evidence, model)
    if not scored or scored[0].probability < bar:
        floor = model.levels.get(CLOSEST_LEVEL, bar)
        closest = scored[0] if scored and floor <= scored[0].probability else None
        return _abstain(question, hits, closest, started, scored[0].probability if scored else 0.0)
    chosen = _follow_up_only(question, evidence, _choose(scored, bar))
    return _assemble(question, hits, _with_explanation(question, evidence, scored, chosen), started)


def _abstain(
    question: str, hits: list[Hit], closest: Scored | None, started: float, confidence: float
) -> Answer:
    """No answer: the closest passages as related, whole. With a `closest` sentence, its passage
    comes first as [1], quoting that sentence, and the answer names it."""
    first = [] if closest is None else [closest.candidate.hit]
    positions = first + [i for i in range(len(hits)) if i not in first][: RELATED - len(first)]
    related = tuple(
        cite(hits[i], n, (closest.candidate.sentence,) if i in first else hits[i].chunk.sentences)
        for n, i in enumerate(positions, start=1)
    )
    line = f"{' '.join(closest.candidate.text.split())} [1]" if closest else ""
    text = NOT_SURE if closest else NOT_FOUND
    return Answer(question, False, text, (), related, _since(started), confidence, line)


def _since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def score_candidates(evidence: Evidence, model: AnswerModel) -> list[Scored]:
    """The candidate sentences of the passages read, most likely to hold the answer first."""
    sheet = evidence.sheet
    candidates = sheet.candidates_read(evidence.reads)
    if not candidates:
        return []
    probabilities = model.probabilities(sheet.rows(evidence.reads, evidence.hits))
    order = np.argsort(-probabilities, kind="stable")
    return [Scored(candidates[i], float(probabilities[i])) for i in order]


def deciding(best: float, bar: float, closest_floor: float) -> float:
    """The probability a sentence not yet scored must reach to change the answer composed from
    sentences whose best has probability `best` (0 for none): to join an answer (or to beat its
    best), the bar and SHARE_OF_BEST of the best; to turn an abstention into an answer or to
    change its closest sentence, the bar or the closest level, and the best itself."""
    if best >= bar:
        return max(bar, SHARE_OF_BEST * best)
    return min(bar, max(closest_floor, best))


def _choose(scored: list[Scored], bar: float) -> list[Scored]:
    best = scored[0]
    floor = max(bar, SHARE_OF_BEST * best.probability)
    return [best, *(s for s in scored[1:MAX_SENTENCES] if s.probability >= floor)]


def _with_explanation(
    question: str, evidence: Evidence, scored: list[Scored], chosen: list[Scored]
) -> list[Scored]:
    """A "why" or "how" question also quotes the sentence next to the best one when that
    sentence gives a reason or a manner and shares a term with the question: the best sentence
    often restates what the question asks about ("… would lead to a downgrading …") and its
    neighbour says why ("… attributed this downgrading more to a decision by Tokyo …")."""
    wanted = explanation_wanted(question)
    if wanted is None or len(chosen) >= MAX_SENTENCES:
        return chosen
    best = chosen[0].candidate
    order = evidence.hits[best.hit].chunk.sentences
    at = order.index(best.sentence)
    terms = evidence.terms.weights.keys()
    for item in scored:
        candidate = item.candidate
        if (
            candidate.hit == best.hit
            and abs(order.index(candidate.sentence) - at) == 1
            and item not in chosen
            and wanted.search(candidate.text)
            and terms & set(canonical_terms(candidate.text))
        ):
            return [*chosen, item]
    return chosen


def _follow_up_only(question: str, evidence: Evidence, chosen: list[Scored]) -> list[Scored]:
    """A follow-up ("What did he add?" after "Who is Andrey Nastasyin?") is searched for together
    with the earlier questions, so the sentence that answered them often scores well again. When
    some of the chosen sentences hold a term of the follow-up's own (one the earlier questions
    don't use), only those are quoted: the sentence the conversation already showed is not
    repeated in place of the one that answers the follow-up."""
    earlier = evidence.searched_for[: -len(question)] if question != evidence.searched_for else ""
    own = set(canonical_terms(question)) - set(canonical_terms(earlier))
    if not earlier or len(chosen) < 2 or not own:
        return chosen
    kept = [s for s in chosen if own & set(canonical_terms(s.candidate.text))]
    return kept or chosen


def _assemble(question: str, hits: list[Hit], chosen: list[Scored], started: float) -> Answer:
    # Citations in order of likelihood: the passage holding the best sentence is [1].
    numbers: dict[int, int] = {}
    for item in chosen:
        numbers.setdefault(item.candidate.hit, len(numbers) + 1)
    reading = sorted(
        chosen, key=lambda s: (hits[s.candidate.hit].chunk.doc_id, s.candidate.sentence.start)
    )
    # White space is folded in the answer line only; quotes and passages keep it verbatim.
    parts = [f"{' '.join(s.candidate.text.split())} [{numbers[s.candidate.hit]}]" for s in reading]
    citations = []
    for position, n in numbers.items():
        used = tuple(s.candidate.sentence for s in chosen if s.candidate.hit == position)
        citations.append(cite(hits[position], n, used))
    related_positions = [i for i in range(len(hits)) if i not in numbers][:RELATED]
    related = tuple(
        cite(hits[i], len(numbers) + j + 1, hits[i].chunk.sentences)
        for j, i in enumerate(related_positions)
    )
    answer = " ".join(parts)
    took_ms = _since(started)
    return Answer(question, True, answer, tuple(citations), related, took_ms, chosen[0].probability)


def cite(hit: Hit, n: int, used: tuple[Sentence, ...]) -> Citation:
    """A citation of a retrieved passage quoting the sentences used."""
    return citation_of(hit.chunk, hit.meta, n, used, hit.score)


def citation_of(
    chunk: Chunk, meta: dict[str, str], n: int, used: tuple[Sentence, ...], score: float
) -> Citation:
    """A citation of a passage quoting the sentences used (all of them quote the whole passage).

    Its sources are those the quoted sentences rest on.
    """
    first = min(s.start for s in used)
    last = max(s.end for s in used)
    quote = chunk.text[first - chunk.start : last - chunk.start]
    sources: list[Source] = []
    for sentence in sorted(used, key=lambda s: s.start):
        sources.extend(s for s in sentence.sources if s not in sources)
    return Citation(
        n=n,
        doc=chunk.doc_id,
        title=chunk.title,
        meta=meta,
        paragraph=chunk.paragraph,
        chunk_id=chunk.chunk_id,
        passage=chunk.text,
        quote=quote,
        start=chunk.start,
        end=chunk.end,
        sources=tuple(sources),
        score=round(score, 6),
        **locate(chunk, meta, quote)._asdict(),
    )
