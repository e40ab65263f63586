"""The chunk table (SQLite): its schema, and the codec between rows and Chunk values."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np

from index.models import Chunk, DocumentInfo, Sentence, Source

SCHEMA = """
CREATE TABLE chunks (row INTEGER PRIMARY KEY, chunk_id TEXT UNIQUE NOT NULL, file TEXT NOT NULL,
    doc TEXT NOT NULL, title TEXT NOT NULL, heading TEXT, paragraph INTEGER NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL, sentences TEXT NOT NULL,
    first_sentence INTEGER NOT NULL, page INTEGER, page_label TEXT, section TEXT, anchor TEXT,
    embedding_key TEXT NOT NULL);
CREATE TABLE documents (doc TEXT PRIMARY KEY, file TEXT NOT NULL, title TEXT NOT NULL,
    meta TEXT NOT NULL, chunks INTEGER NOT NULL, text TEXT NOT NULL);
CREATE INDEX chunks_by_doc ON chunks (doc, paragraph);
CREATE INDEX chunks_by_file ON chunks (file, row);
CREATE INDEX chunks_by_key ON chunks (embedding_key);
CREATE INDEX documents_by_file ON documents (file);
"""


KEY_BATCH = 10_000  # keys per query, well under SQLite's limit of bound parameters


SELECT = (
    'SELECT row, chunk_id, doc, title, heading, paragraph, start, "end", text, sentences,'
    " page, page_label, section, anchor FROM chunks"
)


def chunk_from_row(row: tuple) -> Chunk:
    _, chunk_id, doc, title, heading, paragraph, start, end, text, sentences, *place = row
    return Chunk(
        chunk_id,
        doc,
        title,
        heading,
        paragraph,
        start,
        end,
        text,
        decode_sentences(sentences),
        *place,
    )


def encode_sentences(sentences: tuple[Sentence, ...]) -> str:
    return json.dumps([[s.start, s.end, [[x.name, x.date] for x in s.sources]] for s in sentences])


def decode_sentences(data: str) -> tuple[Sentence, ...]:
    return tuple(
        Sentence(start, end, tuple(Source(name, date) for name, date in sources))
        for start, end, sources in json.loads(data)
    )


def write_table(
    path: Path,
    chunks: list[tuple[str, Chunk]],
    documents: list[tuple[str, DocumentInfo, str]],
    keys: list[str],
) -> None:
    db = sqlite3.connect(path)
    try:
        db.executescript(SCHEMA)
        firsts = np.cumsum([0] + [len(c.sentences) for _, c in chunks]).tolist()
        db.executemany(
            "INSERT INTO chunks VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                (
                    row,
                    c.chunk_id,
                    file,
                    c.doc_id,
                    c.title,
                    c.heading,
                    c.paragraph,
                    c.start,
                    c.end,
                    c.text,
                    encode_sentences(c.sentences),
                    firsts[row],
                    c.page,
                    c.page_label,
                    c.section,
                    c.anchor,
                    keys[row],
                )
                for row, (file, c) in enumerate(chunks)
            ),
        )
        db.executemany(
            "INSERT INTO documents VALUES (?,?,?,?,?,?)",
            (
                (d.doc, file, d.title, json.dumps(d.meta, ensure_ascii=False), d.chunks, text)
                for file, d, text in documents
            ),
        )
        db.commit()
    finally:
        db.close()
