"""Passages one at a time (index/query/cascade.py): a full read's answers, with less reading."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from index.query import answer_model, cascade
from index.query.answer_model import MODEL_PATH, CascadeBound, load_model
from index.training import cascade as fit_cascade
from index.training.common import write_model_file

DATA = Path(__file__).parent / "data"
SAMPLE = DATA / "squad_sample"


class Recording:
    """The engine's reader, keeping the passages it was asked to read per question."""

    def __init__(self, reader):
        self.reader = reader
        self.passages: list[list[str]] = []

    def read(self, question, passages):
        if not self.passages or self.passages[-1][0] != question:
            self.passages.append([question])
        self.passages[-1].extend(passages)
        return self.reader.read(question, passages)


@pytest.fixture(scope="module")
def sample_engine(tmp_path_factory, models, exported_model):
    """A real engine over the SQuAD sample's two articles, with the exported reader users get."""
    from index.engine import Engine
    from index.query.reader import OnnxReader
    from index.settings import EngineSettings
    from tests.conftest import share_exported

    root = tmp_path_factory.mktemp("cascade")
    settings = EngineSettings(corpus_dir=SAMPLE / "corpus", index_dir=root / "index")
    share_exported(exported_model, settings.index_dir)
    engine = Engine.open(settings, models, exports=False)
    assert isinstance(engine.reader, OnnxReader)
    engine.reader = Recording(engine.reader)
    return engine


@pytest.fixture(scope="module")
def questions() -> list[str]:
    lines = (SAMPLE / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines]


def ask(engine, questions, full: bool):
    """Each question's answer and the passages read for it, with or without the cascade."""
    with pytest.MonkeyPatch.context() as patch:
        if full:
            patch.setattr(cascade, "margin_bound", lambda model: None)
        engine.reader.passages.clear()
        answers = [engine.answer(q) for q in questions]
    return answers, [read[1:] for read in engine.reader.passages]


def shown(answer):
    """What a user sees of an answer; an abstention decided early may be less confident."""
    return replace(answer, took_ms=0.0, confidence=answer.confidence if answer.answered else 0.0)


def test_every_answer_is_the_full_reads_with_less_reading(sample_engine, questions):
    assert cascade.margin_bound(load_model()) is not None  # the shipped file has a bound
    full, read_all = ask(sample_engine, questions, full=True)
    early, read_some = ask(sample_engine, questions, full=False)
    assert [shown(a) for a in early] == [shown(a) for a in full]
    assert all(len(read) == 3 for read in read_all)
    stopped = sum(len(read) == 1 for read in read_some)
    assert stopped >= len(questions) // 3  # most of the sample is answered from one passage
    assert sum(a.answered for a in full) >= len(questions) // 2


def test_a_question_answered_from_a_later_passage_reads_it(sample_engine, questions):
    full, read_all = ask(sample_engine, questions, full=True)
    later = [
        (q, a, read.index(a.citations[0].passage))
        for q, a, read in zip(questions, full, read_all, strict=True)
        if a.answered and read.index(a.citations[0].passage) > 0
    ]
    assert later  # the sample has questions whose answer is not in the best passage
    early, read_some = ask(sample_engine, [q for q, _, _ in later], full=False)
    for (_, answer, position), again, read in zip(later, early, read_some, strict=True):
        assert len(read) > position
        assert shown(again) == shown(answer)


def rewrite(path: Path, spec: dict) -> None:
    write_model_file(path, spec)


def test_a_model_file_without_the_bound_loads_and_reads_every_passage(
    model_copy, sample_engine, questions, monkeypatch
):
    spec = json.loads(model_copy.read_text())
    del spec["cascade"]
    rewrite(model_copy, spec)
    model = load_model(model_copy)
    assert model.cascade is None and cascade.margin_bound(model) is None
    monkeypatch.setattr(sample_engine, "answer_model", model)
    sample_engine.reader.passages.clear()
    for question in questions[:5]:
        sample_engine.answer(question)
    assert [len(read) - 1 for read in sample_engine.reader.passages] == [3] * 5


def test_a_bound_fitted_for_another_reader_is_not_used():
    model = load_model()
    assert cascade.margin_bound(model) == model.cascade.margin_bound
    other = replace(model, cascade=CascadeBound(model.cascade.margin_bound, "0" * 64))
    assert cascade.margin_bound(other) is None


def test_the_lowest_bound_is_above_every_one_that_changes_an_answer():
    # Three questions of two passages each, stopping after the best one below their bounds; the
    # second's answer from its best passage alone is not the full read's.
    first = fit_cascade.FirstPassage(
        stop_below=np.array([4.0, 1.0, -3.0]),
        same=np.array([True, False, True]),
        same_confidence=np.ones(3, dtype=bool),
        passages=np.array([2, 2, 2]),
    )
    assert fit_cascade.outcome(first, 0.5).differ == 1
    assert list(fit_cascade.outcome(first, 0.5).read) == [1, 1, 2]
    assert fit_cascade.lowest_bound([first], highest=5.1) == 1.0


def test_the_command_writes_only_the_bound_and_the_checksum(tmp_path, model_copy):
    sample = tmp_path / "squad_sample"
    shutil.copytree(SAMPLE, sample)
    args = [str(sample), "--index", str(tmp_path / "index"), "--limit", "40"]
    assert fit_cascade.main([*args, "--model", str(model_copy)]) == 0
    before, after = json.loads(MODEL_PATH.read_text()), json.loads(model_copy.read_text())
    assert {k: v for k, v in after.items() if k != "cascade"} == {
        k: v for k, v in before.items() if k != "cascade"
    }
    answer_model._load.cache_clear()  # the command read the file before rewriting it
    loaded = load_model(model_copy)  # its sha256 checks out
    bound = after["cascade"]["margin_bound"]
    assert loaded.cascade.margin_bound == bound
    assert bound % fit_cascade.GRID_STEP == 0
    assert after["cascade"]["fitted_on"]["per_level"]["balanced"]["differ"] == 0
