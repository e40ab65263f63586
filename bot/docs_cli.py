"""`qabot docs add|remove|list|refresh`: manage a collection's documents from the shell.

Each change takes the collection's change lock, stores or removes the file, then runs the
collection's incremental build, exactly as `/docs` does in Discord.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

from index.errors import QabotError
from index.settings import EngineSettings, LibrarySettings, read_env


def add_docs_commands(commands, paths: Callable[[argparse.ArgumentParser], None]) -> None:
    docs = commands.add_parser("docs", help="add, remove or list a collection's documents")
    actions = docs.add_subparsers(metavar="ACTION")
    add = actions.add_parser("add", help="add a file, or fetch a URL (http/https)")
    paths(add)
    add.add_argument("source", help="a file path or an http(s) URL")
    add.set_defaults(handler=_add)
    remove = actions.add_parser("remove", help="remove a document by its stored name")
    paths(remove)
    remove.add_argument("name", help="the stored name, as `qabot docs list` shows it")
    remove.set_defaults(handler=_remove)
    listing = actions.add_parser("list", help="the collection's documents")
    paths(listing)
    listing.set_defaults(handler=_list)
    refresh = actions.add_parser("refresh", help="fetch URL documents again, reindex changed")
    paths(refresh)
    refresh.set_defaults(handler=_refresh)


def _collection(args: argparse.Namespace):
    """The collection the command works on, with settings from the one reader (environment and
    .env alike), and what URLs may be fetched into it."""
    from index.library.collections import DEFAULT, Collections
    from index.library.fetch import Allow

    values = read_env()
    settings = EngineSettings.from_values(values, args.corpus, args.index)
    library = LibrarySettings.from_values(values)
    collections = Collections(settings, library)
    name = args.collection or DEFAULT
    collections.paths(name)  # a bad name fails before anything else
    return collections, name, Allow.parse(library.fetch_allow)


def _rebuild(collections, name: str) -> None:
    from bot.terminal import format_build

    report = collections.rebuild(name)
    if report is None:
        print("the collection is now empty; its index was removed")
        return
    for warning in report.skipped:
        print(f"warning: {warning}", file=sys.stderr)
    print(format_build(report))


def _add(args: argparse.Namespace) -> int:
    from index.library import intake

    collections, name, allow = _collection(args)
    source: str = args.source
    with collections.changing(name) as paths:
        if source.startswith(("http://", "https://")):
            from index.library.fetch import Fetched, fetch

            got = asyncio.run(fetch(source, allow))
            assert isinstance(got, Fetched)
            record = intake.add_fetched(paths, got)
        else:
            path = Path(source)
            try:
                data = path.read_bytes()
            except OSError as error:
                raise QabotError(f"can't read {source}: {error.strerror or error}") from None
            record = intake.add(paths, path.name, data)
        print(f"added {record.original} as {record.stored}")
        _rebuild(collections, name)
    return 0


def _remove(args: argparse.Namespace) -> int:
    from index.library import intake

    collections, name, allow = _collection(args)
    with collections.changing(name) as paths:
        record = intake.remove(paths, args.name)
        print(f"removed {record.original}")
        _rebuild(collections, name)
    return 0


def _list(args: argparse.Namespace) -> int:
    from index.library import layout

    collections, name, allow = _collection(args)
    records = layout.listing(collections.paths(name))
    if not records:
        print("no documents")
    for record in records:
        shown = f"  ({record.original})" if record.original != record.stored else ""
        print(f"{record.stored}{shown}")
    return 0


def _refresh(args: argparse.Namespace) -> int:
    from index.library import intake

    collections, name, allow = _collection(args)
    with collections.changing(name) as paths:
        result = asyncio.run(intake.refresh(paths, allow))
        for record, reason in result.failed:
            print(f"warning: {record.url}: {reason}", file=sys.stderr)
        print(f"{len(result.changed)} changed, {len(result.unchanged)} unchanged")
        if result.changed:
            _rebuild(collections, name)
    return 0
