"""Which collection an interaction or message sees, and that collection's engine and feedback.

A server sees its own collection; a channel bound with /docs bind sees the one it is bound to
(a thread follows its parent channel). A DM sees QABOT_DM_COLLECTION, or nothing. Without a data
folder every server sees the default collection, as before collections existed.

Everything a member can reach goes through here: questions, /quote and its autocomplete,
/sources, the buttons, /feedback and /gaps. Each collection has its own feedback store, so
votes, conversations and gaps never cross servers either.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from bot.config import Settings
from bot.feedback import FeedbackStore
from index.engine import Engine
from index.errors import QabotError
from index.library.collections import DEFAULT, Collections

NO_DM_COLLECTION = "I don't answer in direct messages; ask me in a server channel."


class NoCollection(QabotError):
    """There is no collection here (a DM without QABOT_DM_COLLECTION)."""


class Scopes:
    def __init__(
        self, collections: Collections, settings: Settings, default_feedback: FeedbackStore
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

    def feedback(self, where: object) -> FeedbackStore:
        return self.feedback_of(self.name(where))

    def feedback_of(self, name: str) -> FeedbackStore:
        """The collection's own store of answers, votes and opt-outs (made on first use)."""
        with self._lock:
            store = self._feedback.get(name)
            if store is None:
                paths = self.collections.paths(name)
                store = FeedbackStore(Path(paths.corpus_dir).parent / "feedback.sqlite3")
                self._feedback[name] = store
            return store


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
