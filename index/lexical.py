"""BM25 over stemmed words (bm25s + PyStemmer), and the same word analysis for sentence scoring."""

from __future__ import annotations

import importlib.util
import json
import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import Stemmer

logging.getLogger("bm25s").setLevel(logging.WARNING)

_WORD = re.compile(r"(?u)\b\w\w+\b")
VERB_LEMMAS = Path(__file__).parent / "data" / "verb_lemmas.json"


@cache
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


# Words that shape a question but carry none of its content ("Which officials attended ...").
QUESTION_WORDS = frozenset(
    """what which who whom whose when where why how does did do doing done is are was were be
    been being am will would shall should can could may might must have has had having
    according say says said tell told happen happens happened happening mean means meant
    kind sort type there any some much many""".split()
)


@cache
def _stopwords() -> frozenset[str]:
    """bm25s's English stop words, read from its stopwords.py without importing bm25s itself
    (which imports scipy: serving needs neither)."""
    found = importlib.util.find_spec("bm25s")
    assert found is not None and found.submodule_search_locations
    path = Path(found.submodule_search_locations[0]) / "stopwords.py"
    spec = importlib.util.spec_from_file_location("qabot_bm25s_stopwords", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return frozenset(module.STOPWORDS_EN)


def question_terms(question: str) -> list[str]:
    """The content terms of a question, stemmed, once each, in order."""
    words = [w for w in _WORD.findall(question.lower()) if w not in QUESTION_WORDS]
    return list(dict.fromkeys(analyze(" ".join(words))))


def analyze(text: str) -> list[str]:
    """Lowercased, stop words removed, stemmed: the terms BM25 indexes and matches."""
    words = [w for w in _WORD.findall(text.lower()) if w not in _stopwords()]
    return _stemmer().stemWords(words)


def canonical_terms(text: str) -> list[str]:
    """Like analyze, but an irregular verb form joins its lemma ("fell" and "fall", "froze" and
    "freeze"), which stemming alone does not: for matching a question to sentences."""
    stopwords, lemma = _stopwords(), _verb_lemma
    return _stemmer().stemWords(
        [lemma(w) for w in _WORD.findall(text.lower()) if w not in stopwords]
    )


UNSEEN = "\x00unseen"  # a term no corpus holds: its IDF is the highest


@dataclass(frozen=True)
class TermWeights:
    """What the answer step reads of the corpus: the question's content terms with their IDF,
    and the highest IDF the corpus gives (that of a term it never uses)."""

    weights: dict[str, float]  # canonical term -> IDF of the word as BM25 indexes it
    top: float


def term_weights(question: str, idf: Callable[[str], float]) -> TermWeights:
    return TermWeights(question_weights(question, idf), max(idf(UNSEEN), 1e-6))


def question_weights(question: str, idf: Callable[[str], float]) -> dict[str, float]:
    """The question's content terms (as canonical_terms gives them), each with the IDF of the
    word as BM25 indexes it."""
    words = [w for w in _WORD.findall(question.lower()) if w not in _not_content()]
    stems = _stemmer().stemWords(words)
    canonical = _stemmer().stemWords([_verb_lemma(w) for w in words])
    weights: dict[str, float] = {}
    for term, stem in zip(canonical, stems, strict=True):
        weights.setdefault(term, idf(stem))
    return weights


@cache
def _not_content() -> frozenset[str]:
    return QUESTION_WORDS | _stopwords()


def _verb_lemma(word: str) -> str:
    """The verb's lemma as far as stemming can tell: the shipped table (verb_lemma_table)."""
    return _verb_lemmas().get(word, word)


@cache
def _verb_lemmas() -> dict[str, str]:
    return json.loads(VERB_LEMMAS.read_text(encoding="utf-8"))


def verb_lemma_table() -> dict[str, str]:
    """lemminflect's verb lemma of every lower-case word whose stem the lemma changes ("fell" ->
    "fall"; not "walked" -> "walk", which stem alike): 878 words. Its full lookup is 30 MB of
    Python objects in every process that loads it, so serving reads this table, shipped in
    VERB_LEMMAS; tests/test_lexical.py checks it against lemminflect. Rewrite it with
    `python -c "import index.lexical as l; l.write_verb_lemmas()"`."""
    from lemminflect import getAllLemmas
    from lemminflect.core.Lemmatizer import Lemmatizer

    lookup = Lemmatizer()
    words = {*lookup._getLemmaDict(), *lookup._getOverridesDict()}
    table = {}
    for word in sorted(w for w in words if w == w.lower()):
        lemma = (getAllLemmas(word, upos="VERB").get("VERB") or [word])[0]
        if _stemmer().stemWord(lemma) != _stemmer().stemWord(word):
            table[word] = lemma
    return table


def write_verb_lemmas() -> None:
    VERB_LEMMAS.write_text(json.dumps(verb_lemma_table(), indent=0) + "\n", encoding="utf-8")


class Bm25Index:
    """BM25 postings: for each term, the chunks holding it and their precomputed scores (CSC),
    written by bm25s. Loading reads bm25s's files itself, memory-mapped: serving imports neither
    bm25s nor scipy (17 MB of private memory in every worker)."""

    def __init__(
        self, vocab: dict[str, int], postings: dict[str, np.ndarray], doc_count: int, retriever=None
    ) -> None:
        self.vocab = vocab  # term -> its column in the postings
        self.indptr, self.indices, self.data = (postings[k] for k in ("indptr", "indices", "data"))
        self.doc_count = doc_count
        self.retriever = retriever  # the bm25s index a build made, for saving it

    @classmethod
    def build(cls, texts: list[str]) -> Bm25Index:
        import bm25s

        retriever = bm25s.BM25()
        retriever.index([analyze(text) or ["\0"] for text in texts], show_progress=False)
        scores = retriever.scores
        return cls(retriever.vocab_dict, scores, int(scores["num_docs"]), retriever)

    @classmethod
    def load(cls, folder: Path) -> Bm25Index:
        """Memory-mapped: workers on one machine share the postings through the page cache."""
        postings = {
            name: np.load(folder / f"{name}.csc.index.npy", mmap_mode="r")
            for name in ("indptr", "indices", "data")
        }
        vocab = json.loads((folder / "vocab.index.json").read_text(encoding="utf-8"))
        params = json.loads((folder / "params.index.json").read_text(encoding="utf-8"))
        return cls(vocab, postings, int(params["num_docs"]))

    def save(self, folder: Path) -> None:
        assert self.retriever is not None, "only a built index is saved"
        self.retriever.save(str(folder), show_progress=False)

    def search(self, query_terms: list[str], k: int) -> list[tuple[int, float]]:
        """(row, score) of the best k chunks, best first; empty when no term is in the vocabulary.

        Sums the precomputed BM25 postings of the terms with one bincount. bm25s's own retrieve
        does the same with np.add.at, one term at a time, and took 4.5 ms at 100,000 chunks.
        """
        ids = [self.vocab[t] for t in query_terms if t in self.vocab]
        if not ids or k <= 0:
            return []
        indptr, indices, data = self.indptr, self.indices, self.data
        spans = [slice(indptr[i], indptr[i + 1]) for i in ids]
        scores = np.bincount(
            np.concatenate([indices[span] for span in spans]),
            weights=np.concatenate([data[span] for span in spans]),
            minlength=self.doc_count,
        )
        k = min(k, self.doc_count)
        best = np.argpartition(-scores, k - 1)[:k] if k < self.doc_count else np.arange(k)
        best = best[np.lexsort((best, -scores[best]))]  # by score, then row, for stable ties
        return [(int(row), float(scores[row])) for row in best if scores[row] > 0]

    def idf(self, term: str) -> float:
        """Inverse document frequency; a term the corpus never uses gets the highest value."""
        df = self.doc_freq(term)
        return math.log(1 + (self.doc_count - df + 0.5) / (df + 0.5))

    def doc_freq(self, term: str) -> int:
        """How many chunks hold the term: the length of its postings."""
        i = self.vocab.get(term)
        indptr = self.indptr
        return int(indptr[i + 1] - indptr[i]) if i is not None and i + 1 < len(indptr) else 0
