from __future__ import annotations

import pytest

from index.build.sources import is_date, parse_sources
from index.models import Source


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Trade fell (Bruegel, May 23).", [("Bruegel", "May 23")]),
        (
            "He did not say how (RIA Novosti; Vedomosti, July 31).",
            [("RIA Novosti", "July 31"), ("Vedomosti", "July 31")],
        ),
        (
            "It waned (see EDM, September 14, 2021, May 2, 2023; Orda.kz; Nikkei Asia, August 1).",
            [
                ("EDM", "September 14, 2021, May 2, 2023"),
                ("Orda.kz", "August 1"),
                ("Nikkei Asia", "August 1"),
            ],
        ),
        (
            "No treaty (see EDM, January 24, March 19, 2019).",
            [("EDM", "January 24, March 19, 2019")],
        ),
        ("They spoke (Reuters, 2024-07-29).", [("Reuters", "2024-07-29")]),
        ("They spoke (Le Monde, 29 juillet 2024).", []),  # not an English date: not guessed
        ("They spoke (Der Spiegel, 29 July 2024).", [("Der Spiegel", "29 July 2024")]),
        ("A report (Kommersant, Jan. 5, 2023) said so.", [("Kommersant", "Jan. 5, 2023")]),
        (
            "A deal (https://tass.com/politics/1, July 30; Interfax, 30.07.2024).",
            [("https://tass.com/politics/1", "July 30"), ("Interfax", "30.07.2024")],
        ),
        ("The figure was disputed (Interfax).", [("Interfax", None)]),
        ("Costs rose (Smith et al., 2019).", [("Smith et al.", "2019")]),
        (
            "It was quoted “word for word” (The New York Times, March 3).",
            [("The New York Times", "March 3")],
        ),
    ],
)
def test_sources_are_parsed_with_names_and_dates(sentence, expected):
    assert parse_sources(sentence) == tuple(Source(n, d) for n, d in expected)


@pytest.mark.parametrize(
    "sentence",
    [
        "It joined the North Atlantic Treaty Organization (NATO).",
        "It was a North Atlantic Treaty Organization (NATO) effort.",
        "The World Health Organization (WHO) agreed.",
        "Politicians [Russian] disagreed.",
        "Prices rose (by 5 percent) last year.",
        "It was published (in Russian).",
        "Results (Table 2) are shown.",
        "He was born in 1950 (aged 74).",
    ],
)
def test_acronyms_asides_and_brackets_are_not_sources(sentence):
    assert parse_sources(sentence) == ()


@pytest.mark.parametrize("text", ["July 28, 29", "May 2, 2023", "2019", "7/29/24", "Sept. 3"])
def test_dates(text):
    assert is_date(text)


@pytest.mark.parametrize("text", ["Moscow", "3 percent", "29", "page 4"])
def test_not_dates(text):
    assert not is_date(text)
