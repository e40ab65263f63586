"""What a Discord user reads about collections: their names in sentences, and refusals."""

from __future__ import annotations

import logging

from index.blobs import StorageUnavailable
from index.library.collections import CollectionBusy, EmptyCollection
from index.library.layout import DEFAULT, guild_of
from index.state import StateUnavailable

log = logging.getLogger("qabot.bot")
BUSY = "{what} is being changed or rebuilt right now; try again when that finishes."
# The database or the object store is down: nothing was lost, and nothing was changed.
STATE_DOWN = (
    "I can't reach my database right now, so I couldn't do that; nothing was lost."
    " Please try again in a few minutes."
)
STORAGE_DOWN = (
    "I can't reach my document storage right now, so I couldn't do that; nothing was lost."
    " Please try again in a few minutes."
)


def describe(name: str) -> str:
    """ "The collection", "This server's collection" or "The collection “rules”"."""
    if name == DEFAULT:
        return "The collection"
    guild = guild_of(name)
    if guild:
        return f"The collection “{guild[1]}”" if guild[1] else "This server's collection"
    return f"The collection “{name}”"


def empty_message(name: str) -> str:
    return f"{describe(name)} has no documents yet; a moderator can add some with /docs add."


def say(error: Exception) -> str:
    """The message for an error the engine or the library raised, in the bot's words."""
    if isinstance(error, EmptyCollection):
        return empty_message(error.name)
    if isinstance(error, CollectionBusy):
        return BUSY.format(what=describe(error.name))
    if isinstance(error, StateUnavailable | StorageUnavailable):
        log.error("%s", error)  # the log says which service and why; members get the gist
        return STATE_DOWN if isinstance(error, StateUnavailable) else STORAGE_DOWN
    return str(error)
