"""Errors a user can act on. Front ends print their message; none of them deserve a traceback."""

from __future__ import annotations

REBUILD_HINT = "run `qabot index build` to rebuild it"


class QabotError(Exception):
    """Base class: the message is written for the user."""


class QuestionError(QabotError):
    """The question itself is unusable (empty or too long)."""


class IndexMissing(QabotError):
    """No index has been built yet."""


class IndexCorrupt(QabotError):
    """The index on disk is unreadable, truncated or built with another model."""


class CorpusError(QabotError):
    """The corpus folder is missing or holds no usable document."""


class IndexWriteError(QabotError):
    """A build can't write its files (a full disk, a read-only folder); the old index serves."""


class BuildInProgress(QabotError):
    """Another build is running in this process."""


class SettingsError(QabotError, ValueError):
    """A setting has a value qabot can't use; the message names the variable."""
