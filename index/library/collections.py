"""Collections: one corpus folder and one index each, opened lazily, sharing one set of models.

Where each collection's folders are is index/library/layout.py. Engines are kept in an LRU cache
of QABOT_COLLECTION_CACHE; an evicted one reloads on its next question. All of them share the
models handed in (index.runtime): questions go through the build embedder, and the reader is the
one the default collection loaded. Each collection has its own change lock: while one collection
is changed or rebuilt, a change to it is refused (CollectionBusy), and the others carry on.
"""

from __future__ import annotations

import shutil
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from index import runtime
from index.build.ingest import list_corpus
from index.build.rebuild import Progress, rebuild
from index.engine import Engine
from index.errors import BuildInProgress, IndexMissing, QabotError
from index.library.layout import (
    DEFAULT,
    CollectionError,
    CollectionPaths,
    bindings_path,
    check_name,
    collection_paths,
    guild_collection,
    read_bindings,
    write_json,
)
from index.models import BuildReport
from index.runtime import Models
from index.settings import EngineSettings, LibrarySettings


class EmptyCollection(QabotError):
    """The collection holds no document yet."""

    def __init__(self, name: str) -> None:
        super().__init__(f"the collection {name!r} has no documents yet")
        self.name = name


class CollectionBusy(BuildInProgress):
    """A change to the collection is refused while another change or build holds it."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"the collection {name!r} is being changed or rebuilt; try again when that finishes"
        )
        self.name = name


class Collections:
    def __init__(
        self,
        settings: EngineSettings,
        library: LibrarySettings | None = None,
        models: Models | None = None,
        *,
        default_engine: Engine | None = None,
    ) -> None:
        library = library or LibrarySettings()
        self.settings = settings
        self.data_dir = library.data_dir
        self.cache_size = library.collection_cache
        # One set of models for every collection: the default engine's when there is one.
        if models is None:
            models = default_engine.models if default_engine else runtime.load_models(settings)
        self.models = models
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._pinned = {DEFAULT: default_engine} if default_engine else {}
        self._lock = threading.Lock()  # guards the cache and the lock tables
        self._loading: dict[str, threading.Lock] = {}
        self._changing: dict[str, threading.Lock] = {}

    # ---- names and folders ----------------------------------------------------------------

    def paths(self, name: str) -> CollectionPaths:
        """The folders of a collection. Raises CollectionError for a name that can't be one."""
        pinned = self._pinned.get(DEFAULT)
        return collection_paths(name, self.data_dir, pinned.settings if pinned else self.settings)

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
        return read_bindings(self._data_dir("binding channels"), guild_id)

    def bind(self, guild_id: int, channel_id: int, name: str | None) -> str:
        """Bind a channel to one of the server's named collections (None: its own again)."""
        bindings = self.bindings(guild_id)
        if name:
            bindings[str(channel_id)] = check_name(name)
        else:
            bindings.pop(str(channel_id), None)
        write_json(bindings_path(self._data_dir("binding channels"), guild_id), bindings)
        return guild_collection(guild_id, name)

    def _data_dir(self, what: str) -> Path:
        if self.data_dir is None:
            raise CollectionError(f"{what} needs a data folder: set QABOT_DATA_DIR")
        return self.data_dir

    # ---- engines --------------------------------------------------------------------------

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
            raise EmptyCollection(name)
        with self.changing(name):  # a first build must not race a change to the collection
            self.rebuild(name)
        with self._lock:
            return self._engines.get(name) or self._pinned[name]

    def _settings_for(self, paths: CollectionPaths) -> EngineSettings:
        return replace(self.settings, corpus_dir=paths.corpus_dir, index_dir=paths.index_dir)

    def _try_open(self, paths: CollectionPaths) -> Engine | None:
        """The collection's engine over its index on disk, or None when it has none yet."""
        try:
            return self._engine_over(paths)
        except IndexMissing:
            return None

    def _engine_over(self, paths: CollectionPaths) -> Engine:
        """Questions through the shared build model; the reader is the shared one."""
        settings = self._settings_for(paths)
        return Engine.open(settings, self.models, build_if_missing=False, exports=False)

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
            raise CollectionBusy(name)
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
            report, _ = rebuild(
                self._settings_for(paths), self.models, None, progress, exports=False
            )
            engine = self._engine_over(paths)
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


def _has_documents(corpus_dir: Path) -> bool:
    return corpus_dir.exists() and bool(list_corpus(corpus_dir)[0])


__all__ = [
    "DEFAULT",
    "CollectionBusy",
    "CollectionError",
    "CollectionPaths",
    "Collections",
    "EmptyCollection",
    "check_name",
    "guild_collection",
]
