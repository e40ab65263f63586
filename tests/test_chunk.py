from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from index.build.chunk import (
    PREFIX_PIECES,
    TARGET_PIECES,
    TITLE_PIECES,
    chunk_document,
    model_window,
)
from index.build.ingest import parse_text_document
from index.build.keys import search_text, sentence_spans
from index.models import Chunk
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
    for chunk in chunk_document(document, max_pieces=60):
        spans = split_sentences(text, chunk.start, chunk.end)
        assert [(s.start, s.end) for s in chunk.sentences] == spans
        assert model_window().count(chunk.text) <= 60 or len(chunk.sentences) == 1


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


# ---- the model's window: real tokenizer, long sentences, titles and headings ----------------

LONG_WORDS = "Pharmacokinetic immunohistochemistry revealed glycosylphosphatidylinositol-anchored"
SCIENCE = [  # 38 word pieces each, but only ten words and marks: 100 of the old budget's 200
    f"{LONG_WORDS} metalloproteinases in {organ}." for organ in ("cardiomyocytes", "hepatocytes")
] * 5
TITLES = st.sampled_from(["Short title", "Extraordinarily " * 400, "qxz" * 33, ""])
HEADINGS = st.sampled_from(["", "\n\n## A heading\n\n", "\n\n## " + "Subheading " * 200 + "\n\n"])
LONG_DOCUMENT = st.builds(
    lambda title, heading, paragraphs: title + "\n\n" + heading + "\n\n".join(paragraphs),
    TITLES,
    HEADINGS,
    st.lists(
        st.lists(st.sampled_from([*SCIENCE, "Yes.", "The " + "very " * 300 + "end."]), max_size=30)
        .filter(bool)
        .map(" ".join),
        min_size=1,
        max_size=3,
    ),
)


def in_window(chunk: Chunk) -> bool:
    """Every sentence's word pieces lie inside the model's window in the embedded text; only a
    sentence that fills a chunk alone may run past it, and it must start inside."""
    window = model_window()
    encoding = window.tokenizer.encode(search_text(chunk))  # with [CLS] and [SEP]
    last = window.size - 2  # the last position for text; [SEP] takes the one after
    starts = [a for (a, b), piece in zip(encoding.offsets, encoding.ids, strict=True) if b > a]
    for start, end in sentence_spans(chunk):
        pieces = [i + 1 for i, a in enumerate(starts) if start <= a < end]  # +1 for [CLS]
        if pieces[0] > last or (pieces[-1] > last and len(chunk.sentences) > 1):
            return False
    return True


def read(text: str):
    return parse_text_document("doc.md", text)


@settings(max_examples=40, deadline=None)
@given(LONG_DOCUMENT)
def test_every_sentence_lies_inside_the_window_of_its_embedded_text(text):
    document = read(text)
    for chunk in chunk_document(document):
        assert in_window(chunk)
        for (a, b), sentence in zip(sentence_spans(chunk), chunk.sentences, strict=True):
            assert search_text(chunk)[a:b] == text[sentence.start : sentence.end]


def test_a_sentence_past_the_old_budget_starts_a_new_chunk():
    document = read("Title\n\n" + " ".join(SCIENCE))  # one old chunk of 380 word pieces
    chunks = chunk_document(document)
    assert len(chunks) == 2 and all(in_window(c) for c in chunks)
    assert [len(c.sentences) for c in chunks] == [5, 5]  # split evenly


def test_an_over_long_sentence_stands_alone_and_starts_inside_the_window():
    long = "The " + "very " * 300 + "end."
    document = read(f"Title\n\nA short one. {long} Another short one.")
    chunks = chunk_document(document)
    assert [c.text for c in chunks] == ["A short one.", long, "Another short one."]
    assert model_window().count(search_text(chunks[1])) > model_window().room
    assert all(in_window(c) for c in chunks)


def test_a_long_title_is_cut_at_a_word_and_leaves_the_text_its_room():
    title = "Extraordinarily " * 400
    document = read(title + "\n\n" + " ".join(SCIENCE[:2]))
    chunk = chunk_document(document)[0]
    prefix = search_text(chunk).removesuffix("\n" + chunk.text)
    assert title.startswith(prefix) and prefix.endswith("Extraordinarily")
    assert model_window().count(prefix) <= TITLE_PIECES
    assert chunk.title == title.strip()  # cut only where it is embedded, not where it is shown


def test_a_long_heading_keeps_the_title_and_the_prefix_cap():
    heading = "Subheading " * 200
    document = read(f"Title\n\n## {heading}\n\n" + " ".join(SCIENCE))
    chunks = chunk_document(document)
    prefix = search_text(chunks[0]).removesuffix("\n" + chunks[0].text)
    assert prefix.startswith("Title\nSubheading") and heading.startswith(prefix.split("\n")[1])
    assert model_window().count(prefix) <= PREFIX_PIECES
    room = model_window().room - model_window().count(prefix)
    assert all(model_window().count(c.text) <= room and in_window(c) for c in chunks)


def test_many_short_sentences_fill_even_chunks_up_to_the_target():
    document = read("Title\n\n" + " ".join(f"Point {n} holds." for n in range(400)))
    chunks = chunk_document(document)
    sizes = [model_window().count(c.text) for c in chunks]
    assert max(sizes) <= TARGET_PIECES and min(sizes) > 0.8 * max(sizes)  # no short tail
    assert sum(len(c.sentences) for c in chunks) == 400
