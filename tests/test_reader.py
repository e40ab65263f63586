"""The reader: shipped weights checked, ONNX and PyTorch agree, spans scored inside sentences."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

from index.errors import QabotError
from index.query import reader, span_model

PASSAGE = (
    "The electric ferry to Saltholm leaves every 40 minutes. "
    "It was built in Denmark in 2019 and carries 120 passengers. "
    "Tickets are sold on board."
)


@pytest.fixture
def weights_copy(tmp_path: Path) -> Path:
    path = tmp_path / "reader.safetensors"
    shutil.copy(span_model.WEIGHTS_PATH, path)
    shutil.copy(span_model.WEIGHTS_PATH.with_suffix(".sha256"), path.with_suffix(".sha256"))
    return path


@pytest.fixture(scope="module")
def torch_reader():
    from index.query.span_model import load_weights

    return reader.TorchReader(load_weights(), reader.tokenizer_for(span_model.base_model_path()))


def test_the_shipped_weights_pass_their_checksum_and_stay_small() -> None:
    assert len(span_model.weights_sha256()) == 64
    assert span_model.WEIGHTS_PATH.stat().st_size < 30 * 2**20


def test_weights_that_fail_their_checksum_are_a_clear_error(weights_copy: Path) -> None:
    data = bytearray(weights_copy.read_bytes())
    data[-1] ^= 0xFF
    weights_copy.write_bytes(bytes(data))
    with pytest.raises(QabotError, match="fail their checksum"):
        span_model.weights_sha256(weights_copy)
    from index.query.span_model import load_weights

    with pytest.raises(QabotError, match="fail their checksum"):
        load_weights(weights_copy)


def test_weights_without_their_checksum_file_are_a_clear_error(weights_copy: Path) -> None:
    weights_copy.with_suffix(".sha256").unlink()
    with pytest.raises(QabotError, match="can't be read"):
        span_model.weights_sha256(weights_copy)


def test_the_int8_export_reads_as_pytorch_does(exported_model: Path, torch_reader) -> None:
    onnx = reader.load(exported_model.parent.parent)
    assert isinstance(onnx, reader.OnnxReader)
    for question in ("How often does the ferry to Saltholm leave?", "Who owns the ferry?"):
        [ours] = onnx.read(question, [PASSAGE])
        [theirs] = torch_reader.read(question, [PASSAGE])
        assert ours.encoding.ids == theirs.encoding.ids
        assert int(ours.start.argmax()) == int(theirs.start.argmax())
        assert int(ours.end.argmax()) == int(theirs.end.argmax())
        assert abs(ours.margin(0, len(PASSAGE)) - theirs.margin(0, len(PASSAGE))) < 1.0


def test_passages_read_side_by_side_read_as_each_alone(exported_model: Path) -> None:
    onnx = reader.load(exported_model.parent.parent)
    passages = [PASSAGE, "Tickets cost 40 kroner.", "The ferry was built in 2019 in Denmark."]
    question = "When was the ferry built?"
    together = onnx.read(question, passages)
    alone = [onnx.read(question, [passage])[0] for passage in passages]
    assert [r.encoding.ids for r in together] == [r.encoding.ids for r in alone]
    for ours, theirs in zip(together, alone, strict=True):
        assert np.array_equal(ours.start, theirs.start) and np.array_equal(ours.end, theirs.end)


def test_the_export_keeps_its_int8_weights_in_7_bits(exported_model: Path) -> None:
    """7 bits, so ONNX Runtime's 16-bit u8 x s8 products can't saturate on CPUs without VNNI."""
    import onnx
    from onnx import numpy_helper

    path = reader.onnx_path(exported_model.parent.parent, span_model.weights_sha256())
    weights = [
        numpy_helper.to_array(tensor)
        for tensor in onnx.load(str(path)).graph.initializer
        if tensor.data_type == onnx.TensorProto.INT8 and tensor.name.endswith("_quantized")
    ]
    assert len(weights) >= 36  # 6 layers x (query, key, value, output, 2 feed-forward)
    assert max(int(np.abs(w.astype(np.int16)).max()) for w in weights) <= 64


def test_without_the_export_the_reader_runs_in_pytorch_with_one_log_line(
    tmp_path: Path, monkeypatch, caplog
) -> None:
    monkeypatch.setattr(reader, "_loaded", {})
    with caplog.at_level(logging.WARNING, logger="qabot.reader"):
        first = reader.load(tmp_path / "index")
        second = reader.load(tmp_path / "other-index")
    assert isinstance(first, reader.TorchReader)
    assert second is first  # one reader per process
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and "runs in PyTorch" in lines[0], lines


def test_a_damaged_export_is_not_used(exported_model: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(reader, "_loaded", {})
    source = reader.onnx_path(exported_model.parent.parent, span_model.weights_sha256())
    target = reader.onnx_path(tmp_path, span_model.weights_sha256())
    target.parent.mkdir(parents=True)
    shutil.copy(
        source.with_name(source.name + ".sha256"), target.with_name(target.name + ".sha256")
    )
    target.write_bytes(source.read_bytes()[:1000])
    assert isinstance(reader.load(tmp_path), reader.TorchReader)


def test_the_answering_sentence_has_the_best_margin(torch_reader) -> None:
    question = "In which country was the ferry built?"
    [read] = torch_reader.read(question, [PASSAGE])
    sentences = [(0, 55), (56, 115), (116, len(PASSAGE))]
    margins = [read.margin(a, b) for a, b in sentences]
    assert int(np.argmax(margins)) == 1, margins
    assert margins[1] > 0, margins


def test_a_sentence_past_the_window_gets_no_span(torch_reader) -> None:
    long_passage = "The ferry is slow. " * 200 + "It was built in Denmark."
    [read] = torch_reader.read("Where was the ferry built?", [long_passage])
    assert len(read.encoding.ids) == reader.MAX_TOKENS
    end = len(long_passage)
    assert read.margin(end - 24, end) == reader.NO_SPAN
    assert read.margin(0, 18) > reader.NO_SPAN


@pytest.mark.parametrize(
    "passage",
    [
        PASSAGE,
        "Größe — naïve café 東京 ﬁne \u200b tabs\tand\nnewlines... «quoted» x " * 40,
        "The ferry is slow. " * 200,  # cut off by the window
        "",
    ],
)
def test_a_character_range_finds_the_tokens_a_full_scan_finds(passage: str) -> None:
    # Margins bisect the passage's token offsets instead of scanning every token per sentence.
    encoding = reader.encode(reader.tokenizer_for(span_model.base_model_path()), "Where?", passage)

    def scan(lo: int, hi: int) -> tuple[int, int] | None:
        inside = [
            i
            for i, (sequence, (a, b)) in enumerate(
                zip(encoding.sequence_ids, encoding.offsets, strict=True)
            )
            if sequence == 1 and a < hi and b > lo
        ]
        return (inside[0], inside[-1] + 1) if inside else None

    tokens = reader.PassageTokens.of(encoding)
    ranges = [(lo, hi) for lo in range(0, len(passage) + 3, 7) for hi in range(lo, lo + 90, 11)]
    assert all(tokens.overlapping(lo, hi) == scan(lo, hi) for lo, hi in ranges + [(0, 10**6)])


def test_training_targets_are_the_gold_span_in_the_right_document_only() -> None:
    from index.training.reader_train import answer_span

    at = PASSAGE.index("Denmark")
    record = {"answerable": True, "answers": ["Denmark"], "doc": "ferry.txt", "char_start": None}
    assert answer_span(record, "ferry.txt", 0, PASSAGE) == (at, at + len("Denmark"))
    # The offset is the document's: a passage starting later is shifted by its start.
    record["char_start"] = 1000 + at
    assert answer_span(record, "ferry.txt", 1000, PASSAGE) == (at, at + len("Denmark"))
    assert answer_span(record, "other.txt", 1000, PASSAGE) is None
    assert answer_span(record | {"answerable": False}, "ferry.txt", 1000, PASSAGE) is None
