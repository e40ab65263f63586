"""Shortening text for Discord: always within the limit, cut where a reader expects it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot import limits

WORDS = st.lists(
    st.text(alphabet="abcdefghij*_`~|>#-@.!? ", min_size=1, max_size=12), min_size=1, max_size=400
).map(" ".join)


def test_short_text_is_left_alone() -> None:
    assert limits.shorten("  Two words.  ", 20) == "Two words."


def test_cuts_after_the_last_whole_sentence() -> None:
    text = (
        "The council met on Monday. It approved the terminal. The mayor spoke at length afterwards."
    )
    assert limits.shorten(text, 60) == "The council met on Monday. It approved the terminal. …"


def test_cuts_at_a_word_when_no_sentence_ends_in_reach() -> None:
    text = "a long sentence without any full stop that keeps going and going"
    short = limits.shorten(text, 30)
    assert short == "a long sentence without any…"
    assert len(short) <= 30


@given(WORDS, st.integers(min_value=1, max_value=3000))
def test_shorten_never_exceeds_the_limit_and_keeps_a_prefix(text: str, limit: int) -> None:
    short = limits.shorten(text, limit)
    assert len(short) <= limit
    if short != text.strip():
        assert short.endswith(limits.ELLIPSIS)
        assert text.strip().startswith(short.removesuffix(limits.ELLIPSIS).rstrip(" ,;:-—"))


@given(WORDS, st.integers(min_value=1, max_value=1100))
def test_fit_keeps_rendered_quotes_within_the_limit(text: str, limit: int) -> None:
    assert len(limits.fit(text, limit, limits.quote_block)) <= limit


@given(WORDS, st.integers(min_value=20, max_value=500))
def test_split_pieces_fit_and_lose_no_words(text: str, size: int) -> None:
    pieces = limits.split(text, size)
    assert all(len(p) <= size for p in pieces)
    assert " ".join(pieces).split() == text.split()


def test_quote_block_escapes_markdown_and_quotes_every_line() -> None:
    block = limits.quote_block("**not bold**\n# not a heading\n\n_plain_")
    assert block == "> \\*\\*not bold\\*\\*\n> \\# not a heading\n>\n> \\_plain\\_"
