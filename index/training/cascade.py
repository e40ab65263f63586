"""The margin bound for reading passages one at a time: `python -m index.training.cascade`.

index.query.cascade reads the best passage alone and the others only when a sentence of theirs
could change the answer with the reader margin `margin_bound`. The highest margin the shipped
reader gives is about 5, but a sentence of a later passage that reaches it and changes the answer
is rare, and every lower bound saves more reading. This command takes the lowest bound, on a grid
of GRID_STEP, at which the engine's answer stays the full read's on every question of the levels'
sample (index/training/levels.py: each set's questions as asked, plus the off-topic and near-miss
variants), at every named level and at every bound above it. "The answer" is whether it answers,
the sentences it quotes, and the closest sentence an abstention names; an abstention decided
early may report a lower confidence (the best of the sentences read), which it counts apart.

It reads the levels' cached rows (computing them when missing), writes the bound into the answer
model file with the sha256 of the reader it bounds, and rewrites the file's .sha256. Run it again
after `python -m index.training.fit` or `.levels` (fit writes a file without the bound; without
one the engine reads every passage) or after the reader is retrained (the engine ignores a bound
for another reader):

    python -m index.training.cascade ../shared/eval/squad2-dev-half \\
        ../shared/train/squadshifts_amazon ../shared/train/squadshifts_new_wiki
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass

import numpy as np

from index.errors import QabotError
from index.query.answer import CLOSEST_LEVEL, MAX_SENTENCES, SHARE_OF_BEST, deciding
from index.query.answer_model import AnswerModel, load_model
from index.query.features import FEATURES
from index.query.span_model import shipped_sha256
from index.training.common import SEED, write_model_file
from index.training.levels import held_out_parts, rows_arguments
from index.training.rows import Rows

GRID_STEP = 0.25
LOWEST = -10.0  # the grid's floor: about the median margin, far below any answer's
READER = FEATURES.index("reader")
RANK = FEATURES.index("passage_rank")


@dataclass(frozen=True)
class FirstPassage:
    """Per question, what reading only its best passage would do: the bound below which the
    engine stops there (index.query.cascade.settled), and whether the answer from that passage
    alone is the full read's, and its confidence too."""

    stop_below: np.ndarray
    same: np.ndarray
    same_confidence: np.ndarray
    passages: np.ndarray  # how many passages it has candidates in


def decision(probabilities: np.ndarray, bar: float, floor: float) -> tuple:
    """What the answer step makes of these candidates (their rows' order kept): answered or not,
    the sentences quoted, the closest sentence named (index.query.answer)."""
    order = np.argsort(-probabilities, kind="stable")
    best = probabilities[order[0]]
    if best < bar:
        return (False, int(order[0]) if best >= floor else None)
    joining = max(bar, SHARE_OF_BEST * best)
    return (
        True,
        int(order[0]),
        frozenset(int(i) for i in order[1:MAX_SENTENCES] if probabilities[i] >= joining),
    )


def first_passage(rows: Rows, model: AnswerModel, bar: float) -> FirstPassage:
    weight = model.weights[READER] / model.scale[READER]
    if weight < 0:
        raise QabotError("the answer model weighs the reader negatively: no margin bounds it")
    full = model.probabilities(rows.features)
    at_mean = rows.features.copy()
    at_mean[:, READER] = model.mean[READER]
    base = _logit(model.probabilities(at_mean))  # each candidate's log-odds without the reader
    floor = model.levels.get(CLOSEST_LEVEL, bar)
    count = len(rows.answerable)
    rank = rows.features[:, RANK].astype(np.int64)
    stop_below = np.full(count, -np.inf)
    same = np.ones(count, dtype=bool)
    same_confidence = np.ones(count, dtype=bool)
    passages = np.zeros(count, dtype=np.int64)
    bounds = np.searchsorted(rows.question, np.arange(count + 1))
    for q in range(count):
        chunk = slice(bounds[q], bounds[q + 1])
        p, hit, zp = full[chunk], rank[chunk], base[chunk]
        passages[q] = hit.max() + 1 if len(p) else 0
        seen = hit == 0
        if passages[q] < 2 or not seen.any():
            continue
        limit = deciding(float(p[seen].max()), bar, floor)
        needed = _logit(np.array([limit]))[0] - zp[~seen].max()
        stop_below[q] = np.inf if weight == 0 else model.mean[READER] + needed / weight
        early = decision(p[seen], bar, floor)
        same[q] = _rows_of(early, np.flatnonzero(seen)) == decision(p, bar, floor)
        same_confidence[q] = p[seen].max() == p.max()
    return FirstPassage(stop_below, same, same_confidence, passages)


def _rows_of(choice: tuple, index: np.ndarray) -> tuple:
    """A decision over a subset of candidates, in the full list's positions."""
    best = None if choice[1] is None else int(index[choice[1]])
    if choice[0]:
        return (True, best, frozenset(int(index[i]) for i in choice[2]))
    return (False, best)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return np.log(p) - np.log1p(-p)


@dataclass(frozen=True)
class Outcome:
    read: np.ndarray  # per question: passages read
    differ: int  # answers unlike the full read's
    lower_confidence: int  # abstentions whose confidence is below the full read's


def outcome(first: FirstPassage, bound: float) -> Outcome:
    """Passages read per question with this bound, and how many answers change."""
    stops = (first.passages > 1) & (bound < first.stop_below)
    differ = stops & ~first.same
    lower = stops & ~first.same_confidence & first.same
    return Outcome(np.where(stops, 1, first.passages), int(differ.sum()), int(lower.sum()))


def lowest_bound(per_level: list[FirstPassage], highest: float) -> float:
    """The lowest grid bound at which, and above which, no answer changes at any level."""
    grid = np.arange(np.ceil(highest / GRID_STEP) * GRID_STEP, LOWEST - 1e-9, -GRID_STEP)
    chosen = float(grid[0])
    for bound in grid:
        if any(outcome(first, float(bound)).differ for first in per_level):
            break
        chosen = float(bound)
    return round(chosen, 4)


def main(argv: list[str] | None = None) -> int:
    args = rows_arguments("python -m index.training.cascade", __doc__).parse_args(argv)
    parts = held_out_parts(args.folders, args.index, args.limit)
    rows = Rows.join(parts)
    model = load_model(args.model)
    per_level = {name: first_passage(rows, model, bar) for name, bar in model.levels.items()}
    bound = lowest_bound(list(per_level.values()), float(rows.features[:, READER].max()))
    report = {name: _report(rows, outcome(first, bound)) for name, first in per_level.items()}
    spec = json.loads(args.model.read_text())
    spec["cascade"] = {
        "margin_bound": bound,
        "reader_sha256": shipped_sha256(),
        "fitted_on": {
            "sets": {p.corpus[0]: int(len(p.answerable)) for p in parts},
            "limit": args.limit,
            "seed": SEED,
            "highest_margin": round(float(rows.features[:, READER].max()), 4),
            "grid_step": GRID_STEP,
            "per_level": report,
        },
    }
    write_model_file(args.model, spec)
    print(json.dumps({"margin_bound": bound} | report))
    return 0


def _report(rows: Rows, result: Outcome) -> dict:
    """Per set and kind: the share of questions answered after one passage, passages read."""
    out: dict = {"differ": result.differ, "lower_confidence": result.lower_confidence}
    kinds = rows.kind if rows.kind is not None else np.full(len(rows.answerable), "asked")
    for corpus in sorted(set(rows.corpus.tolist())):
        for kind in sorted(set(kinds.tolist())):
            chosen = (rows.corpus == corpus) & (kinds == kind)
            if chosen.any():
                out[f"{corpus} {kind}"] = {
                    "one_passage": round(float((result.read[chosen] == 1).mean()), 4),
                    "mean_passages": round(float(result.read[chosen].mean()), 3),
                }
    return out


if __name__ == "__main__":
    sys.exit(main())
