"""Choose the abstention bar's named levels for how people ask: `python -m index.training.levels`.

The answer model's weights stay as `python -m index.training.fit` fitted them; this command only
places the bars QABOT_ABSTAIN names (lenient, balanced, strict), from questions on several kinds
of text, asked as the engine asks them with the shipped reader (index/training/rows.py):

- every answerable question as written;
- unanswerable ones of three kinds: adversarial (SQuAD 2.0's, written to look answerable),
  off-topic (an answerable question asked of the documents without its own) and near misses
  (asked without its own paragraph: the document is on the topic but doesn't hold the answer).

The default, `balanced`, is the bar with the best accuracy on a mix of ANSWERABLE_SHARE answerable
questions (each set alike) and the rest unanswerable (each kind alike): people in a server mostly
ask what their documents cover, and ask off-topic, near and trick questions now and then. (The
accuracy curve is flat around that peak, from about 0.12 to 0.20; the peak itself is taken, since
the article's own unanswerable questions score up to about 0.12.)
`lenient` answers LENIENT_ANSWER_RATE of the answerable questions; `strict` abstains on
STRICT_ABSTAIN of the unanswerable ones. Rows are cached in the index folder, keyed by what they
depend on; the question sample is drawn by document with seed 0.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

from index.query.answer_model import MODEL_PATH, load_model
from index.query.features import FEATURES
from index.query.span_model import shipped_sha256
from index.training.common import LEVELS_SAMPLE, SEED, questions_sha256, write_model_file
from index.training.fit import decide
from index.training.rows import Rows, collect_held_out

ANSWERABLE_SHARE = 0.75
LENIENT_ANSWER_RATE = 0.9
STRICT_ABSTAIN = 0.9
UNANSWERABLE_KINDS = ("adversarial", "off-topic", "near-miss")
BARS = np.round(np.arange(0.01, 0.9, 0.005), 4)


def mix_weights(rows: Rows) -> np.ndarray:
    """Per question: its weight in the mix (answerable: each set alike; the rest: each kind)."""
    weights = np.zeros(len(rows.answerable))
    asked = rows.answerable & (rows.kind == "asked")
    for corpus in sorted(set(rows.corpus[asked].tolist())):
        chosen = asked & (rows.corpus == corpus)
        weights[chosen] = ANSWERABLE_SHARE / len(set(rows.corpus[asked].tolist())) / chosen.sum()
    kinds = [k for k in UNANSWERABLE_KINDS if (~rows.answerable & (rows.kind == k)).any()]
    for kind in kinds:
        chosen = ~rows.answerable & (rows.kind == kind)
        weights[chosen] = (1 - ANSWERABLE_SHARE) / len(kinds) / chosen.sum()
    return weights


def choose_levels(rows: Rows, probabilities: np.ndarray) -> tuple[dict[str, float], list[dict]]:
    """The named bars, and the figures at every bar of a coarse curve (per set and kind)."""
    decisions = decide(rows, probabilities)
    weights = mix_weights(rows)
    asked = rows.answerable & (rows.kind == "asked")
    unanswerable = ~rows.answerable & (weights > 0)
    accuracy, answer_rate, abstain = [], [], []
    for bar in BARS:
        answered = decisions.best >= bar
        right = np.where(rows.answerable, answered & decisions.correct, ~answered)
        accuracy.append(float(weights @ right))
        answer_rate.append(float(weights[asked] @ answered[asked] / weights[asked].sum()))
        abstain.append(float(weights[unanswerable] @ ~answered[unanswerable]))
    accuracy_ = np.asarray(accuracy)
    balanced = float(BARS[int(np.argmax(accuracy_))])
    lenient = float(BARS[np.flatnonzero(np.asarray(answer_rate) >= LENIENT_ANSWER_RATE)[-1]])
    share = np.asarray(abstain) / weights[unanswerable].sum()
    strict = float(BARS[np.flatnonzero(share >= STRICT_ABSTAIN)[0]])
    levels = {
        "lenient": min(lenient, balanced),
        "balanced": balanced,
        "strict": max(strict, balanced),
    }
    curve = [_figures(rows, decisions, bar) | {"bar": bar} for bar in (0.1, 0.15, 0.2, 0.3, 0.4)]
    curve += [_figures(rows, decisions, b) | {"level": n, "bar": b} for n, b in levels.items()]
    return {k: round(v, 4) for k, v in levels.items()}, curve


CALIBRATION_BINS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0001)


def calibration(rows: Rows, decisions) -> list[dict]:
    """Per set, and per kind of unanswerable question: for the questions whose best sentence's
    probability falls in each bin, how many, their mean probability, and the share whose answer
    at that probability would be right (for an unanswerable question, never). A confidence that
    means the same on every corpus puts the last two side by side in every set."""
    groups = [
        (corpus, rows.answerable & (rows.kind == "asked") & (rows.corpus == corpus))
        for corpus in sorted(set(rows.corpus.tolist()))
    ]
    groups += [(kind, ~rows.answerable & (rows.kind == kind)) for kind in UNANSWERABLE_KINDS]
    table = []
    for name, chosen in groups:
        for lo, hi in zip(CALIBRATION_BINS, CALIBRATION_BINS[1:], strict=False):
            here = chosen & (decisions.best >= lo) & (decisions.best < hi)
            if here.any():
                table.append(
                    {
                        "set": name,
                        "bin": f"{lo:.2f}-{min(hi, 1):.2f}",
                        "questions": int(here.sum()),
                        "mean_probability": round(float(decisions.best[here].mean()), 3),
                        "right": round(
                            float((decisions.correct & rows.answerable)[here].mean()), 3
                        ),
                    }
                )
    return table


def _figures(rows: Rows, decisions, bar: float) -> dict:
    """Answer rate and answer per set, abstain per kind of unanswerable question."""
    answered = decisions.best >= bar
    out: dict[str, float] = {}
    for corpus in sorted(set(rows.corpus.tolist())):
        asked = rows.answerable & (rows.kind == "asked") & (rows.corpus == corpus)
        if asked.any():
            out[f"{corpus} answer_rate"] = round(float(answered[asked].mean()), 4)
            out[f"{corpus} answer"] = round(float((answered & decisions.correct)[asked].mean()), 4)
    for kind in UNANSWERABLE_KINDS:
        chosen = ~rows.answerable & (rows.kind == kind)
        if chosen.any():
            out[f"{kind} abstain"] = round(float((~answered)[chosen].mean()), 4)
    return out


def cached_rows(folder: Path, index_dir: Path, limit: int | None) -> Rows:
    """collect_held_out's rows for the folder, from the index folder's cache when they are for the
    same questions, sample, reader and features."""
    key = json.dumps(
        [questions_sha256(folder), limit, SEED, shipped_sha256(), FEATURES, _features_code()]
    )
    path = index_dir / f"level-rows-{hashlib.sha256(key.encode()).hexdigest()[:16]}.npz"
    if path.is_file():
        saved = np.load(path, allow_pickle=False)
        return Rows(**{name: saved[name] for name in saved.files})
    rows = collect_held_out(folder, index_dir, limit)
    np.savez(path, **dataclasses.asdict(rows))
    return rows


def _features_code() -> str:
    """The code the features come from: rows cached before a change to it are not reused."""
    from index import lexical
    from index.query import features

    digest = hashlib.sha256()
    for module in (features, lexical):
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()


def rows_arguments(prog: str, description: str | None) -> argparse.ArgumentParser:
    """The arguments of the commands fitted on the levels' rows (this one, index.training.cascade):
    the folders, the index folder their rows are cached in, the sample size and the model file."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("folders", nargs="+", type=Path, help="SQuAD-style folders")
    parser.add_argument("--index", type=Path, default=Path(".qabot/levels-index"))
    parser.add_argument(
        "--limit", type=int, default=LEVELS_SAMPLE, help="questions per set, by document"
    )
    parser.add_argument("--model", type=Path, default=MODEL_PATH)
    return parser


def held_out_parts(folders: list[Path], index: Path, limit: int | None) -> list[Rows]:
    """Each folder's rows (cached_rows), from its own index folder under `index`."""
    parts = []
    for folder in folders:
        index_dir = index / folder.resolve().name
        index_dir.mkdir(parents=True, exist_ok=True)
        parts.append(cached_rows(folder, index_dir, limit))
    return parts


def main(argv: list[str] | None = None) -> int:
    parser = rows_arguments("python -m index.training.levels", __doc__)
    args = parser.parse_args(argv)
    parts = held_out_parts(args.folders, args.index, args.limit)
    rows = Rows.join(parts)
    model = load_model(args.model)
    probabilities = model.probabilities(rows.features)
    levels, curve = choose_levels(rows, probabilities)
    spec = json.loads(args.model.read_text())
    spec["levels"] = levels
    spec["levels_fitted_on"] = {
        "sets": {p.corpus[0]: int(len(p.answerable)) for p in parts},
        "limit": args.limit,
        "seed": SEED,
        "answerable_share": ANSWERABLE_SHARE,
        "curve": curve,
        "calibration": calibration(rows, decide(rows, probabilities)),
    }
    write_model_file(args.model, spec)
    print(json.dumps(levels))
    for point in curve:
        print(json.dumps(point))
    for line in spec["levels_fitted_on"]["calibration"]:
        print(json.dumps(line))
    return 0


if __name__ == "__main__":
    sys.exit(main())
