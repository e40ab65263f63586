"""Exported model files: written whole with their checksum, and older ones don't pile up."""

from __future__ import annotations

from pathlib import Path

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
