"""Candidate sentences of the retrieved passages, and the features the answer model reads.

A candidate is a sentence of one of the best passages. Its features say how well it matches the
question (cosine of its in-context vector, the share of the question's IDF-weighted terms it and
its neighbours hold, whether it keeps the question's word order) and what it misses: the rarest
question term it lacks, capitalised names and numbers of the question that its passage never
mentions, a negation the question has and it hasn't, the kind of thing asked for ("when" wants a
date). Unanswerable questions are usually near-copies of answerable ones with one such change, so
the misses matter as much as the matches. Every value is comparable across corpora: similarities,
shares, and IDFs divided by the corpus's highest IDF.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from index.lexical import TermWeights, canonical_terms
from index.models import Chunk, Sentence
from index.query.reader import Read
from index.query.retrieve import Hit

CANDIDATE_PASSAGES = 3

FEATURES = (
    "similarity",  # cosine of the sentence's in-context vector to the question
    "similarity_gap",  # minus the best candidate's similarity (0 for the best)
    "coverage",  # share of the question's IDF weight the sentence holds
    "coverage_gap",  # minus the best candidate's coverage
    "window_coverage",  # the same for the sentence with its neighbours in the passage
    "passage_coverage",  # the same for the whole passage
    "missing_idf",  # the rarest question term missing from the window, IDF / highest IDF
    "passage_missing_idf",  # the rarest question term missing from the passage
    "missing_names",  # share of the question's capitalised words missing from the passage
    "missing_numbers",  # 1 when a number of the question is missing from the passage
    "negation_mismatch",  # 1 when the question negates and the window doesn't
    "wants_type",  # 1 for "when"/"how many"-like questions
    "has_type",  # 1 when the sentence holds a date or number such a question asks for
    "order",  # share of the question's adjacent term pairs found near each other
    "novelty",  # share of the sentence's terms that the question doesn't use
    "length",  # log of the sentence's number of terms
    "passage_rank",  # the passage's rank (0 = best)
    "passage_dense",  # cosine of the passage to the question
    "passage_lexical",  # the passage's BM25 score over the question's highest possible score
    "best_passage_dense",  # the best passage's cosine (the same for every candidate)
    "question_terms",  # log of the number of content terms in the question
    "substituted",  # a missing question term whose neighbours frame another word in the sentence
    "substituted_idf",  # its IDF / highest IDF
    "new_names",  # share of the sentence's capitalised words that the question doesn't use
    "reader",  # the reader's best span in the sentence minus its passage's no-answer score
)

_YEAR_OR_DATE = re.compile(
    r"\b(?:1[0-9]\d\d|20\d\d|\d{1,2}(?:st|nd|rd|th)? century)\b|\b(?:January|February|March"
    r"|April|May|June|July|August|September|October|November|December)\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty"
    r"|forty|fifty|hundred|thousand|million|billion|dozen|half|several)\b",
    re.IGNORECASE,
)
_WANTS_DATE = re.compile(r"\s*(?:when|what (?:year|date|day|month|century)|in what year)\b", re.I)
_WANTS_NUMBER = re.compile(
    r"\s*(?:how (?:many|much|long|old|far|large|big|often|tall|high)|what percent)", re.I
)
_WANTS_REASON = re.compile(
    r"\s*(?:why\b|what (?:is|was|are|were) the (?:reasons?|causes?)\b|for what reason"
    r"|what (?:caused|led)\b)",
    re.I,
)
_REASON = re.compile(
    r"\b(?:because|due to|owing to|thanks to|since|as a result|result(?:ed|s|ing)? (?:of|from)"
    r"|caus(?:e|ed|es|ing)|reasons?|attribut(?:e|ed|es|ing)|so that|in order to|so as to"
    r"|led to|leads? to|leading to|in response|for fear|blam(?:e|ed|es|ing)|motivat\w*"
    r"|stem(?:s|med)? from|consequen\w*)\b",
    re.I,
)
# "how" asking for a manner, not for a quantity ("how many", "how long", "how fast", …)
_WANTS_MANNER = re.compile(
    r"\s*how\b(?!\s+(?:many|much|long|old|far|big|large|often|tall|high|fast|few|deep|wide"
    r"|early|late|soon|frequently|\w+er)\b)",
    re.I,
)
_MANNER = re.compile(
    r"\bby\s+(?:\w+ing|means of|a|an|the|their|its|his|her|using)\b|\bthrough\b|\busing\b"
    r"|\bvia\b|\bwith the help of\b|\bin order to\b|\bso that\b",
    re.I,
)
_NEGATION = re.compile(r"\b(?:not|never|no|none|nor|cannot|without)\b|n't\b", re.IGNORECASE)
_CAPITALISED = re.compile(r"(?<!^)(?<![.?!]\s)\b[A-Z][\w'’-]*")
_DIGITS = re.compile(r"\d[\d,.]*\d|\d")
BM25_K1 = 1.5  # bm25s's default: a term's score is at most (k1 + 1) * its IDF


@dataclass(frozen=True)
class Candidate:
    hit: int  # position in the hits list
    sentence: Sentence
    text: str


@dataclass(frozen=True)
class _Question:
    weights: dict[str, float]  # stemmed content term -> IDF
    total: float
    top_idf: float  # the highest IDF the corpus gives (a term it never uses)
    names: frozenset[str]  # stemmed capitalised words, not counting the first
    numbers: frozenset[str]
    negated: bool
    wants: re.Pattern | None
    pairs: tuple[tuple[str, str], ...]
    sequence: tuple[str, ...]  # the question's content terms in order, repeats kept


def sentence_text(chunk: Chunk, sentence: Sentence) -> str:
    return chunk.text[sentence.start - chunk.start : sentence.end - chunk.start]


def candidates_of(hits: list[Hit]) -> list[Candidate]:
    return [
        Candidate(position, sentence, sentence_text(hit.chunk, sentence))
        for position, hit in enumerate(hits[:CANDIDATE_PASSAGES])
        for sentence in hit.chunk.sentences
    ]


def reader_margins(reads: list[Read], candidates: list[Candidate], hits: list[Hit]) -> np.ndarray:
    """Per candidate: the reader's best span inside it, minus its passage's no-answer score."""
    return np.array(
        [
            reads[c.hit].margin(
                c.sentence.start - hits[c.hit].chunk.start, c.sentence.end - hits[c.hit].chunk.start
            )
            for c in candidates
        ],
        dtype=np.float32,
    )


def candidate_features(
    question: str,
    question_vector: np.ndarray,
    hits: list[Hit],
    candidates: list[Candidate],
    terms: TermWeights,
    margins: np.ndarray,
) -> np.ndarray:
    """One row of FEATURES per candidate; `margins` are its reader_margins."""
    if not candidates:
        return np.zeros((0, len(FEATURES)), dtype=np.float32)
    q = _read_question(question, terms)
    passages = [_Passage(hit.chunk, q) for hit in hits[:CANDIDATE_PASSAGES]]
    sentence_terms = [canonical_terms(c.text) for c in candidates]
    similarities = np.concatenate(
        [hit.sentence_vectors @ question_vector for hit in hits[:CANDIDATE_PASSAGES]]
    )
    coverages = np.array([_coverage(set(terms), q) for terms in sentence_terms])
    rows = []
    for i, (candidate, terms) in enumerate(zip(candidates, sentence_terms, strict=True)):
        hit, passage = hits[candidate.hit], passages[candidate.hit]
        window = set(terms) | passage.context
        for j in (i - 1, i + 1):
            if 0 <= j < len(candidates) and candidates[j].hit == candidate.hit:
                window.update(sentence_terms[j])
        rows.append(
            (
                similarities[i],
                similarities[i] - similarities.max(),
                coverages[i],
                coverages[i] - coverages.max(),
                _coverage(window, q),
                passage.coverage,
                _missing_idf(window, q),
                passage.missing_idf,
                passage.missing_names,
                passage.missing_numbers,
                float(q.negated and not _NEGATION.search(candidate.text)),
                float(q.wants is not None),
                float(q.wants is not None and bool(q.wants.search(candidate.text))),
                _order(terms, q),
                sum(t not in q.weights for t in terms) / max(1, len(terms)),
                math.log1p(len(terms)),
                candidate.hit,
                hit.dense,
                hit.lexical / ((BM25_K1 + 1) * q.total),
                hits[0].dense,
                math.log1p(len(q.weights)),
                *_substitution(terms, q),
                _new_names(candidate.text, q),
                margins[i],
            )
        )
    return np.asarray(rows, dtype=np.float32)


class _Passage:
    """A passage's terms, with its document title and heading, which every sentence rests on."""

    def __init__(self, chunk: Chunk, q: _Question):
        self.context = set(canonical_terms(f"{chunk.title}\n{chunk.heading or ''}"))
        text = chunk.text
        terms = set(canonical_terms(text)) | self.context
        self.coverage = _coverage(terms, q)
        self.missing_idf = _missing_idf(terms, q)
        lowered = text.lower()
        names = [n for n in q.names if n not in terms]
        self.missing_names = len(names) / len(q.names) if q.names else 0.0
        self.missing_numbers = float(any(n not in lowered for n in q.numbers))


def _read_question(question: str, terms: TermWeights) -> _Question:
    weights = terms.weights
    names = frozenset(canonical_terms(" ".join(_CAPITALISED.findall(question.strip()))))
    ordered = [t for t in canonical_terms(question) if t in weights]
    return _Question(
        weights=weights,
        total=sum(weights.values()) or 1.0,
        top_idf=terms.top,
        names=names & weights.keys(),
        numbers=frozenset(_DIGITS.findall(question)),
        negated=bool(_NEGATION.search(question)),
        wants=_answer_type(question),
        pairs=tuple(zip(ordered, ordered[1:], strict=False)),
        sequence=tuple(ordered),
    )


def _new_names(text: str, q: _Question) -> float:
    names = canonical_terms(" ".join(_CAPITALISED.findall(text)))  # no term spans a space
    return sum(t not in q.weights for t in names) / len(names) if names else 0.0


def explanation_wanted(question: str) -> re.Pattern | None:
    """For a "why" or a "how" (manner) question, what a sentence giving the reason or the manner
    says ("because", "attributed … to", "by …ing"); None for any other question."""
    if _WANTS_REASON.match(question):
        return _REASON
    if _WANTS_MANNER.match(question) and not _WANTS_NUMBER.match(question):
        return _MANNER
    return None


def _answer_type(question: str) -> re.Pattern | None:
    if _WANTS_DATE.match(question):
        return _YEAR_OR_DATE
    if _WANTS_NUMBER.match(question):
        return _NUMBER
    return None


def _coverage(terms: set[str], q: _Question) -> float:
    return sum(w for t, w in q.weights.items() if t in terms) / q.total


def _missing_idf(terms: set[str], q: _Question) -> float:
    return max((w for t, w in q.weights.items() if t not in terms), default=0.0) / q.top_idf


def _order(terms: list[str], q: _Question) -> float:
    """Share of the question's adjacent term pairs that stand within three terms, in order."""
    if not q.pairs:
        return 0.0
    where: dict[str, list[int]] = {}
    for position, term in enumerate(terms):
        where.setdefault(term, []).append(position)
    found = sum(
        any(0 < b - a <= 3 for a in where.get(x, ()) for b in where.get(y, ())) for x, y in q.pairs
    )
    return found / len(q.pairs)


def _substitution(terms: list[str], q: _Question) -> tuple[float, float]:
    """How plainly the sentence swaps a question term for another word ("an increase in the input"
    for "a decrease in the input"): 1 when both question neighbours of a missing term frame a word
    of the sentence that the question doesn't use, 0.5 for one side; with that term's IDF."""
    present = set(terms)
    where: dict[str, list[int]] = {}
    for position, term in enumerate(terms):
        where.setdefault(term, []).append(position)

    def swapped(position: int, step: int) -> bool:
        slot = position + step
        return 0 <= slot < len(terms) and terms[slot] not in q.weights

    best, best_idf = 0.0, 0.0
    seq = q.sequence
    for i, term in enumerate(seq):
        if term in present:
            continue
        before = i > 0 and any(swapped(p, 1) for p in where.get(seq[i - 1], ()))
        after = i + 1 < len(seq) and any(swapped(p, -1) for p in where.get(seq[i + 1], ()))
        sides = (before + after) / 2
        idf = q.weights.get(term, 0.0) / q.top_idf
        if (sides, idf) > (best, best_idf):
            best, best_idf = sides, idf
    return best, best_idf
