from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from index.sentences import split_sentences


def texts_of(text: str) -> list[str]:
    return [text[a:b] for a, b in split_sentences(text)]


def test_splits_on_terminal_punctuation_and_keeps_closing_quotes_and_sources():
    text = "He said “no.” Then he left (TASS, July 1). Did it work? Yes!"
    assert texts_of(text) == [
        "He said “no.”",
        "Then he left (TASS, July 1).",
        "Did it work?",
        "Yes!",
    ]


def test_abbreviations_and_initials_do_not_end_a_sentence():
    text = "Dr. Smith met J. R. Jones in the U.S. on Monday. They spoke e.g. about trade."
    assert texts_of(text) == [
        "Dr. Smith met J. R. Jones in the U.S. on Monday.",
        "They spoke e.g. about trade.",
    ]


def test_list_markers_are_left_out_of_the_sentence():
    text = "  • First point is here.\n  • Second point."
    assert texts_of(text) == ["First point is here.", "Second point."]


def test_lowercase_after_a_period_continues_the_sentence():
    assert texts_of("It cost 3.5 million. approx. fine.") == ["It cost 3.5 million. approx. fine."]


@given(st.text(alphabet=st.sampled_from("ab .?!\n“”()ABC1•-"), max_size=200))
def test_spans_are_ordered_disjoint_trimmed_and_inside_the_text(text):
    spans = split_sentences(text)
    previous_end = 0
    for start, end in spans:
        assert previous_end <= start < end <= len(text)
        assert not text[start].isspace() and not text[end - 1].isspace()
        previous_end = end
