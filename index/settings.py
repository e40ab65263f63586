"""Engine settings: one frozen dataclass, read in one place from flags, the environment and .env.

Flags win over the environment, which wins over a `.env` file in the working folder, which wins
over the defaults. The bot's settings contain these and the CLI reads them here too, so every front
end serves the index that `qabot index build` wrote.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from dotenv import dotenv_values

DEFAULT_CORPUS_DIR = Path("docs_corpus")
DEFAULT_INDEX_DIR = Path(".qabot/index")
DEFAULT_DOTENV = Path(".env")
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
        cls,
        corpus_dir: str | Path | None = None,
        index_dir: str | Path | None = None,
        *,
        env: Mapping[str, str] | None = None,
        dotenv_path: str | Path | None = DEFAULT_DOTENV,
        **overrides,
    ) -> EngineSettings:
        """Flags win over QABOT_* in the environment, then in .env, then the defaults."""
        values = read_env(env, dotenv_path)
        return cls.from_values(values, corpus_dir, index_dir, **overrides)

    @classmethod
    def from_values(
        cls,
        values: Mapping[str, str],
        corpus_dir: str | Path | None = None,
        index_dir: str | Path | None = None,
        **overrides,
    ) -> EngineSettings:
        """Settings from already merged variables (see read_env); flags and overrides win."""
        settings = cls(
            corpus_dir=Path(corpus_dir or values.get("QABOT_CORPUS_DIR") or DEFAULT_CORPUS_DIR),
            index_dir=Path(index_dir or values.get("QABOT_INDEX_DIR") or DEFAULT_INDEX_DIR),
            model=values.get("QABOT_MODEL") or BUNDLED_MODEL,
            dtype=values.get("QABOT_DTYPE") or "auto",
            k=_positive_int("QABOT_K", values.get("QABOT_K") or "5"),
            abstain=values.get("QABOT_ABSTAIN") or "balanced",
        )
        return replace(settings, **{k: v for k, v in overrides.items() if v is not None})


def read_env(
    env: Mapping[str, str] | None = None, dotenv_path: str | Path | None = DEFAULT_DOTENV
) -> dict[str, str]:
    """The variables of `.env` (when the file exists) with the environment's on top."""
    from_file: dict[str, str] = {}
    if dotenv_path is not None and Path(dotenv_path).is_file():
        from_file = {k: v for k, v in dotenv_values(dotenv_path).items() if v is not None}
    return {**from_file, **(os.environ if env is None else env)}


def _positive_int(name: str, text: str) -> int:
    from index.errors import QabotError

    if not text.strip().isdigit() or int(text) < 1:
        raise QabotError(f"{name} must be a whole number of at least 1, not {text!r}")
    return int(text)
