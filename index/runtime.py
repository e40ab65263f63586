"""The models a process runs on, loaded once and handed to every engine: the one seam for models.

    build embedder     sentence-transformers, loaded on the first build (or question fallback)
    question embedder  the checked ONNX export, else the build embedder
    reader             the checked ONNX export, else PyTorch (index.query.reader)
    answer model       the shipped logistic model (index/data/answer_model.json)

The exports live in `<home>/models/`: with a data folder (QABOT_DATA_DIR) one folder for the
machine, `<data folder>/models/`, shared by every collection and every worker; without, the
index folder's own. They are named for the weights' sha256, so every collection of the same
model serves from the same files, and each is loaded once per process.

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
from index.query.span_model import shipped_sha256
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
        home: Path | None = None,
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
        self.home = home  # the folder whose models/ holds the exports; None: each index folder
        self._reader: Reader | None = None
        self._questions: dict[Path, OnnxEmbedder] = {}
        self._lock = threading.Lock()

    def folder(self, index_dir: Path) -> Path:
        """Where the exports for an index folder are: `<folder>/models/`."""
        return self.home or index_dir

    def build_embedder(self) -> Embedder:
        """The sentence-transformers model builds use; loaded now if nothing needed it yet."""
        with self._lock:
            if self._embedder is None:
                self._embedder = Embedder(self.model, self.dtype, self.batch_size)
            return self._embedder

    def question_embedder(self, index_dir: Path) -> OnnxEmbedder | None:
        """The checked ONNX question model for the index folder, or None (one log line says
        why); loaded once per process and file."""
        if not self.exports:
            return None
        folder = self.folder(index_dir)
        with self._lock:
            if folder not in self._questions:
                loaded = onnx_embed.load(self.model, folder)
                if loaded is None:
                    return None
                self._questions[folder] = loaded
            return self._questions[folder]

    def reader(self, index_dir: Path) -> Reader:
        """The reader every engine shares: the first checked ONNX export found in an index folder
        asked for, else PyTorch (loaded once per process, one log line)."""
        with self._lock:
            if not isinstance(self._reader, OnnxReader):
                self._reader = reader_model.load(self.folder(index_dir))
            return self._reader

    def export(self, index_dir: Path) -> None:
        """Export the question model and the reader for the index folder, into `folder`'s
        models/ (the next `reader` or `question_embedder` call for that folder serves them)."""
        self._export(self.model, self.folder(index_dir))

    def reader_exported(self, index_dir: Path) -> bool:
        """Whether the reader of the shipped weights has its export for the index folder."""
        return reader_model.onnx_path(self.folder(index_dir), shipped_sha256()).is_file()

    def exported(self, index_dir: Path) -> bool:
        """Whether the exports for the index folder were written (not whether they check out)."""
        return (self.folder(index_dir) / "models").is_dir()


def load_models(settings: EngineSettings, home: Path | None = None) -> Models:
    """The models for this settings' model name: the answer model now, the others on first use;
    `home`: the machine's folder for the exports (the data folder), else each index folder."""
    return Models(settings, home=home)
