"""Settings: read in one place from flags, the environment and .env, each default and check once.

Flags win over the environment, which wins over a `.env` file in the working folder, which wins
over the defaults. `read_env` is the one reader: the engine's settings (EngineSettings), the
library's (LibrarySettings: the data folder of collections, what URLs may be fetched) and the
bot's (bot.config) are all built from what it returns, so `qabot docs`, `--collection` and the bot
see the same QABOT_DATA_DIR, and every front end serves the index that `qabot index build` wrote.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values

from index.errors import SettingsError

DEFAULT_CORPUS_DIR = Path("docs_corpus")
DEFAULT_INDEX_DIR = Path(".qabot/index")
DEFAULT_DOTENV = Path(".env")
BUNDLED_MODEL = "bundled:all-MiniLM-L6-v2"
DEFAULT_K = 5
DEFAULT_COLLECTION_CACHE = 8


@dataclass(frozen=True)
class EngineSettings:
    corpus_dir: Path = DEFAULT_CORPUS_DIR
    index_dir: Path = DEFAULT_INDEX_DIR
    model: str = BUNDLED_MODEL  # the bundled model, any local path, or a hub name
    dtype: str = "auto"  # auto (bf16 where the CPU has it), bfloat16 or float32
    k: int = DEFAULT_K  # passages retrieved per question
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
            k=whole_number("QABOT_K", values.get("QABOT_K"), DEFAULT_K),
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


def whole_number(name: str, raw: str | None, default: int) -> int:
    """A whole number of at least 1 (the default when unset); SettingsError names the variable."""
    if raw is None or not raw.strip():
        return default
    if not raw.strip().isdigit() or int(raw) < 1:
        raise SettingsError(f"{name} must be a whole number of at least 1, not {raw!r}")
    return int(raw)


@dataclass(frozen=True)
class LibrarySettings:
    """Where collections live and what may be fetched into them (index.library)."""

    data_dir: Path | None = None  # QABOT_DATA_DIR: collections under it; none: the corpus folder
    collection_cache: int = DEFAULT_COLLECTION_CACHE  # QABOT_COLLECTION_CACHE: engines kept loaded
    fetch_allow: str = ""  # QABOT_FETCH_ALLOW: private hosts or CIDRs a URL may still reach
    # QABOT_DATABASE_URL: shared state in PostgreSQL instead of SQLite files. repr=False: it may
    # hold a password, and must never reach a log line.
    database_url: str = field(default="", repr=False)
    # QABOT_STORAGE_URL: s3://bucket/prefix, documents and builds in object storage (the
    # endpoint and keys come from the usual AWS_* variables, read by the S3 client itself).
    storage_url: str = ""

    @classmethod
    def from_env(
        cls,
        *,
        env: Mapping[str, str] | None = None,
        dotenv_path: str | Path | None = DEFAULT_DOTENV,
    ) -> LibrarySettings:
        return cls.from_values(read_env(env, dotenv_path))

    @classmethod
    def from_values(cls, values: Mapping[str, str]) -> LibrarySettings:
        data_dir = (values.get("QABOT_DATA_DIR") or "").strip()
        return cls(
            data_dir=Path(data_dir) if data_dir else None,
            collection_cache=whole_number(
                "QABOT_COLLECTION_CACHE",
                values.get("QABOT_COLLECTION_CACHE"),
                DEFAULT_COLLECTION_CACHE,
            ),
            fetch_allow=(values.get("QABOT_FETCH_ALLOW") or "").strip(),
            database_url=database_url(values.get("QABOT_DATABASE_URL")),
            storage_url=storage_url(
                values.get("QABOT_STORAGE_URL"), values.get("QABOT_DATABASE_URL")
            ),
        )

    @property
    def database_shown(self) -> str:
        """The database URL for a log line or a message: host, port and name, never a password."""
        return shown_url(self.database_url)


def database_url(raw: str | None) -> str:
    """A postgresql:// URL, or "" for the SQLite files of one process."""
    raw = (raw or "").strip()
    if raw and urlsplit(raw).scheme not in ("postgresql", "postgres"):
        raise SettingsError(
            f"QABOT_DATABASE_URL must be a postgresql:// URL, not {shown_url(raw)!r}"
        )
    return raw


def storage_url(raw: str | None, database: str | None) -> str:
    """An s3://bucket/prefix URL, or "" for documents and builds on this machine's disk only."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    parts = urlsplit(raw)
    if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
        raise SettingsError(f"QABOT_STORAGE_URL must look like s3://bucket/prefix, not {raw!r}")
    if not (database or "").strip():
        raise SettingsError(
            "QABOT_STORAGE_URL needs QABOT_DATABASE_URL too: which build each collection serves"
            " and the lock that lets one build run at a time live in PostgreSQL"
        )
    return raw


def shown_url(url: str) -> str:
    """A URL with its user name and password left out."""
    parts = urlsplit(url)
    if parts.password is None and parts.username is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return parts._replace(netloc=netloc).geturl()
