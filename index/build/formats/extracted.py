"""What every extractor returns, and the error it raises for a file it can't use."""

from __future__ import annotations

from dataclasses import dataclass, field

from index.models import Page


class ExtractError(Exception):
    """A file that can't be used; the message says why, in a few words."""


@dataclass(frozen=True)
class Extracted:
    text: str
    title: str
    meta: dict[str, str] = field(default_factory=dict)
    pages: tuple[Page, ...] = ()
    anchors: tuple[tuple[int, str], ...] = ()  # (offset of a heading line, the heading's id)
