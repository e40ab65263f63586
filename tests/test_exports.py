"""Exported model files: written whole with their checksum, and older ones don't pile up."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import pytest

from index import exports


def _produce(data: bytes):
    return lambda temporary: temporary.write_bytes(data)


def test_a_new_export_replaces_the_older_ones_of_its_family(tmp_path: Path) -> None:
    models = tmp_path / "models"
    exports.write(models / "reader-old-int8.onnx", _produce(b"old"), "reader-")
    exports.write(models / "embedding-abc.onnx", _produce(b"question model"), "embedding-")
    exports.write(models / "reader-new-int8-7bit-eager.onnx", _produce(b"new"), "reader-")
    assert sorted(p.name for p in models.iterdir()) == [
        "embedding-abc.onnx",
        "embedding-abc.onnx.sha256",
        "reader-new-int8-7bit-eager.onnx",
        "reader-new-int8-7bit-eager.onnx.sha256",
    ]
    assert exports.problem(models / "reader-new-int8-7bit-eager.onnx", "reader") is None


def test_a_failed_export_leaves_the_older_one_in_place(tmp_path: Path) -> None:
    models = tmp_path / "models"
    old = models / "reader-old.onnx"
    exports.write(old, _produce(b"old"), "reader-")

    def fail(temporary: Path) -> None:
        temporary.write_bytes(b"half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        exports.write(models / "reader-new.onnx", fail, "reader-")
    assert sorted(p.name for p in models.iterdir()) == ["reader-old.onnx", "reader-old.onnx.sha256"]
    assert exports.problem(old, "reader") is None


def _linked(export: Path, folder: Path) -> Path:
    """The export and its checksum in a folder of their own (hard links, as builds share them)."""
    folder.mkdir(parents=True)
    for file in (export, export.with_name(export.name + ".sha256")):
        os.link(file, folder / file.name)
    return folder / export.name


def _reader_input() -> dict[str, np.ndarray]:
    from index.query.reader import encode, tokenizer_for
    from index.query.span_model import base_model_path

    passage = "The alpha club meets every Tuesday evening in the old boathouse by the river."
    ids = encode(tokenizer_for(base_model_path()), "Where does the club meet?", passage).ids
    return {"input_ids": np.array([ids], dtype=np.int64)}


def _question_input() -> dict[str, np.ndarray]:
    ids = np.array([[101, 2073, 2515, 1996, 2252, 3113, 1029, 102]], dtype=np.int64)
    return {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": ids * 0}


@pytest.mark.parametrize("family", ["reader-", "embedding-"])
def test_the_copy_prepared_for_this_machine_is_mapped_and_computes_the_same(
    exported_model: Path, tmp_path: Path, family: str
) -> None:
    import onnxruntime

    export = next(exported_model.parent.glob(f"{family}*.onnx"))
    feed = _reader_input() if family == "reader-" else _question_input()
    plain = onnxruntime.InferenceSession(str(export), exports._options(), providers=exports._CPU)
    path = _linked(export, tmp_path / "models")

    served = exports.session(path)
    prepared = exports.prepare(path)
    assert prepared is not None and prepared.parent.parent == tmp_path / "models" / "prepared"
    # The weights are mapped from the prepared file (shared page cache), not copied in.
    assert f"{prepared}.data" in Path("/proc/self/maps").read_text()
    for _ in range(2):  # a second session on the same copy too
        assert np.array_equal(served.run(None, feed)[0], plain.run(None, feed)[0])
        served = exports.session(path)
    assert [p.name for p in (tmp_path / "models" / "prepared").iterdir()] == [prepared.parent.name]


def test_a_folder_that_cant_hold_the_prepared_copy_loads_the_export(
    exported_model: Path, tmp_path: Path, caplog
) -> None:
    export = next(exported_model.parent.glob("reader-*.onnx"))
    path = _linked(export, tmp_path / "models")
    (tmp_path / "models" / "prepared").write_text("a file where the folder should be")
    with caplog.at_level(logging.WARNING, logger="qabot.exports"):
        served = exports.session(path)
    assert len(caplog.records) == 1 and "couldn't prepare" in caplog.text
    assert served.run(None, _reader_input())[0].shape[-1] == 2


def test_a_prepared_copy_of_an_export_that_is_gone_is_removed(
    exported_model: Path, tmp_path: Path
) -> None:
    models = tmp_path / "models"
    reader = _linked(next(exported_model.parent.glob("reader-*.onnx")), models)
    old = models / "prepared" / "0123-stale"
    old.mkdir(parents=True)
    exports.prepare(reader)
    assert not old.exists() and len(list((models / "prepared").iterdir())) == 1
