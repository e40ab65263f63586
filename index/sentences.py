"""Split text into sentences as character spans, never losing or changing a character.

One regular expression finds where a sentence may end: terminal punctuation (ellipses included)
and any closing quotes or brackets, then white space and something other than a lower-case
letter; or white space before a bullet. Each such place is judged by the words around it:

- "!" and "?" end a sentence, and so does a period inside closing quotes ('"No." Then') or after
  an ordinary word or a number (acronyms like "ART" and units like "24 h." are ordinary words);
- a period after an honorific ("Mr.", "Dr.") or "e.g.", "i.e.", "vs." never does;
- after another abbreviation ("Co.", "U.S.", "etc.") or an initial, it does only before a common
  sentence opener ("It", "The", "How"), never before a number ("No. 5", "p. 55");
- "a.m." and "p.m." end a sentence before a capitalised word, unless it names a day, a month or a
  time zone, or the sentence so far is only a time ("At 5 a.m. Mr. Smith left.");
- an ellipsis after a word ("wait... Then") ends a sentence; one standing alone between words
  ("is . . . I") only with a fourth dot, a sentence's own period; one in brackets ("[...]") never.

Email addresses, URLs, file names and decimal or version numbers have no white space after
their periods, so they never end a sentence. A list marker ("•", "-", "1.", "1)", "1.)", "a.")
that opens a sentence is left out of its span, and the next marker of the same list ("2.)"
after "1.)", "b." after "a.") starts a new sentence even without punctuation before it.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Titles before a name: a period after one never ends a sentence, nor does one after "e.g.".
NEVER_FINAL = frozenset(
    """mr mrs ms mx dr prof rev hon gen col lt maj capt cmdr adm sgt cpl pvt gov sen rep pres supt
    det insp messrs mme mlle e.g i.e cf vs viz""".split()
)
# Abbreviations that can also end a sentence (lower case; dotted letters like "U.S." and
# initials count too, without being listed). A lone lower-case letter is one only before a number
# ("p. 55"); before a word it is a unit that ends a sentence ("for 24 h. Cells ...").
ABBREVIATIONS = frozenset(
    """co corp inc ltd llc plc bros assn dept univ govt intl natl etc al approx ca est jr sr st mt
    ft ave blvd rd no nos nr n° nº vol vols fig figs eq eqs ref refs pp ch chap sec sect art para
    ed eds op cit ibid jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur
    thurs fri sat sun ph.d resp suppl proc acad sci biol chem med res physiol pharmacol
    immunol clin exp lett br""".split()
)
# Words that commonly open a sentence: after an abbreviation or initial they end a sentence.
SENTENCE_OPENERS = frozenset(
    """a an the this that these those it its he she we they i you his her their our my your
    there here then but and so yet or nor however meanwhile moreover furthermore also in on at
    as if when while after before since until what why how who whom whose where which some many
    most all no not one each every both such although though because instead still today
    yesterday tomorrow last please let is are was were do does did can could will would should
    has have had for with to of by from despite during overall thus therefore hence finally
    first second third now even only just other another any few several mr mrs ms dr""".split()
)
# Words after "a.m." or "p.m." that continue the sentence ("5 p.m. Tuesday", "9 a.m. ET").
TIME_FOLLOWERS = frozenset(
    """et est edt ct cst cdt mt mst mdt pt pst pdt gmt utc bst cet cest eastern central mountain
    pacific local monday tuesday wednesday thursday friday saturday sunday january february march
    april may june july august september october november december""".split()
)

# Where a sentence may end; "stop" is None for white space before a bullet.
_END = re.compile(
    r"""
    (?P<stop>[.!?…]++(?:\ \.)*+)                    # punctuation, spaced dots ". . ." included
    (?P<close>["'”’»)\]]*+)                         # closing quotes and brackets
    (?=\s+["'“‘«(\[]*(?P<next>[^\s"'“‘«(\[a-z.…,;:!?)\]}”’»]))  # then no lower-case letter
    | \s(?=[•⁃▪◦‣●►]\s*[^\sa-z])                   # white space before a bullet
    """,
    re.VERBOSE,
)
_LIST_MARKER = re.compile(
    r"""\s*(?:[•⁃▪◦‣●►*\-–—][ \t\xa0]*)?            # a bullet, then perhaps a number or letter
    (?:(?P<open>\(?)(?P<label>\d{1,3}|[a-z])(?P<style>\.\)|[.)]))?
    \s+""",
    re.VERBOSE,
)
_OPENING = "\"'“‘«([{"
_QUOTES = "\"'”’»"
_WORD = re.compile(r"[A-Za-z]+\b")  # a whole word: "His", not the start of "His161Arg"
_DOTTED = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]")  # "U.S", "E.U", "U.S.A", "a.m"
_TIMES = frozenset(("a.m", "p.m"))
# A sentence that so far is only a time ("At 5", "On Monday at 5:30") is not over at "a.m.".
_ONLY_A_TIME = re.compile(
    r"(?:[A-Z]\w*,?\s+)*?(?i:at|by|around|about|until|till|before|after|from|since)\s+[\d:.]+\s*"
)


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Spans (start, end) of the sentences in text[start:end], trimmed of surrounding white space.

    List markers such as "•", "1." or "1.)" that open a span are left out of the sentence.
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    cursor = start
    while cursor < end:
        marker = _LIST_MARKER.match(text, cursor, end)
        body = marker.end() if marker else cursor
        stop = _sentence_end(text, body, _next_list_item(text, marker, body, end))
        _append_trimmed(text, body, stop, spans)
        cursor = stop
    return spans


def _sentence_end(text: str, body: int, limit: int) -> int:
    """Where the sentence whose words begin at body ends, at limit at the latest."""
    for match in _END.finditer(text, body, limit):
        stop = match.group("stop")
        if stop is None:
            return match.start()  # a bullet starts the next sentence
        if "!" in stop or "?" in stop:
            return match.end()
        dots = stop.count(".") + 3 * stop.count("…")
        if dots > 1:
            split = _after_ellipsis(text, body, match, dots)
            if split is not None:
                return split
        elif _period_ends(text, body, match):
            return match.end()
    return limit


def _after_ellipsis(text: str, body: int, match: re.Match[str], dots: int) -> int | None:
    """Where a sentence ends at an ellipsis, or None if it goes on."""
    at = match.start("stop")
    before = text[at - 1] if at > body else " "
    if before in "[(":
        return None  # "[...]" marks words left out of a quotation
    if before.isspace():
        return match.end() if dots >= 4 else None  # ". . . ." is an ellipsis and a period
    if " " in match.group("stop") and dots >= 4:
        return at + 1  # "compounds. . . . The": the period ends it, the ellipsis opens the next
    return match.end()


def _period_ends(text: str, body: int, match: re.Match[str]) -> bool:
    """Whether a lone period ends the sentence, judged by the word before it and the one after."""
    if any(quote in match.group("close") for quote in _QUOTES):
        return True  # 'He said "no." Then ...'
    at = match.start("stop")
    word = _word_before(text, body, at)
    kind = _kind(word, text, body, at - len(word))
    following = match.start("next")
    if kind == "title" or (kind != "word" and text[following].isdigit()):
        return False  # "Dr. Smith", "No. 5", "p. 55", "Jan. 6"
    if kind in ("word", "number"):
        return True
    after = _WORD.match(text, following)
    after_word = after.group().lower() if after else ""
    if kind == "time":
        only_a_time = _ONLY_A_TIME.fullmatch(text, body, at - len(word))
        return after_word not in TIME_FOLLOWERS and not only_a_time
    if after_word not in SENTENCE_OPENERS:
        return False
    if kind == "initial":  # or "I": "you and I. Did you see Albert I. Jones?"
        earlier = _previous_word(text, body, at - 1)
        return bool(earlier) and not earlier[0].isupper()
    return True


def _kind(word: str, text: str, body: int, word_start: int) -> str:
    """What the word before a period is: a "title", "time", "initial", "abbreviation",
    one-digit "number" or an ordinary "word" (acronyms like "ART" and units like "24 h" too)."""
    key = word.lower()
    if len(word) == 1:
        if word.isupper():
            return "initial"
        if not "a" <= word <= "z":  # a digit, or a Greek letter naming a thing ("Pol ε.")
            return "number" if word.isdigit() else "word"
        unit = _previous_word(text, body, word_start)[-1:].isdigit()
        return "word" if unit else "abbreviation"
    if word.isalpha() and word.isupper():
        return "word"
    if key in NEVER_FINAL:
        return "title"
    if key in _TIMES:
        return "time"
    if key in ABBREVIATIONS or _DOTTED.fullmatch(word):
        return "abbreviation"
    return "word"


def _word_before(text: str, lo: int, at: int) -> str:
    """The word that ends at `at`, without opening quotes or brackets ("" after white space)."""
    if at <= lo or text[at - 1].isspace():
        return ""
    return text[max(lo, at - 64) : at].rsplit(None, 1)[-1].lstrip(_OPENING)


def _previous_word(text: str, lo: int, at: int) -> str:
    """The last word before `at` that white space ends ("" if there is none since lo)."""
    words = text[max(lo, at - 64) : at].split()
    return words[-1] if words and text[at - 1].isspace() else ""


def _is_abbreviation(text: str, period_at: int) -> bool:
    """Whether the period at period_at follows an abbreviation or an initial; looks back a
    little only. (benchmarks/probes.py times this.)"""
    word = _word_before(text, 0, period_at)
    return _kind(word, text, 0, period_at - len(word)) not in ("word", "number")


def _next_list_item(text: str, marker: re.Match[str] | None, body: int, end: int) -> int:
    """Where the next item of a numbered or lettered list starts ("2.)" after "1.)"), or end."""
    if not marker or not marker.group("label"):
        return end
    found = _item_pattern(marker.group("open"), marker.group("label"), marker.group("style"))
    match = found.search(text, body, end)
    return match.start() if match else end


@lru_cache(maxsize=256)
def _item_pattern(opening: str, label: str, style: str) -> re.Pattern[str]:
    following = str(int(label) + 1) if label.isdigit() else chr(ord(label) + 1)
    return re.compile(r"\s(?:[•⁃▪◦‣●►]\s*)?" + re.escape(opening + following + style) + r"\s")


def _append_trimmed(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))
