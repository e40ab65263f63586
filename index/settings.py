"""Engine settings: one frozen dataclass, read once from flags and the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

DEFAULT_CORPUS_DIR = Path("docs_corpus")
DEFAULT_INDEX_DIR = Path(".qabot/index")
BUNDLED_MODEL = "bundled:all-MiniLM-L6-v2"


@dataclass(frozen=True)
class EngineSettings:
    corpus_dir: Path = DEFAULT_CORPUS_DIR
    index_dir: Path = DEFAULT_INDEX_DIR
    model: str = BUNDLED_MODEL  # the bundled model, any local path, or a hub name
    dtype: str = "auto"  # auto (bf16 where the CPU has it), bfloat16 or float32
    k: int = 5  # passages retrieved per question
    batch_size: int = 8  # with length-sorted batches, 8 embedded 1.23x faster than 32 here
    progress: bool = False  # show a progress bar while embedding
    abstain: str = "balanced"  # QABOT_ABSTAIN: lenient, balanced, strict, or a bar from 0 to 1

    @classmethod
    def from_env(
        cls, corpus_dir: str | Path | None = None, index_dir: str | Path | None = None, **overrides
    ) -> EngineSettings:
        """Flags win over QABOT_* environment variables, which win over the defaults."""
        env = os.environ
        settings = cls(
            corpus_dir=Path(corpus_dir or env.get("QABOT_CORPUS_DIR") or DEFAULT_CORPUS_DIR),
            index_dir=Path(index_dir or env.get("QABOT_INDEX_DIR") or DEFAULT_INDEX_DIR),
            model=env.get("QABOT_MODEL") or BUNDLED_MODEL,
            dtype=env.get("QABOT_DTYPE") or "auto",
            k=_positive_int("QABOT_K", env.get("QABOT_K") or "5"),
            abstain=env.get("QABOT_ABSTAIN") or "balanced",
        )
        return replace(settings, **{k: v for k, v in overrides.items() if v is not None})


def _positive_int(name: str, text: str) -> int:
    from index.errors import QabotError

    if not text.strip().isdigit() or int(text) < 1:
        raise QabotError(f"{name} must be a whole number of at least 1, not {text!r}")
    return int(text)
