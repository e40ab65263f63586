"""Bot settings: one frozen dataclass, read once from the environment and an optional .env file."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from dotenv import dotenv_values

from index.settings import DEFAULT_CORPUS_DIR, DEFAULT_INDEX_DIR

DEFAULT_FEEDBACK_DB = Path(".qabot/feedback.sqlite3")
DEFAULT_COOLDOWN_S = 5.0
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class SettingsError(ValueError):
    """A setting has a value the bot cannot use; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    # repr=False: the token must never reach a log line or a traceback.
    token: str = field(default="", repr=False)
    corpus_dir: Path = DEFAULT_CORPUS_DIR
    index_dir: Path = DEFAULT_INDEX_DIR
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
    data_dir: Path | None = None  # QABOT_DATA_DIR: one collection per server under it
    fetch_allow: str = ""  # QABOT_FETCH_ALLOW: hosts or CIDRs /docs add url: may reach
    dm_collection: str = ""  # QABOT_DM_COLLECTION: what DMs see when there is a data folder
    collection_cache: int = 8  # QABOT_COLLECTION_CACHE: collections kept loaded at once

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        dotenv_path: str | Path | None = ".env",
        **overrides: object,
    ) -> Settings:
        """Overrides win over the environment, which wins over .env, which wins over defaults."""
        values = _merged(env, dotenv_path)
        settings = cls(
            token=values.get("DISCORD_TOKEN", "").strip(),
            corpus_dir=Path(values.get("QABOT_CORPUS_DIR") or DEFAULT_CORPUS_DIR),
            index_dir=Path(values.get("QABOT_INDEX_DIR") or DEFAULT_INDEX_DIR),
            mod_role=values.get("QABOT_MOD_ROLE", "").strip(),
            channels=_split_list(values.get("QABOT_CHANNELS", "")),
            cooldown_s=_cooldown(values.get("QABOT_COOLDOWN_S")),
            allow_dms=values.get("QABOT_DMS", "").strip().lower() in _TRUE,
            feedback_db=Path(values.get("QABOT_FEEDBACK_DB") or DEFAULT_FEEDBACK_DB),
            threads=values.get("QABOT_THREADS", "").strip().lower() in _TRUE,
            forum=values.get("QABOT_FORUM", "").strip().lstrip("#"),
            ask_channels=_split_list(values.get("QABOT_ASK_CHANNELS", "")),
            message_content=values.get("QABOT_MESSAGE_CONTENT", "").strip().lower() not in _FALSE,
            data_dir=Path(values["QABOT_DATA_DIR"]) if values.get("QABOT_DATA_DIR") else None,
            fetch_allow=values.get("QABOT_FETCH_ALLOW", "").strip(),
            dm_collection=values.get("QABOT_DM_COLLECTION", "").strip(),
            collection_cache=_at_least_one(
                "QABOT_COLLECTION_CACHE", values.get("QABOT_COLLECTION_CACHE")
            ),
        )
        return settings.with_overrides(**overrides)

    def with_overrides(self, **overrides: object) -> Settings:
        known = {f.name for f in fields(self)}
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
        return replace(self, **given)  # type: ignore[arg-type]


def _merged(env: Mapping[str, str] | None, dotenv_path: str | Path | None) -> dict[str, str]:
    from_file: dict[str, str] = {}
    if dotenv_path is not None and Path(dotenv_path).is_file():
        from_file = {k: v for k, v in dotenv_values(dotenv_path).items() if v is not None}
    return {**from_file, **(os.environ if env is None else env)}


def _split_list(raw: str) -> tuple[str, ...]:
    # "#ask-the-docs, 1234" -> ("ask-the-docs", "1234")
    return tuple(part.strip().lstrip("#") for part in raw.split(",") if part.strip())


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


def _at_least_one(name: str, raw: str | None) -> int:
    if raw is None or not raw.strip():
        return 8
    if not raw.strip().isdigit() or int(raw) < 1:
        raise SettingsError(f"{name} must be a whole number of at least 1, got {raw!r}")
    return int(raw)
