"""Find the sources a document cites inline: "... (RIA Novosti; Vedomosti, July 31)." -> 2 sources.

A parenthetical is read as sources when every ";"-separated item is a name, optionally followed by
dates after a comma: "Regnum, July 29", "see EDM, January 24, March 19, 2019", "Orda.kz",
"https://tass.com/x, 2024-07-29". Dated groups count anywhere in a sentence; undated ones only where
they close it. Acronyms that spell the words before them ("... Organization (NATO)"), lowercase
asides and [bracketed] words are not sources.
"""

from __future__ import annotations

import re

from index.models import Source

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_DATE_TOKEN = re.compile(
    rf"""
    {_MONTH}(?:\s+\d{{1,2}}(?:st|nd|rd|th)?)?     # July 29 / July
    | \d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}        # 29 July
    | \d{{4}}-\d{{2}}-\d{{2}}                     # 2024-07-29
    | \d{{1,2}}[./]\d{{1,2}}[./]\d{{2,4}}          # 29.07.2024, 7/29/24
    | (?:19|20)\d{{2}}                             # 2019
    | \d{{1,2}}(?:st|nd|rd|th)?                    # the 29 of "July 28, 29"
    """,
    re.VERBOSE,
)
_DATE_GLUE = re.compile(r"[\s,–—\-&]+|\band\b")
_PAREN = re.compile(r"\(([^()]{2,300})\)")
_URL = re.compile(r"https?://[^\s,;]+|www\.[^\s,;]+")
_LEAD_IN = re.compile(r"^(?:see also|see|cf\.|e\.g\.,?|via|sources?:)\s+", re.IGNORECASE)
_NAME_CONNECTORS = frozenset(
    """of the de la le du and for on in et al al. von van der des y & -""".split()
)
_CLOSES_SENTENCE = re.compile(r"""\s*[.!?]*["'”’]*\s*$""")


def parse_sources(sentence: str) -> tuple[Source, ...]:
    """Sources cited by one sentence, in order, without duplicates."""
    found: list[Source] = []
    for match in _PAREN.finditer(sentence):
        at_end = bool(_CLOSES_SENTENCE.fullmatch(sentence, match.end()))
        group = _parse_group(match.group(1), sentence[: match.start()], at_end)
        found.extend(source for source in group if source not in found)
    return tuple(found)


def _parse_group(content: str, before: str, at_end: bool) -> list[Source]:
    items = [_parse_item(part) for part in content.split(";")]
    if not items or any(item is None for item in items):
        return []
    dated = any(date for _, date in items)
    if not dated and not (at_end and not _is_acronym_of(content.strip(), before)):
        return []
    return _share_dates(items)


def _parse_item(item: str) -> tuple[str, str | None] | None:
    item = _LEAD_IN.sub("", item.strip())
    url = _URL.match(item)
    if url:
        name, rest = url.group().rstrip(".,"), item[url.end() :].lstrip(" ,")
    else:
        name, _, rest = item.partition(",")
        name, rest = name.strip(), rest.strip()
    if rest and not is_date(rest):
        return None
    if not url and not _looks_like_name(name):
        return None
    return name, (rest or None)


def is_date(text: str) -> bool:
    """True when text is only dates: "July 28, 29", "January 24, March 19, 2019", "2024-07-29"."""
    tokens = _DATE_TOKEN.findall(text)
    leftover = _DATE_GLUE.sub("", _DATE_TOKEN.sub("", text))
    has_anchor = any(not re.fullmatch(r"\d{1,2}(?:st|nd|rd|th)?", t) for t in tokens)
    return bool(tokens) and has_anchor and not leftover


def _looks_like_name(name: str) -> bool:
    words = name.split()
    if not 1 <= len(words) <= 6 or is_date(name):
        return False
    if not (name[0].isupper() or name[0].isdigit()):
        return False
    lowercase = [w for w in words[1:] if w[0].islower() and w.lower() not in _NAME_CONNECTORS]
    return not lowercase and (not name.endswith((":", ".")) or name.endswith(" al."))


def _is_acronym_of(token: str, before: str) -> bool:
    """True for 'NATO' after 'North Atlantic Treaty Organization'."""
    if not re.fullmatch(r"[A-Z][A-Za-z]{1,9}", token) or sum(c.isupper() for c in token) < 2:
        return False
    words = [w for w in re.findall(r"[A-Za-z][\w'’-]*", before) if w.lower() not in ("of", "the")]
    initials = "".join(w[0] for w in words[-len(token) - 2 :]).upper()
    letters = "".join(c for c in token if c.isupper())
    return initials.endswith(letters) or len(token) <= 5 and token.isupper() and not before.strip()


def _share_dates(items: list[tuple[str, str | None]]) -> list[Source]:
    """In "(RIA Novosti; Vedomosti, July 31)" the date closes the group and covers both outlets."""
    sources: list[Source] = []
    next_date: str | None = None
    for name, date in reversed(items):
        next_date = date or next_date
        sources.append(Source(name, next_date))
    return list(reversed(sources))
