"""The CLI's readable answer: each quote once, in reading order, with its compact citation line."""

from __future__ import annotations

from bot.terminal import format_answer
from index.engine import Engine
from index.models import Answer
from index.query.answer import NOT_SURE
from tests.bot.test_render import citation


def test_each_quote_is_shown_once_then_its_citation(engine: Engine) -> None:
    answer = engine.answer("What failed because of the late frost in April?")
    text = format_answer(answer)
    assert text.count("A late frost in April") == 1
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("  [1] "))
    assert lines[at] == "  [1] Orchard Cooperative Report, ¶2 · Sources: Radio North (September 10)"
    assert "so the cherry harvest failed almost completely" in " ".join(lines[:at])
    assert lines[at + 1].startswith("  orchard.md · characters ")


def test_quotes_follow_reading_order_with_the_json_numbers() -> None:
    first = citation(1, "The terminal opened in 2027.", doc="a.txt", start=500, end=528)
    second = citation(2, "The council met on March 3.", doc="a.txt", start=10, end=37)
    text = format_answer(Answer("When?", True, "…", (first, second), (), 5.0))
    assert text.index("March 3") < text.index("[2] ") < text.index("2027") < text.index("[1] ")


def test_the_closest_sentence_is_shown_as_possibly_not_answering() -> None:
    passage = "The council met on March 3. The terminal opened in 2027."
    first = citation(1, passage, quote="The terminal opened in 2027.")
    other = citation(2, "Ferries run hourly.")
    answer = Answer(
        "When did the port open?",
        False,
        NOT_SURE,
        (),
        (first, other),
        5.0,
        0.1,
        "The terminal opened in 2027. [1]",
    )
    text = format_answer(answer)
    assert text.startswith(f"{NOT_SURE}\nThe sentence that comes closest (it may not answer")
    assert text.count("The terminal opened in 2027.") == 1
    assert "The council met" not in text  # the closest sentence, not its whole passage
    assert text.index("2027") < text.index("Other close passages:") < text.index("Ferries")
