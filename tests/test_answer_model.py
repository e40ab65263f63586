"""The fitted answer-or-abstain model: its checksum, its bar setting, and what users see."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from index.engine import Engine
from index.errors import QabotError
from index.query.answer_model import MODEL_PATH, load_model, resolve_bar

LEVELS = {"lenient": 0.2, "balanced": 0.35, "strict": 0.55}


def test_the_shipped_model_loads_and_orders_its_levels():
    model = load_model()
    assert model.levels["lenient"] < model.levels["balanced"] < model.levels["strict"]
    assert MODEL_PATH.stat().st_size < 30_000_000


def test_a_model_that_fails_its_checksum_is_a_clear_error(model_copy):
    spec = json.loads(model_copy.read_text())
    spec["bias"] += 1.0  # a tampered or damaged file
    model_copy.write_text(json.dumps(spec))
    with pytest.raises(QabotError, match="fails its sha256 check"):
        load_model(model_copy)


def test_a_missing_checksum_is_a_clear_error(model_copy):
    model_copy.with_suffix(".sha256").unlink()
    with pytest.raises(QabotError, match="can't be read"):
        load_model(model_copy)


@pytest.mark.parametrize(
    ("setting", "bar"), [("strict", 0.55), (" Lenient ", 0.2), ("", 0.35), ("0.7", 0.7), ("0", 0.0)]
)
def test_the_abstain_setting_takes_a_level_or_a_number(setting, bar):
    assert resolve_bar(setting, LEVELS) == bar


@pytest.mark.parametrize("setting", ["sometimes", "1.5", "-0.1", "nan"])
def test_a_bad_abstain_setting_names_the_choices(setting):
    with pytest.raises(QabotError, match="lenient, balanced, strict or a number from 0 to 1"):
        resolve_bar(setting, LEVELS)


def test_a_question_the_article_answers_is_answered_with_the_right_sentence(article_engine):
    answer = article_engine.answer("What does Moscow consider the bedrock of its relations?")
    assert answer.answered
    assert "bedrock" in answer.citations[0].quote
    assert answer.confidence >= article_engine.abstain_bar


@pytest.mark.parametrize(
    "question",
    [
        "What did the Chinese foreign ministry say in response?",
        "What did South Korea say about the agreement?",
        "What is the population of the Kurile Islands?",
    ],
)
def test_near_topic_questions_the_article_does_not_answer_are_refused(article_engine, question):
    answer = article_engine.answer(question)
    assert not answer.answered, answer.answer
    assert answer.citations == () and answer.related


def test_the_abstain_level_moves_the_trade_off(article_engine):
    question = "Which US officials attended the meeting in Tokyo?"

    def engine_at(level: str) -> Engine:
        settings = replace(article_engine.settings, abstain=level)
        engine = article_engine
        return Engine(settings, engine.models, engine.embedder, engine._index, exports=False)

    # The confidence from an engine like the others: the session's article engine may have
    # opened before the reader's export was written, and read in PyTorch (0.384 against 0.395).
    anything = engine_at("0").answer(question)
    probability = anything.confidence
    assert anything.answered
    assert not engine_at(f"{min(1.0, probability + 0.01)}").answer(question).answered
    answered = [engine_at(level).answer(question).answered for level in LEVELS]
    assert answered == sorted(answered, reverse=True)  # stricter never answers more


def test_an_irregular_verb_in_the_question_still_finds_its_sentence(tmp_path, open_engine):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "orchard.md").write_text(
        "# Orchard Report\n\nThe cooperative harvested 1,200 tonnes of apples this autumn.\n\n"
        "Apple prices fell by 12 percent because the whole region had a good harvest.\n"
    )
    answer = open_engine(corpus, tmp_path / "index").answer("Why did apple prices fall?")
    assert answer.answered and "good harvest" in answer.answer
