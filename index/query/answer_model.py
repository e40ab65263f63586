"""The fitted answer-or-abstain model: a logistic regression over index.query.features.FEATURES.

It gives each candidate sentence the probability that it holds the answer. The best candidate is
quoted when its probability reaches the abstention bar; otherwise qabot abstains. The weights, the
bar's named levels and how they were measured live in one small JSON file written by
`python -m index.training.fit` (see docs/quality.md, "The answer model"); its sha256 is checked
when it loads.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from index.errors import QabotError
from index.modelfiles import DATA_DIR
from index.query.features import FEATURES

MODEL_PATH = DATA_DIR / "answer_model.json"
LEVELS = ("lenient", "balanced", "strict")
DEFAULT_LEVEL = "balanced"


@dataclass(frozen=True)
class CascadeBound:
    """The reader margin that sentences of unread passages are taken to reach at most
    (index.query.cascade), for the reader whose weights have this sha256."""

    margin_bound: float
    reader_sha256: str


@dataclass(frozen=True)
class AnswerModel:
    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float
    levels: dict[str, float]  # named abstention bars (probabilities)
    cascade: CascadeBound | None = None  # absent: the reader reads every passage

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        """P(the sentence holds the answer), one per row of features. Each row's sum is its own
        (not a matrix product's, whose rounding depends on how many rows it multiplies): a
        sentence gets the same probability whichever passages were read beside it."""
        z = (((rows - self.mean) / self.scale) * self.weights).sum(axis=1) + self.bias
        return 1.0 / (1.0 + np.exp(-z))

    def bar(self, setting: str) -> float:
        """The abstention bar for QABOT_ABSTAIN: a named level or a probability in [0, 1]."""
        return resolve_bar(setting, self.levels)


def resolve_bar(setting: str, levels: dict[str, float]) -> float:
    text = (setting or DEFAULT_LEVEL).strip().lower()
    if text in levels:
        return levels[text]
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        names = ", ".join(levels)
        raise QabotError(
            f"QABOT_ABSTAIN must be one of {names} or a number from 0 to 1, not {setting!r}"
        )
    return value


def load_model(path: Path = MODEL_PATH) -> AnswerModel:
    """Read and check the model file. Raises QabotError with a clear message when it is unusable."""
    return _load(path.resolve())


@cache
def _load(path: Path) -> AnswerModel:
    hint = "reinstall qabot, or run `python -m index.training.fit` to fit it again"
    try:
        data = path.read_bytes()
        expected = path.with_suffix(".sha256").read_text().split()[0]
    except (OSError, IndexError) as error:
        raise QabotError(f"the answer model can't be read ({error}); {hint}") from error
    if hashlib.sha256(data).hexdigest() != expected:
        raise QabotError(f"the answer model {path.name} fails its sha256 check; {hint}")
    try:
        spec = json.loads(data)
        model = AnswerModel(
            features=tuple(spec["features"]),
            mean=np.asarray(spec["mean"], dtype=np.float64),
            scale=np.asarray(spec["scale"], dtype=np.float64),
            weights=np.asarray(spec["weights"], dtype=np.float64),
            bias=float(spec["bias"]),
            levels={k: float(v) for k, v in spec["levels"].items()},
            cascade=_cascade(spec.get("cascade")),
        )
    except (ValueError, KeyError, TypeError) as error:
        raise QabotError(f"the answer model {path.name} is malformed ({error}); {hint}") from error
    if model.features != FEATURES:
        raise QabotError(f"the answer model {path.name} was fitted on other features; {hint}")
    return model


def _cascade(spec: dict | None) -> CascadeBound | None:
    """The optional `cascade` entry (`python -m index.training.cascade`): a file may lack it."""
    if spec is None:
        return None
    return CascadeBound(float(spec["margin_bound"]), str(spec["reader_sha256"]))
