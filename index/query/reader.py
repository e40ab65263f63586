"""The reader: a question against each of the best passages, scoring the spans that could answer it.

A small span-extraction model, fine-tuned from the bundled MiniLM weights by
`python -m index.training.reader_train` (see there), reads `[CLS] question [SEP] passage [SEP]`
and gives
every token a start and an end logit. The [CLS] token stands for "no answer in this passage". The
answer model (index.query.features) reads, for each candidate sentence, the best span inside it
minus
its passage's no-answer score. The reader never writes anything: it only scores spans of the
passage, and the answer stays the document's own sentences.

The fine-tuned weights ship in index/data/reader.safetensors (float16, without the word
embeddings, which stay the bundled model's), checked against their sha256. A build exports them,
with the bundled word embeddings, to one ONNX file with 7-bit int8 weights that questions run with
`onnxruntime` and `tokenizers`:

    index_dir/models/reader-<sha256 of the weights>-int8-7bit-eager.onnx   (+ its own .sha256)

Without that file the reader runs in PyTorch (one log line says so), with the same weights.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tokenizers import Encoding, Tokenizer

from index import exports
from index.query.span_model import (
    base_model_path,
    shipped_sha256,
)

log = logging.getLogger("qabot.reader")

MAX_TOKENS = 320  # question and passage together; a chunk has at most 224 word pieces
MAX_SPAN = 30  # word pieces in an answer span
NO_SPAN = -20.0  # a sentence the window cut off: far below any real margin
EXPORT = "int8-7bit-eager"  # how the file was exported (see _export); a new way, a new file name


@dataclass(frozen=True)
class Read:
    """One passage as the reader saw it."""

    start: np.ndarray  # start logit per token
    end: np.ndarray  # end logit per token
    encoding: Encoding

    @property
    def no_answer(self) -> float:
        return float(self.start[0] + self.end[0])

    @functools.cached_property
    def _passage(self) -> PassageTokens:
        return PassageTokens.of(self.encoding)

    def margin(self, lo: int, hi: int) -> float:
        """Best span within characters [lo, hi) of the passage, minus the no-answer score."""
        tokens = self._passage.overlapping(lo, hi)
        if tokens is None:
            return NO_SPAN
        first, last = tokens
        start = self.start[first:last][:, None]
        end = self.end[first:last][None, :]
        return float(np.where(_allowed(last - first), start + end, -np.inf).max()) - self.no_answer


@dataclass(frozen=True)
class PassageTokens:
    """The passage's tokens in an encoding: their positions and character offsets, in order."""

    positions: np.ndarray
    starts: np.ndarray  # nondecreasing, as are ends
    ends: np.ndarray

    @classmethod
    def of(cls, encoding: Encoding) -> PassageTokens:
        sequences = encoding.sequence_ids
        if 1 not in sequences:
            empty = np.zeros(0, dtype=np.int64)
            return cls(empty, empty, empty)
        first = sequences.index(1)  # the passage's tokens stand together, after the question's
        last = len(sequences) - sequences[::-1].index(1)
        offsets = np.array(encoding.offsets[first:last], dtype=np.int64).reshape(-1, 2)
        return cls(np.arange(first, last), offsets[:, 0], offsets[:, 1])

    def overlapping(self, lo: int, hi: int) -> tuple[int, int] | None:
        """The first and one-past-last tokens overlapping characters [lo, hi), or None."""
        first = int(np.searchsorted(self.ends, lo, side="right"))  # the first ending after lo
        last = int(np.searchsorted(self.starts, hi, side="left")) - 1  # the last starting before hi
        if first > last:
            return None
        return int(self.positions[first]), int(self.positions[last]) + 1


def passage_tokens(encoding: Encoding, lo: int, hi: int) -> tuple[int, int] | None:
    """The first and one-past-last passage tokens overlapping characters [lo, hi), or None."""
    return PassageTokens.of(encoding).overlapping(lo, hi)


@functools.cache
def _allowed(size: int) -> np.ndarray:
    """Which (start, end) token pairs of a stretch of `size` tokens make a span (end >= start,
    at most MAX_SPAN tokens)."""
    i, j = np.indices((size, size))
    return (j >= i) & (j - i < MAX_SPAN)


def tokenizer_for(model_path: Path) -> Tokenizer:
    tokenizer = Tokenizer.from_file(str(model_path / "tokenizer.json"))
    tokenizer.enable_truncation(MAX_TOKENS, strategy="only_second")
    tokenizer.no_padding()
    return tokenizer


def encode(tokenizer: Tokenizer, question: str, passage: str) -> Encoding:
    return tokenizer.encode(question, passage)


class OnnxReader:
    """One passage on two threads; two at once, side by side, on the same session.

    Two threads read one passage in 24 ms instead of 37 for three on a 2-core EPYC with AVX-512
    VNNI (70-90 ms on one with AVX2 only, where int8 has no VNNI instructions), but only 1.13x
    faster than one thread on a 2-core Xeon with AMX. There, paired over 200 SciFact queries'
    second and third passages, reading them side by side (ONNX Runtime runs one session from
    several threads at once) took 0.73x the time of one after the other, with bit-identical
    logits. A single-thread session of its own for the second lane was faster (0.63x) but maps
    the weights again (peak RSS +35-47 MB), so serving memory stays as it was. The cascade
    (index.query.cascade) reads the best passage alone and the others together.
    """

    def __init__(self, onnx_file: Path, tokenizer: Tokenizer):
        self.session = exports.session(onnx_file)
        self.pool = ThreadPoolExecutor(1) if (os.cpu_count() or 1) > 1 else None
        self.tokenizer = tokenizer

    def read(self, question: str, passages: Sequence[str]) -> list[Read]:
        encodings = [encode(self.tokenizer, question, passage) for passage in passages]
        if len(encodings) < 2 or self.pool is None:
            return [_run(self.session, encoding) for encoding in encodings]
        theirs = self.pool.submit(_run_each, self.session, encodings[1::2])
        mine = _run_each(self.session, encodings[0::2])
        lanes = (mine, theirs.result())
        return [lanes[i % 2][i // 2] for i in range(len(encodings))]


def _run_each(session, encodings: list[Encoding]) -> list[Read]:
    return [_run(session, encoding) for encoding in encodings]


def _run(session, encoding: Encoding) -> Read:
    ids = np.array([encoding.ids], dtype=np.int64)
    logits = session.run(None, {"input_ids": ids})[0][0]
    return Read(logits[:, 0], logits[:, 1], encoding)


class TorchReader:
    """The same weights in PyTorch: for builds, fitting, and when no ONNX export is there."""

    def __init__(self, model, tokenizer: Tokenizer):
        self.model = model.eval()
        self.tokenizer = tokenizer

    def read(self, question: str, passages: Sequence[str]) -> list[Read]:
        import torch

        reads = []
        with torch.inference_mode():
            for passage in passages:
                encoding = encode(self.tokenizer, question, passage)
                logits = self.model(torch.tensor([encoding.ids])).float().numpy()[0]
                reads.append(Read(logits[:, 0], logits[:, 1], encoding))
        return reads


def onnx_path(index_dir: Path, sha: str) -> Path:
    return index_dir / "models" / f"reader-{sha}-{EXPORT}.onnx"


def load(index_dir: Path) -> OnnxReader | TorchReader:
    """The reader for questions: the checked ONNX export, else PyTorch with one log line.

    Loaded once per process and file: every engine (and every server's collection) shares it.
    """
    path = onnx_path(index_dir, shipped_sha256())
    with _lock:
        if path in _loaded:
            return _loaded[path]
        problem = exports.problem(path, "reader")
        if problem is None:
            try:
                _loaded[path] = OnnxReader(path, tokenizer_for(base_model_path()))
                return _loaded[path]
            except Exception as error:  # onnxruntime raises its own error types for a bad file
                problem = f"the reader {path} can't be loaded ({error})"
        if _TORCH not in _loaded:
            from index.query.span_model import load_weights

            log.warning("qabot: %s; the reader runs in PyTorch instead", problem)
            _loaded[_TORCH] = TorchReader(load_weights(), tokenizer_for(base_model_path()))
        return _loaded[_TORCH]


_lock = threading.Lock()
_TORCH = Path("\x00torch")
_loaded: dict[Path, OnnxReader | TorchReader] = {}


def export(index_dir: Path) -> Path | None:
    """Export the reader to ONNX unless a checked export is there. Uses torch: build time.

    Returns the file, or None (with one log line) when it can't be written: the reader then runs
    in PyTorch.
    """
    path = onnx_path(index_dir, shipped_sha256())
    if exports.problem(path, "reader") is None:
        return path
    try:
        exports.write(path, _export, "reader-")
    except Exception as error:  # OSError for the disk, torch's own errors for the export
        log.warning("qabot: couldn't export the reader to %s (%s)", path, exports.reason(error))
        return None
    return path


def _export(target: Path) -> None:
    """float32 export, then int8 weights per output channel, in 7 bits (index.exports).

    Measured on 1,500 SQuAD questions: accuracy 0.682 against 0.675 in float32 (answer 0.718
    against 0.730, abstain 0.641 against 0.612), 24 ms for three passages against 40 ms in
    float32 (2 threads) on an EPYC with AVX-512 VNNI. On one with AVX2 only it is still the
    fastest export measured: 71-92 ms over SciFact's passages against 113-125 in float32, 78-107
    with 8-bit weights and 103-115 with uint8 weights. ONNX Runtime's offline BERT fusions (fused
    attention, skip-layer-norm) made the int8 model slower (1.12x, AVX-512) or barely faster
    (0.965x, AVX2 only), so the graph stays as exported and ONNX Runtime optimises it at load.
    """
    import torch

    from index.query.span_model import load_weights

    model = load_weights(attention="eager").eval()
    example = torch.tensor([encode(tokenizer_for(base_model_path()), "Who?", "An example.").ids])
    float32 = target.with_name(target.name + ".float32")
    try:
        exports.torch_to_onnx(model, (example,), float32, "logits")
        exports.int8_weights(float32, target)
    finally:
        float32.unlink(missing_ok=True)
