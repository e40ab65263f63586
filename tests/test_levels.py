"""The abstention bar's named levels, placed for a mix of how people ask (index/training/levels)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from index.training import levels
from index.training.fit import decide as fit_decide
from index.training.rows import Rows

DATA = Path(__file__).parent / "data"


def synthetic(answerable_best: np.ndarray, kinds: list[tuple[str, np.ndarray]]) -> tuple:
    """One candidate per question, labelled right for every answerable one."""
    best = np.concatenate([answerable_best, *(p for _, p in kinds)])
    answerable = np.arange(len(best)) < len(answerable_best)
    rows = Rows(
        features=np.zeros((len(best), 1)),
        labels=answerable.copy(),
        question=np.arange(len(best)),
        answerable=answerable,
        document=np.array([f"d{i % 7}" for i in range(len(best))]),
        corpus=np.array(["set"] * len(best)),
        kind=np.array(
            ["asked"] * len(answerable_best) + [k for k, p in kinds for _ in range(len(p))]
        ),
    )
    return rows, best


def test_the_mix_weighs_answerable_sets_alike_and_unanswerable_kinds_alike() -> None:
    rows, _ = synthetic(np.full(30, 0.5), [("off-topic", np.full(10, 0.1))])
    rows.corpus[:10] = "small"  # a set of 10 answerable questions weighs as much as one of 20
    weights = levels.mix_weights(rows)
    assert abs(weights.sum() - 1.0) < 1e-9
    assert abs(weights[:10].sum() - weights[10:30].sum()) < 1e-9
    assert abs(weights[30:].sum() - (1 - levels.ANSWERABLE_SHARE)) < 1e-9


def test_a_mostly_answerable_mix_sets_the_default_bar_lower_than_an_even_one() -> None:
    rng = np.random.default_rng(0)
    answerable_best = np.clip(rng.normal(0.35, 0.15, 600), 0, 1)
    unanswerable = ("adversarial", np.clip(rng.normal(0.15, 0.1, 600), 0, 1))
    rows, best = synthetic(answerable_best, [unanswerable])
    named, _ = levels.choose_levels(rows, best)
    assert named["lenient"] <= named["balanced"] <= named["strict"]
    even = levels.ANSWERABLE_SHARE
    try:
        levels.ANSWERABLE_SHARE = 0.5
        named_even, _ = levels.choose_levels(rows, best)
    finally:
        levels.ANSWERABLE_SHARE = even
    assert named["balanced"] < named_even["balanced"]


def test_calibration_bins_each_set_and_counts_what_was_right() -> None:
    answerable_best = np.array([0.02, 0.04, 0.6, 0.65, 0.9])
    rows, best = synthetic(answerable_best, [("off-topic", np.array([0.03, 0.6]))])
    rows.labels[1] = False  # the second answerable question's sentence doesn't hold the answer
    table = levels.calibration(rows, fit_decide(rows, best))
    by = {(line["set"], line["bin"]): line for line in table}
    assert by[("set", "0.00-0.05")]["questions"] == 2
    assert by[("set", "0.00-0.05")]["right"] == 0.5
    assert by[("set", "0.50-0.70")] == {
        "set": "set",
        "bin": "0.50-0.70",
        "questions": 2,
        "mean_probability": 0.625,
        "right": 1.0,
    }
    assert by[("off-topic", "0.50-0.70")]["right"] == 0.0  # never right, however sure
    assert sum(line["questions"] for line in table) == len(best)


def test_the_command_rewrites_only_the_levels_and_the_checksum(tmp_path: Path) -> None:
    from index.query import answer_model
    from index.query.answer_model import MODEL_PATH, load_model

    sample = tmp_path / "squad_sample"
    shutil.copytree(DATA / "squad_sample", sample)
    model = tmp_path / "answer_model.json"
    shutil.copy(MODEL_PATH, model)
    shutil.copy(MODEL_PATH.with_suffix(".sha256"), model.with_suffix(".sha256"))
    args = [str(sample), "--index", str(tmp_path / "index"), "--limit", "40", "--model", str(model)]
    assert levels.main(args) == 0
    before, after = json.loads(MODEL_PATH.read_text()), json.loads(model.read_text())
    assert {k: v for k, v in after.items() if not k.startswith("levels")} == {
        k: v for k, v in before.items() if not k.startswith("levels")
    }
    answer_model._load.cache_clear()  # the command read the file before rewriting it
    loaded = load_model(model)  # its sha256 checks out
    assert loaded.levels == after["levels"]
    assert set(after["levels_fitted_on"]["sets"]) == {"squad_sample"}
    cached = list((tmp_path / "index" / "squad_sample").glob("level-rows-*.npz"))
    assert len(cached) == 1
    assert levels.main(args) == 0  # from the cache: the same levels again
    assert json.loads(model.read_text())["levels"] == after["levels"]


def test_cached_rows_are_not_reused_once_the_features_code_changes(tmp_path, monkeypatch):
    collected = []

    def collect(folder, index_dir, limit):
        collected.append(folder)
        rows, _ = synthetic(np.array([0.5]), [("off-topic", np.array([0.1]))])
        return rows

    (tmp_path / "questions.jsonl").write_text('{"question": "Q?"}\n', encoding="utf-8")
    monkeypatch.setattr(levels, "collect_held_out", collect)
    levels.cached_rows(tmp_path, tmp_path, 10)
    levels.cached_rows(tmp_path, tmp_path, 10)
    assert len(collected) == 1  # the second call reads the cache
    monkeypatch.setattr(levels, "_features_code", lambda: "other code")
    levels.cached_rows(tmp_path, tmp_path, 10)
    assert len(collected) == 2  # features computed another way: collected again
