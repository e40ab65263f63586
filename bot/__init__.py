"""qabot's front ends: the Discord bot and the `qabot` CLI."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.client import QABot
    from index.engine import Engine


def create_bot(
    *,
    corpus_dir: str | Path | None = None,
    index_dir: str | Path | None = None,
    engine: Engine | None = None,
    data_dir: str | Path | None = None,
    fetch_allow: str | None = None,
    **settings: object,
) -> QABot:
    """The Discord bot, configured from the environment (and .env) with these overrides.

    `data_dir` (QABOT_DATA_DIR) gives each server its own collection of documents, managed
    with /docs; `fetch_allow` (QABOT_FETCH_ALLOW) lists hosts or CIDRs `/docs add url:` may
    fetch from although they are private. Without a data folder the corpus and index folders
    are the one collection every server sees, as before.
    `shard_ids` and `shard_count` (e.g. (0, 1, 2, 3) and 16, or "0-3") make it a worker over
    those shards only (bot/shards.py); `database_url` and `storage_url` share its state and
    documents with other workers (QABOT_DATABASE_URL, QABOT_STORAGE_URL).
    `engine` shares an already-open engine (the local preview, tests); without it the bot opens
    one in `setup_hook`, off the event loop. Imports are deferred so `qabot` CLI commands that
    don't need Discord start fast.
    """
    from bot.client import make_bot
    from bot.config import Settings

    config = Settings.from_env(
        corpus_dir=corpus_dir,
        index_dir=index_dir,
        data_dir=data_dir,
        fetch_allow=fetch_allow,
        **settings,
    )
    return make_bot(config, engine)


__all__ = ["create_bot"]
