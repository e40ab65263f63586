"""Retrieved chunks -> Answer: the 1-3 sentences that best answer, verbatim, with [n] markers.

No language model writes anything: every answer sentence is a span of a document. A sentence is
scored by how much of the question's weight (IDF of its stemmed terms) it covers, by the dense
similarity of its passage, and by whether it holds the kind of thing asked for (a date for "when",
a number for "how many"). When no sentence clears the bar, the engine abstains and lists the
closest passages as related.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from index.lexical import analyze
from index.models import Answer, Citation, Sentence, Source
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
    coverage: float


def compose_answer(
    question: str, hits: list[Hit], idf: Callable[[str], float], took_ms: float
) -> Answer:
    terms = list(dict.fromkeys(analyze(question)))
    scored = _score_sentences(question, terms, hits, idf)
    if not scored or not _confident(scored[0], hits, terms, idf):
        related = tuple(
            _citation(i + 1, hits[i], hits[i].chunk.sentences, ())
            for i in range(min(RELATED, len(hits)))
        )
        return Answer(question, False, NOT_FOUND, (), related, took_ms)
    chosen = _choose(scored)
    return _assemble(question, hits, chosen, took_ms)


def _score_sentences(question: str, terms: list[str], hits: list[Hit], idf) -> list[Scored]:
    total = sum(idf(t) for t in terms) or 1.0
    wants_date = bool(re.match(r"\s*(when|what year|what date)\b", question, re.IGNORECASE))
    wants_number = bool(re.match(r"\s*how (many|much)\b", question, re.IGNORECASE))
    scored: list[Scored] = []
    for position, hit in enumerate(hits[:CANDIDATE_PASSAGES]):
        text = hit.chunk.text
        for sentence in hit.chunk.sentences:
            words = set(analyze(_sentence_text(text, hit, sentence)))
            coverage = sum(idf(t) for t in terms if t in words) / total
            raw = _sentence_text(text, hit, sentence)
            bonus = (
                0.1
                if (wants_date and _YEAR_OR_DATE.search(raw))
                or (wants_number and _NUMBER.search(raw))
                else 0.0
            )
            score = coverage + 0.5 * hit.dense + bonus - 0.02 * position
            scored.append(Scored(position, sentence, score, coverage))
    return sorted(scored, key=lambda s: -s.score)


def _sentence_text(text: str, hit: Hit, sentence: Sentence) -> str:
    offset = hit.chunk.start
    return text[sentence.start - offset : sentence.end - offset]


def _confident(best: Scored, hits: list[Hit], terms: list[str], idf) -> bool:
    return best.coverage >= 0.35 and hits[best.hit].dense >= 0.25


def _choose(scored: list[Scored]) -> list[Scored]:
    best = scored[0]
    chosen = [best]
    for other in scored[1:]:
        if len(chosen) == MAX_SENTENCES:
            break
        if other.score >= best.score - 0.1 and other.coverage > 0:
            chosen.append(other)
    return chosen


def _assemble(question: str, hits: list[Hit], chosen: list[Scored], took_ms: float) -> Answer:
    # Citations in order of relevance: the passage holding the best sentence is [1].
    numbers: dict[int, int] = {}
    for item in chosen:
        numbers.setdefault(item.hit, len(numbers) + 1)
    reading = sorted(chosen, key=lambda s: (hits[s.hit].chunk.doc_id, s.sentence.start))
    parts = [
        f"{' '.join(_sentence_text(hits[s.hit].chunk.text, hits[s.hit], s.sentence).split())} [{numbers[s.hit]}]"
        for s in reading
    ]
    citations = []
    for position, n in numbers.items():
        used = tuple(s.sentence for s in chosen if s.hit == position)
        citations.append(_citation(n, hits[position], used, ()))
    related_positions = [i for i in range(len(hits)) if i not in numbers][:RELATED]
    related = tuple(
        _citation(len(numbers) + j + 1, hits[i], hits[i].chunk.sentences, ())
        for j, i in enumerate(related_positions)
    )
    return Answer(question, True, " ".join(parts), tuple(citations), related, took_ms)


def _citation(n: int, hit: Hit, used: tuple[Sentence, ...], meta: tuple) -> Citation:
    chunk = hit.chunk
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
        score=round(hit.score, 6),
    )
