"""Split text into sentences as character spans, never losing or changing a character."""

from __future__ import annotations

import re

# Words that end with a period without ending the sentence.
ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof st jr sr vs etc e.g i.e cf al inc ltd co corp no nos vol vols fig figs
    gen col lt sgt capt cmdr adm sen rep gov pres rev hon dept univ approx est op ed eds pp
    ch sec jan feb mar apr jun jul aug sep sept oct nov dec mt ft u.s u.k u.n e.u a.m p.m""".split()
)

# A sentence end: terminal punctuation, any closing quotes or brackets, then white space and a
# character that can start a sentence.
_BOUNDARY = re.compile(r"""[.!?]+["'”’)\]]*(?=\s+["'“‘(\[]?[A-Z0-9•\-–—])""")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)\.$")
_LIST_MARKER = re.compile(r"\s*(?:[•▪◦*\-–—]|\d{1,3}[.)])\s+")


def _is_abbreviation(text: str, period_at: int) -> bool:
    # Look back only a little: searching from the text start made splitting quadratic.
    match = _WORD_BEFORE.search(text, max(0, period_at - 64), period_at + 1)
    if not match:
        return False
    word = match.group(1).lower()
    # A lone capital is an initial ("J. Smith"); "U.S." style dotted letters are abbreviations.
    return word in ABBREVIATIONS or len(word) == 1 or bool(re.fullmatch(r"(?:[a-z]\.)+[a-z]", word))


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Spans (start, end) of the sentences in text[start:end], trimmed of surrounding white space.

    List markers such as "•" or "1." that open a span are left out of the sentence.
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    cursor = start
    for match in _BOUNDARY.finditer(text, start, end):
        lone_period = match.group() == "."
        if lone_period and _is_abbreviation(text, match.start()):
            continue
        _append_trimmed(text, cursor, match.end(), spans)
        cursor = match.end()
    _append_trimmed(text, cursor, end, spans)
    return spans


def _append_trimmed(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    marker = _LIST_MARKER.match(text, start, end)
    if marker:
        start = marker.end()
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))
