"""Retrieved chunks -> Answer: the 1-3 sentences that best answer, verbatim, with [n] markers.

No language model writes anything: every answer sentence is a span of a document. A sentence of
the top passages is scored by the cosine of its in-context vector to the question, by how much of
the question's weight (IDF of its stemmed terms) it and its passage cover, and by whether it holds
the kind of thing asked for (a date for "when", a number for "how many"). When the best sentence
does not clear the bar, the engine abstains and lists the closest passages as related.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from index.lexical import analyze, question_terms
from index.models import Answer, Chunk, Citation, Sentence, Source
from index.retrieve import Hit

MAX_SENTENCES = 3
CANDIDATE_PASSAGES = 3
RELATED = 3
NOT_FOUND = "The documents don't answer this question."

_YEAR_OR_DATE = re.compile(
    r"\b(?:1[5-9]\d\d|20\d\d)\b|\b(?:January|February|March|April|May|June|July|August|September"
    r"|October|November|December)\b"
)
_NUMBER = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|dozen|hundred"
    r"|thousand|million|billion)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Scored:
    hit: int  # position in the hits list
    sentence: Sentence
    score: float
    similarity: float  # cosine of the sentence's in-context vector to the question
    coverage: float  # share of the question's term weight the sentence holds


# Weights of the sentence score, and the bar an answer must clear; tuned on the dev questions and
# checked on questions of our own (see tests/data/).
COVERAGE_WEIGHT = 0.25
CONTEXT_WEIGHT = 0.1
TYPE_BONUS = 0.05
ANSWER_BAR = 0.52
CLOSE_TO_BEST = 0.06  # further sentences must score within this of the best one


def compose_answer(
    question: str,
    question_vector: np.ndarray,
    hits: list[Hit],
    idf: Callable[[str], float],
    sentence_vectors: Callable[[int], np.ndarray],
) -> Answer:
    """The answer; its took_ms is 0, for the caller to fill in."""
    scored = score_sentences(question, question_vector, hits, idf, sentence_vectors)
    if not scored or confidence(scored[0]) < ANSWER_BAR:
        related = tuple(
            cite(hits[i].chunk, i + 1, hits[i].chunk.sentences, hits[i].score)
            for i in range(min(RELATED, len(hits)))
        )
        return Answer(question, False, NOT_FOUND, (), related, 0.0)
    return _assemble(question, hits, _choose(scored))


def confidence(best: Scored) -> float:
    return best.similarity + COVERAGE_WEIGHT * best.coverage


def score_sentences(
    question: str,
    question_vector: np.ndarray,
    hits: list[Hit],
    idf: Callable[[str], float],
    sentence_vectors: Callable[[int], np.ndarray],
) -> list[Scored]:
    weights = {t: idf(t) for t in question_terms(question)}
    total = sum(weights.values()) or 1.0

    def coverage(text: str) -> float:
        words = set(analyze(text))
        return sum(w for t, w in weights.items() if t in words) / total

    wants = _answer_type(question)
    scored: list[Scored] = []
    for position, hit in enumerate(hits[:CANDIDATE_PASSAGES]):
        context = coverage(hit.chunk.text)
        similarities = sentence_vectors(hit.row) @ question_vector
        for sentence, similarity in zip(hit.chunk.sentences, similarities, strict=True):
            raw = sentence_text(hit.chunk, sentence)
            own = coverage(raw)
            bonus = TYPE_BONUS if wants and wants.search(raw) else 0.0
            score = (
                similarity
                + COVERAGE_WEIGHT * own
                + CONTEXT_WEIGHT * context
                + bonus
                - 0.02 * position
            )
            scored.append(Scored(position, sentence, float(score), float(similarity), own))
    return sorted(scored, key=lambda s: -s.score)


def _answer_type(question: str) -> re.Pattern | None:
    """What a sentence must hold to answer "when" or "how many" questions."""
    if re.match(r"\s*(when|what year|what date|in what year)\b", question, re.IGNORECASE):
        return _YEAR_OR_DATE
    if re.match(r"\s*how (many|much)\b", question, re.IGNORECASE):
        return _NUMBER
    return None


def sentence_text(chunk: Chunk, sentence: Sentence) -> str:
    return chunk.text[sentence.start - chunk.start : sentence.end - chunk.start]


def _choose(scored: list[Scored]) -> list[Scored]:
    best = scored[0]
    chosen = [best]
    for other in scored[1:]:
        if len(chosen) == MAX_SENTENCES:
            break
        if other.score >= best.score - CLOSE_TO_BEST and other.coverage > 0:
            chosen.append(other)
    return chosen


def _assemble(question: str, hits: list[Hit], chosen: list[Scored]) -> Answer:
    # Citations in order of relevance: the passage holding the best sentence is [1].
    numbers: dict[int, int] = {}
    for item in chosen:
        numbers.setdefault(item.hit, len(numbers) + 1)
    reading = sorted(chosen, key=lambda s: (hits[s.hit].chunk.doc_id, s.sentence.start))
    # White space is folded in the answer line only; quotes and passages keep it verbatim.
    parts = [
        f"{' '.join(sentence_text(hits[s.hit].chunk, s.sentence).split())} [{numbers[s.hit]}]"
        for s in reading
    ]
    citations = []
    for position, n in numbers.items():
        used = tuple(s.sentence for s in chosen if s.hit == position)
        citations.append(cite(hits[position].chunk, n, used, hits[position].score))
    related_positions = [i for i in range(len(hits)) if i not in numbers][:RELATED]
    related = tuple(
        cite(hits[i].chunk, len(numbers) + j + 1, hits[i].chunk.sentences, hits[i].score)
        for j, i in enumerate(related_positions)
    )
    return Answer(question, True, " ".join(parts), tuple(citations), related, 0.0)


def cite(chunk: Chunk, n: int, used: tuple[Sentence, ...], score: float) -> Citation:
    """A citation of a passage quoting the sentences used (all of them quote the whole passage).

    Its sources are those the quoted sentences rest on; the front end fills in `meta`.
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
        meta={},
        paragraph=chunk.paragraph,
        chunk_id=chunk.chunk_id,
        passage=chunk.text,
        quote=quote,
        start=chunk.start,
        end=chunk.end,
        sources=tuple(sources),
        score=round(score, 6),
    )
