"""BM25 search: the engine's own scoring loop agrees with bm25s's retrieve on real text."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from index.lexical import Bm25Index, analyze, question_terms

ROOT = Path(__file__).parent.parent
ARTICLE = ROOT / "docs_corpus" / "moscow-mulls-reaction-to-japan.txt"
QUESTIONS = [json.loads(line)["question"] for line in (ROOT / "tests/data/seed_dev.jsonl").open()]


@pytest.fixture(scope="module")
def index() -> Bm25Index:
    paragraphs = [p for p in ARTICLE.read_text().split("\n\n") if p.strip()]
    return Bm25Index.build(paragraphs)


@pytest.mark.parametrize("question", QUESTIONS)
def test_search_matches_bm25s_retrieve(index: Bm25Index, question: str) -> None:
    terms = [t for t in question_terms(question) if t in index.retriever.vocab_dict]
    found = index.search(question_terms(question), 5)
    if not terms:
        assert found == []
        return
    rows, scores = index.retriever.retrieve([terms], k=5, show_progress=False)
    expected = [(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if s > 0]
    assert [s for _, s in found] == pytest.approx([s for _, s in expected], rel=1e-6)
    # Rows agree wherever the scores are not tied.
    for (row, score), (other_row, _) in zip(found, expected, strict=True):
        if sum(np.isclose(score, s) for _, s in found) == 1:
            assert row == other_row


def test_search_is_best_first_and_ignores_unknown_words(index: Bm25Index) -> None:
    found = index.search(analyze("Kurile Islands dispute") + ["zzzunknown"], 4)
    assert found and all(a[1] >= b[1] for a, b in zip(found, found[1:], strict=False))
    assert index.search(["zzzunknown"], 4) == []
    assert len(index.search(analyze("Russia"), 1000)) <= index.doc_count


def test_irregular_verb_forms_meet_their_lemma_for_answer_matching():
    from index.lexical import canonical_terms, question_weights

    assert canonical_terms("Apple prices fell") == canonical_terms("apple prices fall")
    assert "freez" in canonical_terms("The harbour froze in March")
    weights = question_weights(
        "Why did apple prices fall?", lambda term: {"fall": 2.0}.get(term, 1.0)
    )
    assert weights == {"appl": 1.0, "price": 1.0, "fall": 2.0}


def test_the_shipped_verb_lemmas_stem_every_word_as_lemminflect_does():
    """Serving reads a small table instead of lemminflect's 30 MB lookup: every word lemminflect
    knows must still stem to what its lemma stems to."""
    from lemminflect import getAllLemmas
    from lemminflect.core.Lemmatizer import Lemmatizer

    from index.lexical import _stemmer, _verb_lemma, _verb_lemmas, verb_lemma_table

    assert _verb_lemmas() == verb_lemma_table(), "rewrite it: index.lexical.write_verb_lemmas()"
    lookup = Lemmatizer()
    words = [w for w in {*lookup._getLemmaDict(), *lookup._getOverridesDict()} if w == w.lower()]
    stem = _stemmer().stemWord
    for word in [*words, "fell", "froze", "zzzunknown"]:
        lemma = (getAllLemmas(word, upos="VERB").get("VERB") or [word])[0]
        assert stem(_verb_lemma(word)) == stem(lemma), word


def test_a_saved_index_loads_without_bm25s_and_searches_as_built(
    index: Bm25Index, tmp_path: Path
) -> None:
    import subprocess
    import sys

    from index.lexical import _stopwords

    index.save(tmp_path / "bm25")
    loaded = Bm25Index.load(tmp_path / "bm25")
    for question in ("Kurile Islands dispute", "Why is Moscow angry at Japan?", "zzzunknown"):
        terms = question_terms(question)
        assert loaded.search(terms, 5) == index.search(terms, 5)
        assert [loaded.idf(t) for t in terms] == [index.idf(t) for t in terms]
    from bm25s.stopwords import STOPWORDS_EN

    assert _stopwords() == frozenset(STOPWORDS_EN)
    script = (
        "import sys; from pathlib import Path; from index.lexical import Bm25Index, analyze;"
        f"Bm25Index.load(Path({str(tmp_path / 'bm25')!r})).search(analyze('Japan'), 3);"
        "print([m for m in ('bm25s', 'scipy') if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT)
    assert done.stdout.strip() == "[]", done.stderr
