"""Collections: one corpus folder and one index each, opened lazily, sharing one model.

Without a data folder there is one collection, `default`: today's corpus and index folders
(docs_corpus/ and .qabot/index). With QABOT_DATA_DIR the data folder holds

    guilds/<guild_id>/corpus, index                     a server's own collection
    guilds/<guild_id>/collections/<name>/...             a server's named collection
    guilds/<guild_id>/bindings.json                      channel id -> collection name
    collections/<name>/...                               a collection of no server (DMs, CLI)

A collection is named by its path in that tree: `default`, `guild/<id>`, `guild/<id>/<name>` or
`<name>`. Engines are kept in an LRU cache of `cache_size`; an evicted one reloads on its next
question. All of them share one embedder (and the answer model, which load_model caches).
Each collection has its own change lock: while one collection is changed or rebuilt, a change to
it is refused (BuildInProgress), and the other collections carry on.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from index.build.embed import Embedder
from index.build.incremental import build_index
from index.build.ingest import list_corpus
from index.engine import Engine, Progress
from index.errors import BuildInProgress, IndexMissing, QabotError
from index.models import BuildReport
from index.settings import EngineSettings

DEFAULT = "default"
DEFAULT_CACHE_SIZE = 8
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
_GUILD = re.compile(r"guild/(\d{1,20})(?:/([a-z0-9][a-z0-9_-]{0,31}))?")
BUSY = "{what} is being changed or rebuilt right now; try again when that finishes."


class CollectionError(QabotError):
    """A collection name that can't be used, or one that doesn't exist here."""


class EmptyCollection(QabotError):
    """The collection holds no document yet."""


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


class Collections:
    def __init__(
        self,
        settings: EngineSettings,
        data_dir: Path | None = None,
        *,
        cache_size: int = DEFAULT_CACHE_SIZE,
        embedder: Embedder | None = None,
        default_engine: Engine | None = None,
    ) -> None:
        if cache_size < 1:
            raise QabotError(f"the collection cache must hold at least 1, not {cache_size}")
        self.settings = settings
        self.data_dir = Path(data_dir) if data_dir else None
        self.cache_size = cache_size
        self._embedder = embedder
        self._default_engine = default_engine
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._pinned = {DEFAULT: default_engine} if default_engine else {}
        self._lock = threading.Lock()  # guards the cache and the lock tables
        self._loading: dict[str, threading.Lock] = {}
        self._changing: dict[str, threading.Lock] = {}

    # ---- names and folders ----------------------------------------------------------------

    def paths(self, name: str) -> CollectionPaths:
        """The folders of a collection. Raises CollectionError for a name that can't be one."""
        if name == DEFAULT:
            pinned = self._pinned.get(DEFAULT)
            s = pinned.settings if pinned else self.settings
            return CollectionPaths(name, s.corpus_dir, s.index_dir)
        if self.data_dir is None:
            raise CollectionError(
                f"there is no collection {name!r}: set QABOT_DATA_DIR to keep several"
            )
        guild = _GUILD.fullmatch(name)
        if guild:
            root = self.data_dir / "guilds" / guild[1]
            if guild[2]:
                root = root / "collections" / guild[2]
        elif _NAME.fullmatch(name):
            root = self.data_dir / "collections" / name
        else:
            raise CollectionError(
                f"{name[:60]!r} is no collection: give default, a name, guild/<id> "
                "or guild/<id>/<name>"
            )
        return CollectionPaths(name, root / "corpus", root / "index")

    def for_place(self, guild_id: int | None, channel_id: int | None = None) -> str | None:
        """The collection a server (or a channel bound to one of its collections) sees.

        Without a data folder every server sees `default`, as before collections. Outside a
        server (a DM) there is none: the caller uses its configured DM collection or refuses.
        """
        if guild_id is None:
            return None
        if self.data_dir is None:
            return DEFAULT
        bound = self.bindings(guild_id).get(str(channel_id)) if channel_id else None
        return guild_collection(guild_id, bound)

    # ---- channel bindings -----------------------------------------------------------------

    def bindings(self, guild_id: int) -> dict[str, str]:
        """channel id -> collection name, for one server."""
        path = self._bindings_path(guild_id)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            raise QabotError(f"the channel bindings in {path} can't be read ({error})") from error
        return {str(k): str(v) for k, v in data.items() if _NAME.fullmatch(str(v))}

    def bind(self, guild_id: int, channel_id: int, name: str | None) -> str:
        """Bind a channel to one of the server's named collections (None: its own again)."""
        bindings = self.bindings(guild_id)
        if name:
            bindings[str(channel_id)] = check_name(name)
        else:
            bindings.pop(str(channel_id), None)
        write_json(self._bindings_path(guild_id), bindings)
        return guild_collection(guild_id, name)

    def _bindings_path(self, guild_id: int) -> Path:
        if self.data_dir is None:
            raise CollectionError("binding channels needs a data folder: set QABOT_DATA_DIR")
        return self.data_dir / "guilds" / str(int(guild_id)) / "bindings.json"

    # ---- engines --------------------------------------------------------------------------

    @property
    def embedder(self) -> Embedder:
        """The one embedder every collection shares, loaded on first use."""
        with self._lock:
            if self._embedder is None and self._default_engine is not None:
                # Its build model: its questions may go through ONNX Runtime, which can't build.
                self._embedder = self._default_engine.build_embedder()
            if self._embedder is None:
                s = self.settings
                self._embedder = Embedder(s.model, s.dtype, s.batch_size)
            return self._embedder

    def loaded(self) -> list[str]:
        """Names of the collections in memory, least recently used first."""
        with self._lock:
            return [*self._pinned, *self._engines]

    def engine(self, name: str) -> Engine:
        """The collection's engine, loading it (and building a first index) when needed.

        Raises EmptyCollection when it holds no document, CollectionError for a bad name.
        """
        with self._lock:
            if name in self._pinned:
                return self._pinned[name]
            if name in self._engines:
                self._engines.move_to_end(name)
                return self._engines[name]
            loading = self._loading.setdefault(name, threading.Lock())
        with loading:  # one load per collection at a time; others load in parallel
            with self._lock:
                if name in self._engines:
                    return self._engines[name]
            engine = self._open(name)
            with self._lock:
                self._engines[name] = engine
                while len(self._engines) > self.cache_size:
                    self._engines.popitem(last=False)
            return engine

    def _open(self, name: str) -> Engine:
        paths = self.paths(name)
        engine = self._try_open(paths)
        if engine is not None:
            return engine
        if not _has_documents(paths.corpus_dir):
            raise EmptyCollection(empty_message(name))
        with self.changing(name):  # a first build must not race a change to the collection
            self.rebuild(name)
        with self._lock:
            return self._engines.get(name) or self._pinned[name]

    def _settings_for(self, paths: CollectionPaths) -> EngineSettings:
        return replace(self.settings, corpus_dir=paths.corpus_dir, index_dir=paths.index_dir)

    def _try_open(self, paths: CollectionPaths) -> Engine | None:
        """The collection's engine over its index on disk, or None when it has none yet."""
        try:
            return Engine.open(
                self._settings_for(paths),
                build_if_missing=False,
                embedder=self.embedder,
                reader=self._reader(),
            )
        except IndexMissing:
            return None

    def _reader(self):
        """The default engine's reader (its index folder holds the export), shared by all."""
        return self._default_engine.reader if self._default_engine else None

    def forget(self, name: str) -> None:
        """Drop a collection's engine from memory (it reloads on its next use)."""
        with self._lock:
            self._engines.pop(name, None)

    # ---- changes --------------------------------------------------------------------------

    def busy(self, name: str) -> bool:
        with self._lock:
            lock = self._changing.get(name)
        return lock is not None and lock.locked()

    @contextmanager
    def changing(self, name: str) -> Iterator[CollectionPaths]:
        """Hold the collection's change lock; raises BuildInProgress when it is already held."""
        with self._lock:
            lock = self._changing.setdefault(name, threading.Lock())
        if not lock.acquire(blocking=False):
            raise BuildInProgress(BUSY.format(what=describe(name)))
        try:
            yield self.paths(name)
        finally:
            lock.release()

    def rebuild(self, name: str, progress: Progress | None = None) -> BuildReport | None:
        """Incremental build of this collection only; the caller holds its change lock.

        Returns the BuildReport, or None when a collection under the data folder is now empty
        (its index is then removed, so nothing of the removed documents can be quoted). The
        default collection reports an empty corpus folder as an error, as it always has.
        """
        paths = self.paths(name)
        if name != DEFAULT and not _has_documents(paths.corpus_dir):
            self._drop_index(name, paths)
            return None
        with self._lock:
            engine = self._pinned.get(name) or self._engines.get(name)
        if engine is None:
            engine = self._try_open(paths)
        if engine is None:
            report = build_index(paths.corpus_dir, paths.index_dir, self.embedder, None, progress)
            engine = Engine.open(
                self._settings_for(paths),
                build_if_missing=False,
                embedder=self.embedder,
                reader=self._reader(),
            )
        else:
            report = engine.build(progress)
        with self._lock:
            if name not in self._pinned:
                self._engines[name] = engine
                self._engines.move_to_end(name)
                while len(self._engines) > self.cache_size:
                    self._engines.popitem(last=False)
        return report

    def _drop_index(self, name: str, paths: CollectionPaths) -> None:
        self.forget(name)
        shutil.rmtree(paths.index_dir, ignore_errors=True)


def from_env(settings: EngineSettings, **kwargs) -> Collections:
    """Collections under QABOT_DATA_DIR (none: the default collection only), with an LRU cache
    of QABOT_COLLECTION_CACHE engines."""
    data_dir = os.environ.get("QABOT_DATA_DIR", "").strip()
    raw = os.environ.get("QABOT_COLLECTION_CACHE", "").strip() or str(DEFAULT_CACHE_SIZE)
    if not raw.isdigit() or int(raw) < 1:
        raise QabotError(
            f"QABOT_COLLECTION_CACHE must be a whole number of at least 1, not {raw!r}"
        )
    return Collections(
        settings, Path(data_dir) if data_dir else None, cache_size=int(raw), **kwargs
    )


def settings_for(settings: EngineSettings, name: str | None) -> EngineSettings:
    """Engine settings whose corpus and index are those of the named collection."""
    if not name or name == DEFAULT:
        return settings
    paths = from_env(settings).paths(name)
    return replace(settings, corpus_dir=paths.corpus_dir, index_dir=paths.index_dir)


def _has_documents(corpus_dir: Path) -> bool:
    return corpus_dir.exists() and bool(list_corpus(corpus_dir)[0])


def describe(name: str) -> str:
    if name == DEFAULT:
        return "The collection"
    guild = _GUILD.fullmatch(name)
    if guild:
        return f"The collection “{guild[2]}”" if guild[2] else "This server's collection"
    return f"The collection “{name}”"


def empty_message(name: str) -> str:
    return f"{describe(name)} has no documents yet; a moderator can add some with /docs add."


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


__all__ = [
    "DEFAULT",
    "CollectionError",
    "CollectionPaths",
    "Collections",
    "EmptyCollection",
    "check_name",
    "guild_collection",
]
