"""Bot settings: one frozen dataclass, read once from the environment and an optional .env file.

The engine's settings (folders, model, QABOT_K, QABOT_ABSTAIN) and the library's (QABOT_DATA_DIR,
QABOT_COLLECTION_CACHE, QABOT_FETCH_ALLOW) are read by the same reader (index.settings) and kept
inside, so the bot, the CLI and `qabot docs` see the same folders.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from bot.shards import check_shards, parse_shards
from index.errors import SettingsError
from index.settings import (
    DEFAULT_DOTENV,
    EngineSettings,
    LibrarySettings,
    read_env,
    whole_number,
)

DEFAULT_FEEDBACK_DB = Path(".qabot/feedback.sqlite3")
DEFAULT_COOLDOWN_S = 5.0
# Questions answered at once; more queue. 2 matches this machine's 2 cores: each answer is mostly
# ONNX Runtime and numpy on one thread, and fewer busy threads leave the event loop its turn.
DEFAULT_WORKERS = 2
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_ENGINE_FIELDS = {f.name for f in fields(EngineSettings)}
_LIBRARY_FIELDS = {f.name for f in fields(LibrarySettings)}


@dataclass(frozen=True)
class Settings:
    # repr=False: the token must never reach a log line or a traceback.
    token: str = field(default="", repr=False)
    engine: EngineSettings = EngineSettings()
    mod_role: str = ""  # a role name or id whose members may /reindex and read /feedback
    channels: tuple[str, ...] = ()  # channel names or ids; empty means every channel
    cooldown_s: float = DEFAULT_COOLDOWN_S  # one question per user per this many seconds
    allow_dms: bool = False
    feedback_db: Path = DEFAULT_FEEDBACK_DB
    sync_commands: bool = True  # publish the slash commands to Discord at start-up
    threads: bool = False  # /ask answers open a thread named after the question
    forum: str = ""  # a forum channel name or id: /ask answers become posts there
    ask_channels: tuple[str, ...] = ()  # channels where questions need no mention
    message_content: bool = True  # request the Message Content intent (privileged)
    # QABOT_DATA_DIR (one collection per server under it), QABOT_COLLECTION_CACHE, and
    # QABOT_FETCH_ALLOW (hosts or CIDRs /docs add url: may reach although private).
    library: LibrarySettings = LibrarySettings()
    dm_collection: str = ""  # QABOT_DM_COLLECTION: what DMs see when there is a data folder
    workers: int = DEFAULT_WORKERS  # QABOT_WORKERS: questions answered at once
    # `qabot run --shards 0-3 --shard-count 16` (QABOT_SHARDS, QABOT_SHARD_COUNT): one worker
    # over these shards only (bot/shards.py); None: one process for every server, as before.
    shard_ids: tuple[int, ...] | None = None
    shard_count: int | None = None

    def __post_init__(self) -> None:
        check_shards(self.shard_ids, self.shard_count)

    @property
    def corpus_dir(self) -> Path:
        return self.engine.corpus_dir

    @property
    def index_dir(self) -> Path:
        return self.engine.index_dir

    @property
    def sharded(self) -> bool:
        return self.shard_ids is not None

    @property
    def data_dir(self) -> Path | None:
        return self.library.data_dir

    @property
    def fetch_allow(self) -> str:
        return self.library.fetch_allow

    @property
    def collection_cache(self) -> int:
        return self.library.collection_cache

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        dotenv_path: str | Path | None = DEFAULT_DOTENV,
        **overrides: object,
    ) -> Settings:
        """Overrides win over the environment, which wins over .env, which wins over defaults."""
        values = read_env(env, dotenv_path)
        settings = cls(
            token=values.get("DISCORD_TOKEN", "").strip(),
            engine=EngineSettings.from_values(values),
            library=LibrarySettings.from_values(values),
            mod_role=values.get("QABOT_MOD_ROLE", "").strip(),
            channels=_split_list(values.get("QABOT_CHANNELS", "")),
            cooldown_s=_cooldown(values.get("QABOT_COOLDOWN_S")),
            allow_dms=values.get("QABOT_DMS", "").strip().lower() in _TRUE,
            feedback_db=Path(values.get("QABOT_FEEDBACK_DB") or DEFAULT_FEEDBACK_DB),
            threads=values.get("QABOT_THREADS", "").strip().lower() in _TRUE,
            forum=values.get("QABOT_FORUM", "").strip().lstrip("#"),
            ask_channels=_split_list(values.get("QABOT_ASK_CHANNELS", "")),
            message_content=values.get("QABOT_MESSAGE_CONTENT", "").strip().lower() not in _FALSE,
            dm_collection=values.get("QABOT_DM_COLLECTION", "").strip(),
            workers=whole_number("QABOT_WORKERS", values.get("QABOT_WORKERS"), DEFAULT_WORKERS),
            **_shards(values, overrides),
        )
        return settings.with_overrides(**overrides)

    def with_overrides(self, **overrides: object) -> Settings:
        """Bot settings and engine settings (corpus_dir, index_dir, k, …) by name."""
        known = {f.name for f in fields(self)} | _ENGINE_FIELDS | _LIBRARY_FIELDS
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise SettingsError(f"unknown bot setting(s): {', '.join(unknown)}")
        given = {key: value for key, value in overrides.items() if value is not None}
        for key in ("corpus_dir", "index_dir", "feedback_db", "data_dir"):
            if key in given:
                given[key] = Path(given[key])  # type: ignore[arg-type]
        for key in ("channels", "ask_channels"):
            if key in given and isinstance(given[key], str):
                given[key] = _split_list(given[key])  # type: ignore[arg-type]
        if isinstance(given.get("shard_ids"), str):
            given["shard_ids"] = parse_shards(given["shard_ids"])  # type: ignore[arg-type]
        engine = {key: given.pop(key) for key in list(given) if key in _ENGINE_FIELDS}
        if engine:
            given["engine"] = replace(self.engine, **engine)  # type: ignore[arg-type]
        library = {key: given.pop(key) for key in list(given) if key in _LIBRARY_FIELDS}
        if library:
            given["library"] = replace(self.library, **library)  # type: ignore[arg-type]
        return replace(self, **given)  # type: ignore[arg-type]


def _split_list(raw: str) -> tuple[str, ...]:
    # "#ask-the-docs, 1234" -> ("ask-the-docs", "1234")
    return tuple(part.strip().lstrip("#") for part in raw.split(",") if part.strip())


def _shards(values: Mapping[str, str], overrides: dict[str, object]) -> dict[str, object]:
    """QABOT_SHARDS and QABOT_SHARD_COUNT, or the flags that win over them (taken out of
    `overrides`), so that the two are checked together (Settings.__post_init__)."""
    found: dict[str, object] = {}
    ids, count = values.get("QABOT_SHARDS", "").strip(), values.get("QABOT_SHARD_COUNT", "")
    if ids:
        found["shard_ids"] = parse_shards(ids)
    if count.strip():
        found["shard_count"] = whole_number("QABOT_SHARD_COUNT", count, 1)
    for key in ("shard_ids", "shard_count"):
        if overrides.get(key) is not None:
            found[key] = overrides.pop(key)
    if isinstance(found.get("shard_ids"), str):
        found["shard_ids"] = parse_shards(found["shard_ids"])  # type: ignore[arg-type]
    elif found.get("shard_ids") is not None:
        found["shard_ids"] = tuple(found["shard_ids"])  # type: ignore[arg-type]
    return found


def _cooldown(raw: str | None) -> float:
    if raw is None or not raw.strip():
        return DEFAULT_COOLDOWN_S
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"QABOT_COOLDOWN_S must be a number of seconds, got {raw!r}") from None
    if value < 0:
        raise SettingsError(f"QABOT_COOLDOWN_S must be zero or more, got {raw!r}")
    return value


__all__ = ["Settings", "SettingsError"]
