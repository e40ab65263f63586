"""What exactly gets embedded for a chunk, and the content hash a vector is reused by."""

from __future__ import annotations

import hashlib

from index.build.chunk import embedding_prefix
from index.models import Chunk


def search_text(chunk: Chunk) -> str:
    """What is embedded and BM25-indexed for a chunk: its title and heading give it context,
    cut to a quarter of the model's window so a long title can't crowd the text out of it."""
    return "\n".join(
        part for part in (embedding_prefix(chunk.title, chunk.heading), chunk.text) if part
    )


def sentence_spans(chunk: Chunk) -> list[tuple[int, int]]:
    """Where the chunk's sentences sit inside its search_text (which ends with the chunk text)."""
    shift = len(search_text(chunk)) - len(chunk.text) - chunk.start
    return [(s.start + shift, s.end + shift) for s in chunk.sentences]


def embedding_key(model_sha256: str, text: str, spans: list[tuple[int, int]]) -> str:
    """A hash of exactly what is embedded: the model, the text and the sentence spans pooled."""
    spans_text = ",".join(f"{a}-{b}" for a, b in spans)
    return hashlib.sha256(f"{model_sha256}\0{text}\0{spans_text}".encode()).hexdigest()
