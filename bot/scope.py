"""Which collection an interaction or message sees, and that collection's engine and feedback.

A server sees its own collection; a channel bound with /docs bind sees the one it is bound to
(a thread follows its parent channel). A DM sees QABOT_DM_COLLECTION, or nothing. Without a data
folder every server sees the default collection, as before collections existed.

Everything a member can reach goes through here: questions, /quote and its autocomplete,
/sources, the buttons, /feedback and /gaps. Each collection has its own feedback store, so
votes, conversations and gaps never cross servers either. The stores come from the shared state
(index/state): SQLite files for one process, PostgreSQL for several workers.
"""

from __future__ import annotations

import asyncio
import threading

from bot.config import Settings
from bot.feedback import Feedback
from index.blobs import open_blobs
from index.engine import Engine
from index.errors import QabotError
from index.library.collections import DEFAULT, Collections
from index.library.layout import collection_paths
from index.state import open_state

NO_DM_COLLECTION = "I don't answer in direct messages; ask me in a server channel."


class NoCollection(QabotError):
    """There is no collection here (a DM without QABOT_DM_COLLECTION)."""


class Scopes:
    def __init__(
        self, collections: Collections, settings: Settings, default_feedback: Feedback
    ) -> None:
        self.collections = collections
        self.settings = settings
        self._feedback = {DEFAULT: default_feedback}
        self._lock = threading.Lock()

    def name(self, where: object) -> str:
        """The collection an interaction, message or raw event is in. Raises NoCollection."""
        guild_id = _guild_id(where)
        if guild_id is None:
            if self.collections.data_dir is None:
                return DEFAULT
            if not self.settings.dm_collection:
                raise NoCollection(NO_DM_COLLECTION)
            return self.settings.dm_collection
        return self.collections.for_place(guild_id, _channel_id(where)) or DEFAULT

    async def engine(self, where: object) -> Engine:
        """The engine of this place's collection, loaded off the event loop when needed.

        Raises NoCollection, or EmptyCollection when it holds no document yet."""
        name = self.name(where)
        return await asyncio.to_thread(self.collections.engine, name)

    def feedback(self, where: object) -> Feedback:
        return self.feedback_of(self.name(where))

    def feedback_of(self, name: str) -> Feedback:
        """The collection's own store of answers, votes and opt-outs (made on first use)."""
        with self._lock:
            store = self._feedback.get(name)
            if store is None:
                store = self._feedback[name] = self.collections.state.feedback(name)
            return store


def open_library(
    settings: Settings, engine: Engine | None
) -> tuple[Engine | None, Collections, Feedback]:
    """The default engine (None with a data folder), the collections and the default
    collection's feedback store, over the state and storage the settings name. Blocks: run it
    in a thread. Raises StateUnavailable or StorageUnavailable when they can't be reached."""
    library = settings.library
    state = open_state(
        library,
        lambda name: collection_paths(name, library.data_dir, settings.engine),
        settings.feedback_db,
    )
    blobs = open_blobs(library.storage_url)
    one_collection = library.data_dir is None
    if engine is None and one_collection and not state.shared:
        engine = Engine.open(settings.engine)  # the corpus folder, as before collections
    collections = Collections(
        settings.engine, library, default_engine=engine, state=state, blobs=blobs
    )
    if engine is None and one_collection:  # built once, by whichever worker comes first
        engine = collections.engine(DEFAULT, wait=True)
    return engine, collections, state.feedback(DEFAULT)


def _guild_id(where: object) -> int | None:
    guild_id = getattr(where, "guild_id", None)
    if guild_id is None:
        guild = getattr(where, "guild", None)
        guild_id = getattr(guild, "id", None)
    return int(guild_id) if guild_id is not None else None


def _channel_id(where: object) -> int | None:
    """The channel whose binding applies: a thread's parent, else the channel itself."""
    channel = getattr(where, "channel", None)
    parent = getattr(channel, "parent_id", None) if channel is not None else None
    if parent:
        return int(parent)
    channel_id = getattr(where, "channel_id", None) or getattr(channel, "id", None)
    return int(channel_id) if channel_id is not None else None
