"""Fit the answer-or-abstain model on a SQuAD-style set: `python -m index.training.fit DIR`.

DIR holds `corpus/` (the documents) and `questions.jsonl` (`question`, `answerable`, `answers`,
`doc`). Every question is asked of an index of the corpus; each candidate sentence of its best
passages becomes one row of features, labelled 1 when it lies in the right document and holds a
gold answer. Unanswerable questions give only negatives.

Cross-validation is by document (never by question): the out-of-fold probabilities give the
abstention bar's named levels and the answer/abstain curve, and each fold's figures come from a bar
chosen without that fold. The final model is fitted on everything and written, with its sha256, to
index/data/. The fit is deterministic (lbfgs, fixed fold assignment, seed 0) and takes about a
minute on two cores, most of it asking the questions.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass

import numpy as np

from index.query.answer import MAX_SENTENCES, SHARE_OF_BEST
from index.query.answer_model import MODEL_PATH, AnswerModel
from index.query.features import (
    FEATURES,
)
from index.training.common import (
    FOLDS,
    SEED,
    arguments,
    fold_of,
    questions_sha256,
    write_model_file,
)
from index.training.rows import Rows, collect

C = 1.0  # inverse L2 strength; 0.1-10 scored within 0.003 accuracy of each other
LENIENT_ANSWER_RATE = 0.8  # "lenient" answers this share of the answerable questions
STRICT_ABSTAIN = 0.9  # "strict" abstains on this share of the unanswerable ones
CURVE = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
ACCURACY_SLACK = 0.005  # "balanced": the lowest bar this close to the best accuracy


# The direction each feature may push the probability, where it is known beforehand: more
# similarity or coverage never makes an answer less likely, and a missing name never makes it more
# likely. SQuAD 2.0's unanswerable questions were written to match their paragraph closely, so
# without these signs the fit learns that a closer passage means "no answer", which holds for that
# data set only. Features not listed may take either sign.
SIGNS = {
    "similarity": 1,
    "similarity_gap": 1,
    "coverage": 1,
    "coverage_gap": 1,
    "window_coverage": 1,
    "passage_coverage": 1,
    "order": 1,
    "has_type": 1,
    "passage_dense": 1,
    "passage_lexical": 1,
    "best_passage_dense": 1,
    "missing_idf": -1,
    "passage_missing_idf": -1,
    "missing_names": -1,
    "missing_numbers": -1,
    "negation_mismatch": -1,
    "substituted": -1,
    "substituted_idf": -1,
    "passage_rank": -1,
    "reader": 1,
}


def fit_logistic(x: np.ndarray, y: np.ndarray) -> dict:
    """L2-regularised logistic regression on standardised features, with the SIGNS as bounds."""
    from scipy.optimize import minimize

    mean = x.mean(0)
    scale = x.std(0)
    scale[scale == 0] = 1.0
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    target = y.astype(np.float64)

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        margin = z @ w
        p = 1.0 / (1.0 + np.exp(-margin))
        value = np.logaddexp(0.0, margin).sum() - target @ margin + 0.5 / C * w[:-1] @ w[:-1]
        gradient = z.T @ (p - target)
        gradient[:-1] += w[:-1] / C
        return float(value), gradient

    bounds = [_bound(SIGNS.get(name, 0)) for name in FEATURES] + [(None, None)]
    fitted = minimize(loss, np.zeros(z.shape[1]), jac=True, method="L-BFGS-B", bounds=bounds)
    return {
        "mean": mean.tolist(),
        "scale": scale.tolist(),
        "weights": fitted.x[:-1].tolist(),
        "bias": float(fitted.x[-1]),
    }


def _bound(sign: int) -> tuple[float | None, float | None]:
    return {1: (0.0, None), -1: (None, 0.0)}.get(sign, (None, None))


def predict(spec: dict, x: np.ndarray) -> np.ndarray:
    """The probabilities the engine would give: through AnswerModel itself."""
    model = AnswerModel(
        features=FEATURES,
        mean=np.asarray(spec["mean"]),
        scale=np.asarray(spec["scale"]),
        weights=np.asarray(spec["weights"]),
        bias=float(spec["bias"]),
        levels={},
    )
    return model.probabilities(x)


@dataclass(frozen=True)
class Decisions:
    best: np.ndarray  # per question: the best candidate's probability (0 without candidates)
    correct: np.ndarray  # per question: the answer at bar 0 would hold a gold answer


def decide(rows: Rows, probabilities: np.ndarray, bar: float = 0.0) -> Decisions:
    count = len(rows.answerable)
    best = np.zeros(count)
    correct = np.zeros(count, dtype=bool)
    bounds = np.searchsorted(rows.question, np.arange(count + 1))
    for q in range(count):
        p = probabilities[bounds[q] : bounds[q + 1]]
        if not len(p):
            continue
        order = np.argsort(-p, kind="stable")[:MAX_SENTENCES]
        best[q] = p[order[0]]
        floor = max(bar, SHARE_OF_BEST * best[q])
        chosen = [i for i in order if i == order[0] or p[i] >= floor]
        correct[q] = rows.labels[bounds[q] + np.asarray(chosen)].any()
    return Decisions(best, correct)


def figures(rows: Rows, decisions: Decisions, bar: float, mask: np.ndarray | None = None) -> dict:
    mask = np.ones(len(rows.answerable), dtype=bool) if mask is None else mask
    answered = decisions.best >= bar
    right = np.where(rows.answerable, answered & decisions.correct, ~answered)
    answerable, unanswerable = mask & rows.answerable, mask & ~rows.answerable
    return {
        "accuracy": round(float(right[mask].mean()), 4),
        "answer": round(float((answered & decisions.correct)[answerable].mean()), 4),
        "answer_rate": round(float(answered[answerable].mean()), 4),
        "abstain": round(float((~answered)[unanswerable].mean()), 4),
    }


def best_bar(rows: Rows, decisions: Decisions, mask: np.ndarray) -> float:
    """The lowest bar within ACCURACY_SLACK of the best accuracy: around its peak the accuracy
    curve is flat, and a lower bar there answers many more questions for almost nothing."""
    bars = np.unique(np.round(decisions.best[mask], 4))
    scores = np.array([figures(rows, decisions, b, mask)["accuracy"] for b in bars])
    return float(bars[np.flatnonzero(scores >= scores.max() - ACCURACY_SLACK)[0]])


def levels(rows: Rows, decisions: Decisions) -> dict[str, float]:
    answerable = np.sort(decisions.best[rows.answerable])[::-1]
    unanswerable = np.sort(decisions.best[~rows.answerable])
    lenient = answerable[int(LENIENT_ANSWER_RATE * len(answerable)) - 1]
    strict = unanswerable[int(STRICT_ABSTAIN * len(unanswerable))]
    everything = np.ones(len(rows.answerable), dtype=bool)
    balanced = min(max(best_bar(rows, decisions, everything), lenient), strict)
    return {
        "lenient": round(float(lenient), 4),
        "balanced": round(float(balanced), 4),
        "strict": round(float(strict), 4),
    }


def cross_validate(rows: Rows) -> tuple[np.ndarray, dict]:
    """Out-of-fold probabilities, and each fold's figures at a bar chosen without it."""
    question_fold = fold_of(rows.document)
    row_fold = question_fold[rows.question]
    probabilities = np.zeros(len(rows.labels))
    for fold in range(FOLDS):
        train = row_fold != fold
        spec = fit_logistic(rows.features[train], rows.labels[train])
        probabilities[~train] = predict(spec, rows.features[~train])
    decisions = decide(rows, probabilities)
    per_fold = []
    for fold in range(FOLDS):
        held = question_fold == fold
        bar = best_bar(rows, decisions, ~held)
        per_fold.append(
            {"fold": fold, "documents": sorted(set(rows.document[held].tolist())), "bar": bar}
            | figures(rows, decisions, bar, held)
        )
    pooled = {
        key: round(float(np.mean([f[key] for f in per_fold])), 4)
        for key in ("accuracy", "answer", "answer_rate", "abstain")
    }
    return probabilities, {"folds": per_fold, "mean_of_folds": pooled}


def main(argv: list[str] | None = None) -> int:
    args = arguments("python -m index.training.fit", __doc__, MODEL_PATH).parse_args(argv)
    rows = collect(args.folder, args.index)
    probabilities, report = cross_validate(rows)
    decisions = decide(rows, probabilities)
    named = levels(rows, decisions)
    curve = [{"bar": b} | figures(rows, decisions, b) for b in CURVE]
    curve += [{"level": n, "bar": b} | figures(rows, decisions, b) for n, b in named.items()]
    spec = {"features": list(FEATURES)} | fit_logistic(rows.features, rows.labels)
    spec |= {
        "levels": named,
        "fitted_on": {
            "folder": args.folder.name,
            "questions": int(len(rows.answerable)),
            "questions_sha256": questions_sha256(args.folder),
            "candidates": int(len(rows.labels)),
            "seed": SEED,
            "C": C,
        },
        "cross_validation": report | {"out_of_fold_curve": curve},
    }
    write_model_file(args.out, spec)
    print(json.dumps(report["mean_of_folds"] | {"levels": named}))
    for point in curve:
        print(json.dumps(point))
    return 0


if __name__ == "__main__":
    sys.exit(main())
