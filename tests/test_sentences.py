from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchmarks.sentences import case_passes, read_cases
from index.sentences import split_sentences

DATA = Path(__file__).parent / "data"


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


GOLDEN_RULES = read_cases(DATA / "golden_rules_en.jsonl")  # the 48 English Golden Rules (pySBD)
OWN_CASES = read_cases(DATA / "sentence_cases.jsonl")  # news and technical prose


def test_golden_rules_pass_at_least_46_of_48():
    failed = [case["id"] for case in GOLDEN_RULES if not case_passes(case)]
    assert len(GOLDEN_RULES) == 48
    assert len(failed) <= 2, f"failed Golden Rules: {failed}"


@pytest.mark.parametrize("case", OWN_CASES, ids=[case["name"] for case in OWN_CASES])
def test_news_and_technical_sentences(case):
    assert case_passes(case), texts_of(case["text"])


@pytest.mark.parametrize("case", GOLDEN_RULES + OWN_CASES, ids=lambda case: case["name"])
def test_spans_are_exact_increasing_and_disjoint(case):
    text = case["text"]
    previous_end = 0
    for start, end in split_sentences(text):
        assert previous_end <= start < end <= len(text)
        assert text[start:end] == text[start:end].strip()
        previous_end = end


@pytest.mark.parametrize("marker", ["•", "-", "1.", "1)", "1.)", "(1)", "a.", "• 9.", "⁃9."])
def test_a_list_marker_opening_a_span_is_left_out(marker):
    text = f"{marker} Install the package. Then run it.\n"
    assert texts_of(text) == ["Install the package.", "Then run it."]


def test_the_next_marker_of_a_list_starts_a_sentence_without_punctuation():
    assert texts_of("1.) Buy milk 2.) Buy eggs") == ["Buy milk", "Buy eggs"]
    assert texts_of("Go to step 1. Then go to step 2. Done.") == [
        "Go to step 1.",
        "Then go to step 2.",
        "Done.",
    ]


def test_a_range_is_split_as_if_it_were_the_whole_text():
    text = "Intro. Acme Co. It grew. Mr. Lee left at 5 p.m. Then it rained."
    start = text.index("Acme")
    end = text.index(" Then")
    assert [text[a:b] for a, b in split_sentences(text, start, end)] == [
        "Acme Co.",
        "It grew.",
        "Mr. Lee left at 5 p.m.",
    ]
