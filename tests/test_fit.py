"""Fitting the answer model: folds by document, the bar's levels and the figures it reports."""

from __future__ import annotations

import numpy as np

from index.training.fit import FOLDS, Rows, decide, figures, fold_of, levels


def _rows() -> Rows:
    # Three questions: q0 answerable, its second candidate holds the answer; q1 answerable, no
    # candidate holds it; q2 unanswerable.
    return Rows(
        features=np.zeros((6, 2)),
        labels=np.array([False, True, False, False, False, False]),
        question=np.array([0, 0, 1, 1, 2, 2]),
        answerable=np.array([True, True, False]),
        document=np.array(["a", "b", "a"]),
        corpus=np.array(["set"] * 3),
    )


def test_every_document_lies_in_exactly_one_fold():
    documents = np.array([f"doc{i % 18}" for i in range(500)])
    folds = fold_of(documents)
    for name in set(documents.tolist()):
        assert len(set(folds[documents == name].tolist())) == 1
    assert set(folds.tolist()) == set(range(FOLDS))
    assert (fold_of(documents) == folds).all()  # deterministic


def test_an_answer_counts_when_any_chosen_sentence_holds_a_gold_answer():
    rows = _rows()
    probabilities = np.array([0.8, 0.5, 0.6, 0.1, 0.3, 0.2])
    decisions = decide(rows, probabilities)
    assert decisions.best.tolist() == [0.8, 0.6, 0.3]
    assert decisions.correct.tolist() == [True, False, False]  # 0.5 >= half of 0.8 joins
    assert not decide(rows, np.array([0.8, 0.3, 0.6, 0.1, 0.3, 0.2])).correct[0]


def test_figures_follow_the_bar():
    rows = _rows()
    decisions = decide(rows, np.array([0.8, 0.5, 0.6, 0.1, 0.3, 0.2]))
    at_half = figures(rows, decisions, 0.5)
    # q0 answered right, q1 answered wrong, q2 abstained.
    assert at_half == {"accuracy": 0.6667, "answer": 0.5, "answer_rate": 1.0, "abstain": 1.0}
    assert figures(rows, decisions, 0.9)["accuracy"] == 0.3333  # only the abstention is right


def test_levels_are_ordered_from_lenient_to_strict():
    rng = np.random.default_rng(0)
    count = 400
    answerable = rng.random(count) < 0.5
    best = np.clip(rng.normal(0.3 + 0.2 * answerable, 0.15), 0, 1)
    rows = Rows(
        np.zeros((count, 1)),
        answerable.copy(),
        np.arange(count),
        answerable,
        np.array([f"d{i % 10}" for i in range(count)]),
        np.array(["set"] * count),
    )
    named = levels(rows, decide(rows, best))
    assert named["lenient"] <= named["balanced"] <= named["strict"]
