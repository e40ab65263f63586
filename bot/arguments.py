"""What every `qabot` command that works on an index shares: its folder flags, and the settings
they give with the environment and .env (one reader, index.settings)."""

from __future__ import annotations

import argparse
from pathlib import Path

from index.settings import EngineSettings, LibrarySettings, read_env


def add_paths(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--corpus", type=Path, metavar="DIR", help="corpus folder (QABOT_CORPUS_DIR)"
    )
    parser.add_argument("--index", type=Path, metavar="DIR", help="index folder (QABOT_INDEX_DIR)")
    parser.add_argument(
        "--collection",
        metavar="NAME",
        help="a collection under QABOT_DATA_DIR, e.g. guild/<id> (default: the corpus folder)",
    )


def engine_settings(args: argparse.Namespace, **overrides) -> EngineSettings:
    """The engine settings the command works on: flags, then the environment and .env, then the
    named collection's folders (QABOT_DATA_DIR from the same reader)."""
    from index.library.layout import settings_for

    values = read_env()
    settings = EngineSettings.from_values(values, args.corpus, args.index, **overrides)
    library = LibrarySettings.from_values(values)
    return settings_for(settings, library, getattr(args, "collection", None))
