"""The engine end to end with the real model, on the article and on small corpora made here."""

from __future__ import annotations

import shutil
import threading
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.engine import Engine
from index.errors import QuestionError
from index.query.answer import NOT_FOUND, NOT_SURE
from tests.conftest import ARTICLE


def test_answers_with_verbatim_sentences_and_their_sources(article_engine):
    answer = article_engine.answer("What did Tokyo urge Japanese citizens to do?")
    assert answer.answered
    assert "not to visit Russia" in answer.answer
    first = answer.citations[0]
    assert first.doc == ARTICLE.name and first.paragraph == 5
    assert ("Izvestiya", "July 29") in [(s.name, s.date) for s in first.sources]
    assert first.meta["Publication"] == "Eurasia Daily Monitor"
    text = ARTICLE.read_text(encoding="utf-8")
    for citation in answer.citations:
        assert text[citation.start : citation.end] == citation.passage
        assert citation.quote in citation.passage


def test_every_marker_points_to_a_citation_and_every_citation_is_used(article_engine):
    import re

    answer = article_engine.answer(
        "What does NATO want to supply to Japan, according to Patrushev?"
    )
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)}
    assert markers == {c.n for c in answer.citations}
    assert 1 <= len(re.findall(r"\[\d+\]", answer.answer)) <= 3


@pytest.mark.parametrize(
    "question",
    [
        "What is the boiling point of water?",
        "Who won the 2022 football World Cup?",
        "What did Fumio Kishida say about the agreement?",
    ],
)
def test_abstains_when_the_documents_do_not_say(article_engine, question):
    answer = article_engine.answer(question)
    assert not answer.answered and answer.citations == ()
    assert answer.related and "don't answer" in answer.answer


def test_a_sentence_that_comes_near_is_shown_as_closest_never_as_an_answer(article_engine, models):
    question = "What did the Russian official attribute the downgrading to?"
    sure = article_engine.answer(question)
    assert sure.answered and "attributed this downgrading" in sure.answer
    # The same question with the bar above its probability: the middle outcome.
    settings = replace(article_engine.settings, abstain="0.999")
    near = Engine.open(settings, models, exports=False).answer(question)
    assert not near.answered and near.citations == ()
    assert near.answer == NOT_SURE
    assert "attributed this downgrading" in near.closest and near.closest.endswith(" [1]")
    first = near.related[0]
    assert first.n == 1 and " ".join(first.quote.split()) == near.closest.removesuffix(" [1]")
    assert first.quote in first.passage
    # Only passages whole come after it, numbered on.
    assert [c.n for c in near.related] == list(range(1, len(near.related) + 1))
    assert all(c.quote == c.passage for c in near.related[1:])


def test_a_why_question_quotes_the_sentence_with_the_reason(article_engine):
    answer = article_engine.answer("Why was the reception of the Japanese delegation downgraded?")
    assert answer.answered
    assert "attributed this downgrading more to a decision by Tokyo" in answer.answer


def test_other_questions_about_the_same_sentence_are_not_given_its_neighbour(article_engine):
    answer = article_engine.answer(
        "Who said the recent developments would lead to a downgrading in the reception of a "
        "Japanese delegation?"
    )
    assert answer.answered and "Peskov specified" in answer.answer
    assert "attributed" not in answer.answer


def test_an_index_without_the_readers_export_gets_it_when_opened(article_engine, models, tmp_path):
    """New reader weights (an upgrade) find an index exported for the old ones: the engine
    exports the reader once instead of answering every question in PyTorch."""
    index = tmp_path / "index"
    shutil.copytree(article_engine.settings.index_dir, index)
    for old in (index / "models").glob("reader-*"):
        old.unlink()
    settings = replace(article_engine.settings, index_dir=index)
    assert not models.reader_exported(index)
    engine = Engine.open(settings, models, build_if_missing=False, exports=True)
    assert models.reader_exported(index)
    assert engine.answer("What did Tokyo urge Japanese citizens to do?").answered


def test_nothing_is_named_closest_below_the_lenient_level(article_engine):
    answer = article_engine.answer("What is the boiling point of water?")
    floor = article_engine.answer_model.levels["lenient"]
    assert answer.confidence < floor
    assert answer.closest == "" and answer.answer == NOT_FOUND
    assert all(c.quote == c.passage for c in answer.related)


@pytest.mark.parametrize("question", ["", "   ", "x" * 1001])
def test_empty_or_over_long_questions_are_refused(article_engine, question):
    with pytest.raises(QuestionError):
        article_engine.answer(question)


QUESTIONS = st.sampled_from(
    [
        "Who is the Kremlin spokesperson?",
        "What happened to trade?",
        "Why is Moscow angry?",
        "sanctions",
        "What about the Kurile Islands?",
        "Patrushev navy",
        "cats and dogs",
    ]
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(question=QUESTIONS)
def test_quotes_are_always_inside_their_passages(article_engine, question):
    answer = article_engine.answer(question)
    for citation in (*answer.citations, *answer.related):
        assert citation.quote and citation.quote in citation.passage
        assert (
            citation.passage == ARTICLE.read_text(encoding="utf-8")[citation.start : citation.end]
        )


def test_passage_lookup_by_id_and_by_text(article_engine):
    found = article_engine.find_passage("post-Soviet space")
    assert found is not None and "post-Soviet space" in found.passage
    again = article_engine.passage(found.chunk_id)
    assert again is not None and again.passage == found.passage
    assert article_engine.passage("no-such-id") is None
    closest = article_engine.find_passage("Japanese weapons for Ukraine")
    assert closest is not None and "Ukraine" in closest.passage


def test_documents_and_status(article_engine):
    [info] = article_engine.documents()
    assert info.doc == ARTICLE.name and info.chunks == 13
    status = article_engine.status()
    assert status.documents == 1 and status.chunks == 13 and status.changed_since_build == ()


def test_questions_are_answered_from_the_old_index_while_a_build_swaps_in(tmp_path, open_engine):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(
        "Harbour log\n\nThe harbour was closed by ice in March (Regnum, March 3)."
    )
    engine = open_engine(corpus, tmp_path / "index")
    (corpus / "b.txt").write_text("Mill log\n\nThe old mill burned down in 1911 (Herald, June 2).")
    errors: list[BaseException] = []
    answers = []

    def ask():
        try:
            for _ in range(5):
                answers.append(engine.answer("When was the harbour closed by ice?"))
        except BaseException as error:  # noqa: BLE001 - any failure in a thread fails the test
            errors.append(error)

    askers = [threading.Thread(target=ask) for _ in range(4)]
    for thread in askers:
        thread.start()
    report = engine.build()
    for thread in askers:
        thread.join()

    assert not errors and len(answers) == 20
    assert all("closed by ice in March" in a.answer for a in answers)
    assert report.added == ("b.txt",) and report.embedded == 1
    assert "1911" in engine.answer("When did the old mill burn down?").answer


def test_a_second_build_while_one_runs_is_refused(tmp_path, open_engine):
    from index.errors import BuildInProgress

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Log\n\nA single line of text.")
    engine = open_engine(corpus, tmp_path / "index")
    started, release = threading.Event(), threading.Event()

    def slow_progress(done, total):
        started.set()
        release.wait(10)

    builder = threading.Thread(target=engine.build, kwargs={"progress": slow_progress})
    builder.start()
    started.wait(10)
    with pytest.raises(BuildInProgress):
        engine.build()
    release.set()
    builder.join()
