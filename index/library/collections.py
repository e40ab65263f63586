"""Collections: one corpus folder and one index each, opened lazily, sharing one set of models.

Where each collection's folders are is index/library/layout.py. Engines are kept in an LRU cache
of QABOT_COLLECTION_CACHE; an evicted one reloads on its next question. All of them share the
models handed in (index.runtime), and every collection serves from the same ONNX exports: with a
data folder they are in `<data folder>/models/`, one folder for every collection and every
worker on the machine, written by the first process that needs them; serving imports no torch.
Each collection has its own change lock: while one collection is changed or rebuilt, a change to
it is refused (CollectionBusy), and the others carry on.

With shared state (QABOT_DATABASE_URL, index/state) that lock holds across every worker, and a
change or build is published (index/library/shared.py): documents and builds go to object storage
(QABOT_STORAGE_URL), the collection's pointer moves, and every worker serving the collection
downloads the new build and reloads between questions. If the database or the store can't be
reached, a collection already in the local cache goes on serving.

Longer than 300 lines because the engine cache and its sync with shared state are one job
today; moving the sync (waiting for, downloading and publishing builds) into
index/library/shared.py would bring it under.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from pathlib import Path

from index import runtime
from index.blobs import Blobs, StorageUnavailable, open_blobs
from index.build.ingest import list_corpus
from index.build.rebuild import Progress, rebuild
from index.engine import Engine
from index.errors import BuildInProgress, IndexCorrupt, IndexMissing, QabotError
from index.library import layout, shared
from index.library.layout import (
    DEFAULT,
    CollectionError,
    CollectionPaths,
    check_name,
    collection_paths,
    guild_collection,
)
from index.models import BuildReport, DocumentRecord
from index.runtime import Models
from index.settings import EngineSettings, LibrarySettings
from index.state import State, StateUnavailable, open_state

log = logging.getLogger("qabot.library")
WAIT_FOR_BUILD_S = 600.0  # how long a worker starting waits for another's build of a collection
RETRY_STATE_S = 15.0  # after the shared database failed, serve from the cache this long


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
        state: State | None = None,
        blobs: Blobs | None = None,
    ) -> None:
        library = library or LibrarySettings()
        self.settings = settings
        self.data_dir = library.data_dir
        self.cache_size = library.collection_cache
        # One set of models for every collection: the default engine's when there is one.
        if models is None:
            models = (
                default_engine.models
                if default_engine
                else runtime.load_models(settings, library.data_dir)
            )
        self.models = models
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._pinned = {DEFAULT: default_engine} if default_engine else {}
        self._lock = threading.Lock()  # guards the cache and the lock tables
        self._loading: dict[str, threading.Lock] = {}
        self._changing: dict[str, threading.Lock] = {}
        self.state = state or open_state(
            library, self.paths, settings.index_dir.parent / "feedback.sqlite3"
        )
        self.blobs = blobs if state is not None else open_blobs(library.storage_url)
        self._warned: dict[str, float] = {}
        self._down_until = 0.0  # the shared database failed: don't ask it again before this
        self._bindings: dict[int, dict[str, str]] = {}  # the last read, for when the state is down

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
        """channel id -> collection name, for one server; the last ones read while the shared
        database can't be reached (none read yet: every channel uses the server's own)."""
        self._data_dir("binding channels")
        try:
            if self._state_down():
                return self._bindings.get(guild_id, {})
            found = self.state.bindings(guild_id)
        except StateUnavailable as error:
            self._warn(f"guild/{guild_id}", error)
            return self._bindings.get(guild_id, {})
        self._bindings[guild_id] = found
        return found

    def bind(self, guild_id: int, channel_id: int, name: str | None) -> str:
        """Bind a channel to one of the server's named collections (None: its own again)."""
        self._data_dir("binding channels")
        self.state.bind(guild_id, channel_id, check_name(name) if name else None)
        return guild_collection(guild_id, name)

    def _data_dir(self, what: str) -> Path:
        if self.data_dir is None:
            raise CollectionError(f"{what} needs a data folder: set QABOT_DATA_DIR")
        return self.data_dir

    def documents(self, name: str) -> list[DocumentRecord]:
        """The collection's documents: the shared registry's, or the corpus folder's."""
        if self._syncs(name):
            return self.state.records(name)
        return layout.listing(self.paths(name))

    # ---- engines --------------------------------------------------------------------------

    def loaded(self) -> list[str]:
        """Names of the collections in memory, least recently used first."""
        with self._lock:
            return [*self._pinned, *self._engines]

    def engine(self, name: str, *, wait: bool = False) -> Engine:
        """The collection's engine, loading it (and building a first index) when needed; with
        shared state, moved to the collection's published build when another worker moved it.

        Raises EmptyCollection when it holds no document, CollectionError for a bad name.
        `wait`: while another worker builds it, wait for that build instead of refusing.
        """
        with self._lock:
            cached = self._pinned.get(name) or self._engines.get(name)
            if name in self._engines:
                self._engines.move_to_end(name)
            loading = self._loading.setdefault(name, threading.Lock())
        if cached is not None:
            return self._current(name, cached) if self.state.shared else cached
        with loading:  # one load per collection at a time; others load in parallel
            with self._lock:
                if name in self._engines:
                    return self._engines[name]
            engine = self._open(name, wait)
            self._keep(name, engine)
            return engine

    def _keep(self, name: str, engine: Engine) -> None:
        with self._lock:
            if name in self._pinned:
                return
            self._engines[name] = engine
            self._engines.move_to_end(name)
            while len(self._engines) > self.cache_size:
                self._engines.popitem(last=False)

    def _open(self, name: str, wait: bool) -> Engine:
        paths = self.paths(name)
        if self.state.shared:
            return self._open_shared(name, paths, wait)
        engine = self._try_open(paths)
        if engine is not None:
            return engine
        if not _has_documents(paths.corpus_dir):
            raise EmptyCollection(name)
        with self.changing(name):  # a first build must not race a change to the collection
            self.rebuild(name)
        with self._lock:
            return self._engines.get(name) or self._pinned[name]

    def _open_shared(self, name: str, paths: CollectionPaths, wait: bool) -> Engine:
        """The published build (downloaded when not cached here), or a first build of it."""
        deadline = time.monotonic() + (WAIT_FOR_BUILD_S if wait else 0)
        while True:
            try:
                published = self.state.published(name)
            except StateUnavailable as error:  # serve the local cache while the database is down
                engine = self._try_open(paths)
                if engine is None:
                    raise
                self._warn(name, error)
                return engine
            if published == shared.NO_BUILD:
                raise EmptyCollection(name)
            if published is not None and shared.fetch_build(
                self.blobs, name, paths.index_dir, published
            ):
                return self._engine_over(paths)
            if not self._has_shared_documents(name, paths):
                raise EmptyCollection(name)
            try:
                with self.changing(name):
                    self.rebuild(name)
                with self._lock:
                    return self._engines.get(name) or self._pinned[name]
            except CollectionBusy:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1.0)  # another worker is building it: wait for its build

    def _current(self, name: str, engine: Engine) -> Engine:
        """The engine, moved to the collection's published build when that moved. A database or
        store that can't be reached is logged, and the cached build goes on serving."""
        if self._state_down():
            return engine
        try:
            published = self.state.published(name)
            if published is None or published == engine.build_name:
                return engine
            if published == shared.NO_BUILD:
                self.forget(name)
                raise EmptyCollection(name)
            with self._lock:
                loading = self._loading.setdefault(name, threading.Lock())
            if not loading.acquire(blocking=False):
                return engine  # another question is moving it; this one uses the old build
            try:
                if shared.fetch_build(self.blobs, name, engine.settings.index_dir, published):
                    engine.reload()
                    log.info("%s now serves build %s", name, published)
            finally:
                loading.release()
        except (StateUnavailable, StorageUnavailable, IndexCorrupt) as error:
            self._warn(name, error)
        return engine

    def _state_down(self) -> bool:
        """For a while after the shared database failed, questions don't wait for it again."""
        return time.monotonic() < self._down_until

    def _warn(self, name: str, error: Exception) -> None:
        """One log line a minute per collection while shared state or storage is unreachable."""
        now = time.monotonic()
        if isinstance(error, StateUnavailable):
            self._down_until = now + RETRY_STATE_S
        if now - self._warned.get(name, -60.0) >= 60.0:
            self._warned[name] = now
            log.warning("%s: serving the cached build: %s", name, error)

    def _settings_for(self, paths: CollectionPaths) -> EngineSettings:
        return replace(self.settings, corpus_dir=paths.corpus_dir, index_dir=paths.index_dir)

    def _try_open(self, paths: CollectionPaths) -> Engine | None:
        """The collection's engine over its index on disk, or None when it has none yet."""
        try:
            return self._engine_over(paths)
        except IndexMissing:
            return None

    def _engine_over(self, paths: CollectionPaths) -> Engine:
        """Every collection serves from the models' exports (written here when missing), so
        questions load no torch; the question model and the reader are the process's own."""
        settings = self._settings_for(paths)
        if self.models.exports and not self.models.exported(paths.index_dir):
            self.models.export(paths.index_dir)
        return Engine.open(settings, self.models, build_if_missing=False)

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
        """Hold the collection's change lock (across every worker with shared state) and, when
        it is shared, its documents as the registry has them; what the change left in the corpus
        folder is stored on leaving. Raises CollectionBusy when the lock is already held."""
        with self._lock:
            lock = self._changing.setdefault(name, threading.Lock())
        if not lock.acquire(blocking=False):
            raise CollectionBusy(name)
        try:
            with ExitStack() as held:
                try:
                    held.enter_context(self.state.hold(name))
                except BuildInProgress:
                    raise CollectionBusy(name) from None
                paths = self.paths(name)
                if self._syncs(name):
                    shared.pull_documents(self.state, self.blobs, name, paths)
                yield paths
                if self._syncs(name):
                    shared.push_documents(self.state, self.blobs, name, paths)
        finally:
            lock.release()

    def _syncs(self, name: str) -> bool:
        """Documents are shared for every collection but the default (its folder is local)."""
        return self.state.shared and name != DEFAULT

    def _has_shared_documents(self, name: str, paths: CollectionPaths) -> bool:
        if name == DEFAULT:
            return _has_documents(paths.corpus_dir)
        return bool(self.state.records(name))

    def rebuild(self, name: str, progress: Progress | None = None) -> BuildReport | None:
        """Incremental build of this collection only; the caller holds its change lock.

        Returns the BuildReport, or None when a collection under the data folder is now empty
        (its index is then removed, so nothing of the removed documents can be quoted). The
        default collection reports an empty corpus folder as an error, as it always has. With
        shared state, the documents are stored first and the build is published after.
        """
        paths = self.paths(name)
        if self._syncs(name):
            shared.push_documents(self.state, self.blobs, name, paths)
        if name != DEFAULT and not _has_documents(paths.corpus_dir):
            self._drop_index(name, paths)
            if self.state.shared:
                shared.unpublish(self.state, name)
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
        if self.state.shared:
            shared.publish_build(self.state, self.blobs, name, paths.index_dir)
        self._keep(name, engine)
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
