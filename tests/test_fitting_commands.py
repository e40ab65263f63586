"""The commands that fit the learned parts run end to end: reader, then answer model (`make fit`).

On a tiny SQuAD-style set (the sample's six paragraphs as six documents, so the by-document folds
have documents on both sides), they must write checksummed files that load the way serving loads
them. About a minute: the reader is trained three times, on few questions.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

SAMPLE = Path(__file__).parent / "data" / "squad_sample"


@pytest.fixture(scope="module")
def six_documents(tmp_path_factory) -> Path:
    """The sample with each paragraph as a document of its own (under the article's title),
    answer offsets moved with it."""
    folder = tmp_path_factory.mktemp("six-documents")
    (folder / "corpus").mkdir()
    starts: dict[tuple[str, int], tuple[str, int]] = {}
    for path in sorted((SAMPLE / "corpus").iterdir()):
        title, *paragraphs = path.read_text(encoding="utf-8").split("\n\n")
        offset = len(title) + 2
        for number, paragraph in enumerate(paragraphs, start=1):
            name = f"{path.stem}-{number}.txt"
            (folder / "corpus" / name).write_text(f"{title}\n\n{paragraph}", encoding="utf-8")
            starts[(path.name, number)] = (name, offset - len(title) - 2)
            offset += len(paragraph) + 2
    lines = []
    for line in (SAMPLE / "questions.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        name, offset = starts[(record["doc"], record["paragraph"])]
        record |= {"doc": name, "paragraph": 1}
        if record.get("char_start") is not None:
            record["char_start"] -= offset
        lines.append(json.dumps(record))
    (folder / "questions.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_the_sample_splits_into_documents_on_both_sides_of_the_reader_folds(six_documents):
    from index.training.fit import fold_of

    records = [json.loads(line) for line in (six_documents / "questions.jsonl").open()]
    documents = np.asarray([r["doc"] for r in records])
    assert len(set(documents)) == 6
    halves = fold_of(documents) < 3
    assert halves.any() and not halves.all()
    for record in records:  # the moved offsets still point at the answers
        if record["answerable"] and record.get("char_start") is not None:
            text = (six_documents / "corpus" / record["doc"]).read_text(encoding="utf-8")
            start = record["char_start"]
            assert text[start : start + len(record["answers"][0])] == record["answers"][0]


def test_reader_training_then_fitting_write_checked_models_that_load(six_documents, tmp_path):
    from index.query import answer_model, span_model
    from index.query.features import FEATURES
    from index.training import fit, reader_train

    index = tmp_path / "fit-index"
    weights = tmp_path / "reader.safetensors"
    assert (
        reader_train.main([str(six_documents), "--index", str(index), "--out", str(weights)]) == 0
    )
    assert len(list(index.glob("reader-out-of-fold-*.npz"))) == 1
    span_model.weights_sha256(weights)  # its checksum file matches
    model = span_model.load_weights(weights)
    assert model.head.out_features == 2

    spec_path = tmp_path / "answer_model.json"
    assert fit.main([str(six_documents), "--index", str(index), "--out", str(spec_path)]) == 0
    loaded = answer_model.load_model(spec_path)
    spec = json.loads(spec_path.read_text())
    assert spec["features"] == list(FEATURES)
    assert spec["fitted_on"]["questions"] == 58
    bars = [spec["levels"][name] for name in ("lenient", "balanced", "strict")]
    assert bars == sorted(bars)
    assert loaded.probabilities(np.zeros((1, len(FEATURES)))).shape == (1,)


def test_other_sets_train_the_reader_only_on_documents_the_levels_never_sample(
    tmp_path, monkeypatch
):
    from index.training import common
    from index.training.common import read_records
    from index.training.reader_train import _far_records

    (tmp_path / "corpus").mkdir()
    records = [
        {"id": f"{d}-{q}", "question": f"Question {q} on {d}?", "doc": f"doc{d}.txt"}
        for d in range(12)
        for q in range(5)
    ]
    lines = "".join(json.dumps(r | {"answerable": True, "paragraph": 1}) + "\n" for r in records)
    (tmp_path / "questions.jsonl").write_text(lines, encoding="utf-8")
    monkeypatch.setattr(common, "LEVELS_SAMPLE", 20)
    far = _far_records(tmp_path, 20)
    near = read_records(tmp_path, common.LEVELS_SAMPLE)
    assert len(far) >= 20 and len(near) >= 20
    assert not {r["doc"] for r in far} & {r["doc"] for r in near}
    with pytest.raises(SystemExit, match="too few documents"):
        _far_records(tmp_path, 45)  # would reach into the levels' sample
