"""The models a process runs on, loaded once and handed to every engine: the one seam for models.

    build embedder     sentence-transformers, loaded on the first build (or question fallback)
    question embedder  the index folder's checked ONNX export, else the build embedder
    reader             the index folder's checked ONNX export, else PyTorch (index.query.reader)
    answer model       the shipped logistic model (index/data/answer_model.json)

`Engine.open` and `Collections` receive one `Models`; nothing else constructs a model. Tests hand
in a `Models` with the session's embedder and exports instead of patching import paths.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from index.build.embed import Embedder
from index.query import onnx_embed
from index.query import reader as reader_model
from index.query.answer_model import AnswerModel, load_model
from index.query.onnx_embed import OnnxEmbedder
from index.query.reader import OnnxReader, TorchReader
from index.settings import EngineSettings

Reader = OnnxReader | TorchReader
QuestionEmbedder = OnnxEmbedder | Embedder
# export(model, index_dir): writes the question model's and the reader's ONNX files there.
Export = Callable[[str, Path], None]


def export_models(model: str, index_dir: Path) -> None:
    """Export what questions run on (the question model, the reader) so serving needs no torch.
    Each export warns in one line and leaves the PyTorch fallback when it can't be written."""
    onnx_embed.export(model, index_dir)
    reader_model.export(index_dir)


class Models:
    """The process's models. `exports`: engines serve from the ONNX exports in their index folder
    and write them after a build; without, questions use the build embedder (collections)."""

    def __init__(
        self,
        settings: EngineSettings,
        *,
        embedder: Embedder | None = None,
        export: Export = export_models,
        exports: bool = True,
        answer_model: AnswerModel | None = None,
    ) -> None:
        self.model, self.dtype, self.batch_size = (
            settings.model,
            settings.dtype,
            settings.batch_size,
        )
        self.answer_model = answer_model or load_model()
        self.exports = exports
        self._export = export
        self._embedder = embedder
        self._reader: Reader | None = None
        self._lock = threading.Lock()

    def build_embedder(self) -> Embedder:
        """The sentence-transformers model builds use; loaded now if nothing needed it yet."""
        with self._lock:
            if self._embedder is None:
                self._embedder = Embedder(self.model, self.dtype, self.batch_size)
            return self._embedder

    def question_embedder(self, index_dir: Path) -> OnnxEmbedder | None:
        """The checked ONNX question model in the index folder, or None (one log line says why)."""
        return onnx_embed.load(self.model, index_dir) if self.exports else None

    def reader(self, index_dir: Path) -> Reader:
        """The reader every engine shares: the first checked ONNX export found in an index folder
        asked for, else PyTorch (loaded once per process, one log line)."""
        with self._lock:
            if not isinstance(self._reader, OnnxReader):
                self._reader = reader_model.load(index_dir)
            return self._reader

    def export(self, index_dir: Path) -> None:
        """Export the question model and the reader into the index folder (the next `reader` or
        `question_embedder` call for that folder serves them)."""
        self._export(self.model, index_dir)


def load_models(settings: EngineSettings) -> Models:
    """The models for this settings' model name: the answer model now, the others on first use."""
    return Models(settings)
