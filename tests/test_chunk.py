from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from index.chunk import chunk_document, count_tokens
from index.ingest import parse_text_document
from index.sentences import split_sentences
from tests.conftest import ARTICLE

WORDS = st.sampled_from(["alpha", "beta", "Gamma", "delta", "U.S.", "(Regnum, July 29)", "3.5"])
SENTENCE = st.builds(
    lambda words, end: " ".join(words) + end,
    st.lists(WORDS, min_size=1, max_size=40),
    st.sampled_from([".", "?", "!", ".”"]),
)
PARAGRAPH = st.lists(SENTENCE, min_size=1, max_size=12).map(" ".join)
DOCUMENT = st.builds(
    lambda title, paragraphs, sep: title + "\n\n" + sep.join(paragraphs),
    st.sampled_from(["Title", "# Title", "Title line"]),
    st.lists(PARAGRAPH, min_size=1, max_size=6),
    st.sampled_from(["\n\n", "\n \n", "\n\n- ", "\n\n## Heading\n\n"]),
)


@settings(max_examples=60, deadline=None)
@given(DOCUMENT)
def test_every_passage_is_exactly_the_text_at_its_offsets(text):
    document = parse_text_document("doc.md", text)
    for chunk in chunk_document(document):
        assert text[chunk.start : chunk.end] == chunk.text
        for sentence in chunk.sentences:
            assert chunk.start <= sentence.start < sentence.end <= chunk.end


@settings(max_examples=60, deadline=None)
@given(DOCUMENT)
def test_chunk_ids_are_stable_across_rebuilds(text):
    first = [c.chunk_id for c in chunk_document(parse_text_document("doc.md", text))]
    again = [c.chunk_id for c in chunk_document(parse_text_document("doc.md", text))]
    assert first == again
    assert len(set(first)) == len(first)


@settings(max_examples=60, deadline=None)
@given(DOCUMENT)
def test_chunks_never_cut_a_sentence_and_stay_near_the_limit(text):
    document = parse_text_document("doc.md", text)
    for chunk in chunk_document(document, max_tokens=60):
        spans = split_sentences(text, chunk.start, chunk.end)
        assert [(s.start, s.end) for s in chunk.sentences] == spans
        assert count_tokens(chunk.text) <= 60 or len(chunk.sentences) == 1


def test_article_paragraphs_are_numbered_as_a_reader_counts_them():
    document = parse_text_document(ARTICLE.name, ARTICLE.read_text(encoding="utf-8"))
    chunks = chunk_document(document)
    # Three summary bullets, then the body; the caption and the "Executive Summary:" label
    # are not paragraphs.
    assert [c.heading for c in chunks[:4]] == ["Executive Summary"] * 3 + [None]
    assert chunks[3].paragraph == 4 and chunks[3].text.startswith(
        "At a meeting in Tokyo on July 28"
    )
    assert chunks[-1].paragraph == 13
    assert not any("Shutterstock" in c.text for c in chunks)


def test_sources_cover_the_unsourced_sentences_before_them_in_a_paragraph():
    text = "T\n\nPeskov spoke first. He said more (Regnum, July 29). Then a new claim."
    chunk = chunk_document(parse_text_document("a.txt", text))[0]
    names = [[s.name for s in sentence.sources] for sentence in chunk.sentences]
    assert names == [["Regnum"], ["Regnum"], []]


def test_same_text_in_another_document_gets_another_id():
    a = chunk_document(parse_text_document("a.txt", "T\n\nSame words here."))[0]
    b = chunk_document(parse_text_document("b.txt", "T\n\nSame words here."))[0]
    assert a.chunk_id != b.chunk_id
