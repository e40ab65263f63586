"""The data folder's layout: collection names, their folders, and channel bindings.

Without a data folder there is one collection, `default`: the configured corpus and index folders
(docs_corpus/ and .qabot/index). With QABOT_DATA_DIR the data folder holds

    guilds/<guild_id>/corpus, index                     a server's own collection
    guilds/<guild_id>/collections/<name>/...             a server's named collection
    guilds/<guild_id>/bindings.json                      channel id -> collection name
    collections/<name>/...                               a collection of no server (DMs, CLI)

A collection is named by its path in that tree: `default`, `guild/<id>`, `guild/<id>/<name>` or
`<name>`.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from index.errors import QabotError
from index.models import DocumentRecord
from index.settings import EngineSettings, LibrarySettings

DEFAULT = "default"
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
_GUILD = re.compile(r"guild/(\d{1,20})(?:/([a-z0-9][a-z0-9_-]{0,31}))?")


class CollectionError(QabotError):
    """A collection name that can't be used, or one that doesn't exist here."""


@dataclass(frozen=True)
class CollectionPaths:
    name: str
    corpus_dir: Path
    index_dir: Path

    @property
    def records(self) -> Path:
        """What was added and from where (index/library/intake.py); list_corpus skips it."""
        return self.corpus_dir / ".documents.json"


def check_name(name: str) -> str:
    """A collection's short name, e.g. "rules": lower-case letters, digits, - and _."""
    name = name.strip().lower()
    if not _NAME.fullmatch(name) or name == DEFAULT:
        raise CollectionError(
            f"{name[:40]!r} can't name a collection: use up to 32 lower-case letters, digits, "
            "- or _ (and not 'default')"
        )
    return name


def guild_collection(guild_id: int, name: str | None = None) -> str:
    """The id of a server's own collection, or of one of its named collections."""
    return f"guild/{guild_id}" + (f"/{check_name(name)}" if name else "")


def guild_of(name: str) -> tuple[int, str | None] | None:
    """(server id, its named collection or None) for a server's collection; None otherwise."""
    guild = _GUILD.fullmatch(name)
    return (int(guild[1]), guild[2]) if guild else None


def collection_paths(name: str, data_dir: Path | None, default: EngineSettings) -> CollectionPaths:
    """The folders of a collection. Raises CollectionError for a name that can't be one."""
    if name == DEFAULT:
        return CollectionPaths(name, default.corpus_dir, default.index_dir)
    if data_dir is None:
        raise CollectionError(
            f"there is no collection {name!r}: set QABOT_DATA_DIR to keep several"
        )
    guild = _GUILD.fullmatch(name)
    if guild:
        root = data_dir / "guilds" / guild[1]
        if guild[2]:
            root = root / "collections" / guild[2]
    elif _NAME.fullmatch(name):
        root = data_dir / "collections" / name
    else:
        raise CollectionError(
            f"{name[:60]!r} is no collection: give default, a name, guild/<id> or guild/<id>/<name>"
        )
    return CollectionPaths(name, root / "corpus", root / "index")


def settings_for(
    settings: EngineSettings, library: LibrarySettings, name: str | None
) -> EngineSettings:
    """Engine settings whose corpus and index are those of the named collection."""
    if not name or name == DEFAULT:
        return settings
    paths = collection_paths(name, library.data_dir, settings)
    return replace(settings, corpus_dir=paths.corpus_dir, index_dir=paths.index_dir)


def read_bindings(data_dir: Path, guild_id: int) -> dict[str, str]:
    """channel id -> collection name, for one server."""
    path = bindings_path(data_dir, guild_id)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        raise QabotError(f"the channel bindings in {path} can't be read ({error})") from error
    return {str(k): str(v) for k, v in data.items() if _NAME.fullmatch(str(v))}


def bindings_path(data_dir: Path, guild_id: int) -> Path:
    return data_dir / "guilds" / str(int(guild_id)) / "bindings.json"


def write_json(path: Path, data: object) -> None:
    """Write JSON atomically: a temporary file in the same folder, renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, ensure_ascii=False, indent=1, sort_keys=True)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_records(paths: CollectionPaths) -> list[DocumentRecord]:
    try:
        data = json.loads(paths.records.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as error:
        raise QabotError(f"{paths.records} can't be read ({error})") from error
    return [DocumentRecord(**item) for item in data.get("documents", [])]


def write_records(paths: CollectionPaths, records: list[DocumentRecord]) -> None:
    write_json(paths.records, {"documents": [asdict(r) for r in records]})


def listing(paths: CollectionPaths) -> list[DocumentRecord]:
    """Every document of the collection: those added here with their records, the others
    (put in the folder by hand) under their own name."""
    records = {r.stored: r for r in read_records(paths)}
    files = sorted(
        p.relative_to(paths.corpus_dir).as_posix()
        for p in (paths.corpus_dir.rglob("*") if paths.corpus_dir.exists() else ())
        if p.is_file() and not p.name.startswith(".")
    )
    return [records.get(name) or DocumentRecord(name, name) for name in files]
