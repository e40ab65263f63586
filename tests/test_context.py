"""Follow-up questions: the previous turn's question and cited passages inform the answer."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from index.engine import Engine
from index.query.context import MAX_TURNS, Context, Turn, with_context

FOLLOWUPS = Path(__file__).parent / "data" / "followups.jsonl"


def shown(answer) -> tuple[str, ...]:
    return tuple(c.chunk_id for c in (answer.citations or answer.related[:3]))


def test_a_follow_up_finds_what_the_previous_question_was_about(article_engine) -> None:
    # A bar the question alone doesn't reach (it names no one), so the follow-up path runs.
    engine = Engine(
        replace(article_engine.settings, abstain="0.4"),
        article_engine.models,
        article_engine.embedder,
        article_engine._index,
        exports=False,
    )
    first = engine.answer("Who announced the joint force headquarters?")
    alone = engine.answer("Where did they meet?")
    context = Context((Turn(first.question, shown(first)),))
    followed = engine.answer("Where did they meet?", context)
    assert not alone.answered
    assert followed.answered and "At a meeting in Tokyo on July 28" in followed.answer
    assert followed.question == "Where did they meet?"  # the member's words, not the search text


def test_the_passages_cited_before_are_preferred(article_engine) -> None:
    peskov = article_engine.find_passage("Kremlin spokesperson Dmitry Peskov")
    context = Context((Turn("Tell me more.", (peskov.chunk_id,)),))
    followed = article_engine.answer("When did he say that?", context)
    assert (followed.citations or followed.related)[0].chunk_id == peskov.chunk_id
    alone = article_engine.answer("When did he say that?")
    assert (alone.citations or alone.related)[0].chunk_id != peskov.chunk_id


def test_a_follow_up_quotes_what_answers_it_not_what_was_shown_before(article_engine) -> None:
    # The follow-up is searched for together with the earlier question, whose sentence scores
    # well again; the member asked what trade fell to, and only the next sentence says it.
    first = article_engine.answer("How much was Russian trade with Japan in the last decade?")
    assert first.answered and "reached $35 billion" in first.answer
    context = Context((Turn(first.question, shown(first)),))
    followed = article_engine.answer("And what did it fall to?", context)
    assert followed.answered and "trade fell to just over $10 billion" in followed.answer
    assert "reached $35 billion" not in followed.answer
    assert followed.citations[0].quote.startswith("However, following the Kremlin")


def test_context_is_bounded_to_the_last_turns() -> None:
    turns = tuple(Turn(f"question {i}?", (f"c{i}",)) for i in range(MAX_TURNS + 2))
    context = Context(turns)
    assert with_context("now?", context) == "question 2? question 3? question 4? now?"
    assert context.cited() == ("c4", "c3", "c2")


def test_the_follow_up_set_is_labelled_and_large_enough() -> None:
    items = [json.loads(line) for line in FOLLOWUPS.read_text().splitlines()]
    assert len(items) >= 20
    assert {i["corpus"] for i in items} == {"article", "squad"}
    article = (Path(__file__).parent.parent / "docs_corpus").glob("*.txt")
    text = " ".join(p.read_text() for p in article)
    assert all(i["key"] in text for i in items if i["corpus"] == "article")
