"""Question vectors with ONNX Runtime: the embedding model exported once, served without torch.

Builds embed chunks with sentence-transformers (index.build.embed). A build also exports the same
weights,
in float32, to one ONNX file, and questions are embedded with `onnxruntime` and the `tokenizers`
package: no torch, transformers or sentence-transformers import, 2-4 ms per question instead of
11-12 ms (benchmarks/results).

    index_dir/models/embedding-<sha256 of the model's weights>-fused.onnx
    index_dir/models/embedding-<…>-fused.onnx.sha256    the ONNX file's own sha256

At load the file must be named for the configured model's weights and match its own checksum;
otherwise questions fall back to sentence-transformers, with one log line saying why.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

from index import exports
from index.modelfiles import resolve_model_path, weights_sha256

log = logging.getLogger("qabot.embed")

MODELS_DIR = "models"
FALLBACK = "questions use sentence-transformers instead"
WHAT = "question model"
EXPORT = "fused"  # how the file was exported (index.exports); a new way gets a new file name
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


@dataclass(frozen=True)
class ModelFolder:
    """What serving needs to know about a local sentence-transformers model folder."""

    path: Path
    weights_sha256: str
    max_seq_length: int
    dim: int

    @classmethod
    def of(cls, model: str) -> ModelFolder | None:
        """The folder, or None for a hub name or a model that doesn't mean-pool its tokens."""
        path = resolve_model_path(model)
        if path is None or not (path / "tokenizer.json").is_file():
            return None
        try:
            pooling = json.loads((path / "1_Pooling" / "config.json").read_text())
            config = json.loads((path / "config.json").read_text())
            window = json.loads((path / "sentence_bert_config.json").read_text())
        except (OSError, ValueError):
            return None
        if not pooling.get("pooling_mode_mean_tokens"):
            return None
        sha = weights_sha256(path)
        if sha == "unknown":
            return None
        return cls(path, sha, int(window["max_seq_length"]), int(config["hidden_size"]))

    def onnx_path(self, index_dir: Path) -> Path:
        return index_dir / MODELS_DIR / f"embedding-{self.weights_sha256}-{EXPORT}.onnx"


class OnnxEmbedder:
    """Questions -> normalised float32 vectors, as sentence-transformers' encode gives them."""

    dtype = "float32"

    def __init__(self, model: str, folder: ModelFolder, onnx_file: Path):
        # Two threads: 2.7 ms a SciFact query instead of 3.9 on one thread (see exports.session).
        self.session = exports.session(onnx_file)
        self.tokenizer = Tokenizer.from_file(str(folder.path / "tokenizer.json"))
        self.tokenizer.enable_truncation(folder.max_seq_length)
        self.tokenizer.no_padding()
        self.model_name = model
        self.weights_sha256 = folder.weights_sha256
        self.dim = folder.dim
        self.path = onnx_file

    def embed_query(self, text: str) -> np.ndarray:
        ids = np.array([self.tokenizer.encode(text).ids], dtype=np.int64)
        feed = {
            "input_ids": ids,
            "attention_mask": np.ones_like(ids),
            "token_type_ids": np.zeros_like(ids),
        }
        tokens = self.session.run(None, feed)[0][0]
        vector = tokens.mean(0)
        return (vector / max(float(np.linalg.norm(vector)), 1e-12)).astype(np.float32)

    def embed(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """One vector per text, each a forward pass of its own (no padding to get wrong)."""
        vectors = [self.embed_query(text) for text in texts]
        return np.array(vectors, dtype=np.float32).reshape(len(texts), self.dim)


def load(model: str, index_dir: Path) -> OnnxEmbedder | None:
    """The exported model for this model's weights, checked; None (and one log line) if unusable.
    Loaded once per process and file: copies of the same file in other folders share it."""
    folder = ModelFolder.of(model)
    if folder is None:
        log.warning("qabot: the model %s can't be served by ONNX Runtime; %s", model, FALLBACK)
        return None
    path = folder.onnx_path(index_dir)
    problem = exports.problem(path, WHAT)
    if problem is None:
        try:
            with _lock:
                key = exports.checksum(path)
                if key not in _loaded:
                    _loaded[key] = OnnxEmbedder(model, folder, path)
                return _loaded[key]
        except Exception as error:  # onnxruntime raises its own error types for a bad file
            problem = f"the question model {path} can't be loaded ({error})"
    log.warning("qabot: %s; %s", problem, FALLBACK)
    return None


_lock = threading.Lock()
_loaded: dict[str, OnnxEmbedder] = {}  # by the file's sha256


def export(model: str, index_dir: Path) -> Path | None:
    """Export the model for questions unless a checked export is there. Uses torch: build time.

    Returns the file, or None (with one log line) when the model can't be exported or the file
    can't be written (a full disk, a read-only folder): questions then use sentence-transformers.
    """
    folder = ModelFolder.of(model)
    if folder is None:
        return None
    path = folder.onnx_path(index_dir)
    if exports.problem(path, WHAT) is None:
        return path
    try:
        exports.write(path, lambda temporary: _export(folder, temporary), "embedding-")
    except Exception as error:  # OSError for the disk, torch's own errors for the export
        log.warning(
            "qabot: couldn't export the question model to %s (%s); %s",
            path,
            exports.reason(error),
            FALLBACK,
        )
        return None
    return path


def _export(folder: ModelFolder, target: Path) -> None:
    """The transformer in float32, (input_ids, attention_mask, token_type_ids) -> token vectors,
    with ONNX Runtime's BERT fusions (exports.fuse_bert); pooling stays in numpy."""
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    model = AutoModel.from_pretrained(
        str(folder.path), dtype=torch.float32, attn_implementation="eager"
    ).eval()

    class TokenVectors(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids) -> torch.Tensor:
            return self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    tokenizer = Tokenizer.from_file(str(folder.path / "tokenizer.json"))
    ids = torch.tensor([tokenizer.encode("An example question for the export?").ids])
    example = (ids, torch.ones_like(ids), torch.zeros_like(ids))
    exports.torch_to_onnx(TokenVectors(), example, target, "tokens", INPUTS)
    exports.fuse_bert(target, model.config.num_attention_heads, model.config.hidden_size)
