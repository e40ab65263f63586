"""Read the corpus folder into Documents: title, `Key: value` header metadata and text.

Reads .txt and .md files recursively and .jsonl files of BEIR records {"_id", "title", "text"}.
A file that can't be used is skipped with one warning line; the rest of the corpus still loads.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from index.models import Document

TEXT_SUFFIXES = (".txt", ".md")
MAX_FILE_BYTES = 20 * 1024 * 1024

# "Key: value" with a Title Case key and a value that is no sentence ("The result: it fell.").
_HEADER_LINE = re.compile(r"([A-Z][\w-]*(?: [A-Z][\w-]*){0,2}):[ \t]+(\S.*?[^.!?])")
_INNER_KEY = re.compile(r"\s([A-Z][a-z]+):\s+")
_MD_HEADING = re.compile(r"#{1,6}\s+(.+?)\s*#*\s*$")


@dataclass(frozen=True)
class CorpusFile:
    """One file of the corpus, with the checksum that decides whether to re-embed it."""

    rel_path: str
    path: Path
    sha256: str
    size: int


def list_corpus(corpus_dir: Path) -> tuple[list[CorpusFile], list[str]]:
    """Usable files under corpus_dir (sorted) and one warning per file that was skipped."""
    files: list[CorpusFile] = []
    warnings: list[str] = []
    if corpus_dir.is_file():  # a single file works as a corpus too, e.g. a BEIR corpus.jsonl
        corpus_dir, paths = corpus_dir.parent, [corpus_dir]
    else:
        paths = sorted(corpus_dir.rglob("*"))
    root = corpus_dir.resolve()
    for path in paths:
        if path.suffix.lower() not in (*TEXT_SUFFIXES, ".jsonl") or path.is_dir():
            continue
        rel = path.relative_to(corpus_dir).as_posix()
        problem = _problem_with(path, root)
        if problem:
            warnings.append(f"skipped {rel}: {problem}")
            continue
        data = path.read_bytes()
        files.append(CorpusFile(rel, path, hashlib.sha256(data).hexdigest(), len(data)))
    return files, warnings


def _problem_with(path: Path, root: Path) -> str | None:
    try:
        resolved = path.resolve()
        if not resolved.is_relative_to(root):
            return "it links outside the corpus folder"
        if not resolved.is_file():
            return "it is not a regular file"
        size = resolved.stat().st_size
        if size == 0:
            return "it is empty"
        if size > MAX_FILE_BYTES:
            return f"it is over {MAX_FILE_BYTES // (1024 * 1024)} MB ({size / 1e6:.1f} MB)"
        data = resolved.read_bytes()
    except OSError as error:
        return f"it can't be read ({error.strerror or error})"
    if b"\0" in data[:8192]:
        return "it looks binary"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        return f"it is not UTF-8 (bad byte at offset {error.start})"
    if not text.strip():
        return "it holds only white space"
    return None


def read_documents(file: CorpusFile) -> tuple[list[Document], list[str]]:
    """The documents in one file (many for .jsonl) and warnings for unusable records."""
    text = file.path.read_text(encoding="utf-8")
    if file.path.suffix.lower() == ".jsonl":
        return _read_jsonl(text, file.rel_path)
    return [with_recorded_url(parse_text_document(file.rel_path, text), file)], []


RECORDS = ".documents.json"  # written by index/intake.py beside the documents it added


def with_recorded_url(document: Document, file: CorpusFile) -> Document:
    """A document fetched from a URL keeps that URL as its citation link (meta "url")."""
    root = file.path
    for _ in file.rel_path.split("/"):
        root = root.parent
    url = _recorded_urls(root / RECORDS).get(file.rel_path)
    if not url:
        return document
    return replace(document, meta={**document.meta, "url": url})


def _recorded_urls(path: Path) -> dict[str, str]:
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return {}
    return _read_urls(path, stamp)


@lru_cache(maxsize=64)
def _read_urls(path: Path, stamp: int) -> dict[str, str]:
    try:
        records = json.loads(path.read_text(encoding="utf-8")).get("documents", [])
        return {str(r["stored"]): str(r["url"]) for r in records if r.get("url")}
    except (OSError, ValueError, AttributeError, KeyError, TypeError):
        return {}


def _read_jsonl(text: str, rel_path: str) -> tuple[list[Document], list[str]]:
    documents: list[Document] = []
    warnings: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            doc_id, body = str(record["_id"]), record["text"]
            if not isinstance(body, str) or not body.strip():
                raise ValueError("empty text")
        except (ValueError, KeyError, TypeError) as error:
            warnings.append(
                f"skipped {rel_path} line {number}: not a {{_id, text}} record ({error})"
            )
            continue
        title = str(record.get("title") or "").strip() or _first_line(body)
        meta = {"url": str(record["url"])} if record.get("url") else {}
        documents.append(Document(doc_id, title, body, meta, body_start=0))
    return documents, warnings


def parse_text_document(doc_id: str, text: str) -> Document:
    """Title from the first heading or line; leading `Key: value` lines become metadata."""
    lines = _lines_with_offsets(text)
    title, index = "", 0
    for index, (line, _) in enumerate(lines):  # noqa: B007 - index is used after the loop
        if line.strip():
            heading = _MD_HEADING.fullmatch(line.strip())
            title = heading.group(1) if heading else line.strip()
            break
    body_start, meta = _read_header(lines, index + 1, len(text))
    return Document(doc_id, title, text, meta, body_start)


def _read_header(lines: list[tuple[str, int]], first: int, text_len: int) -> tuple[int, dict]:
    meta: dict[str, str] = {}
    body_start = lines[first][1] if first < len(lines) else text_len
    for line, offset in lines[first:]:
        stripped = line.strip()
        if not stripped:
            continue
        match = _HEADER_LINE.fullmatch(stripped)
        if not match or len(stripped) > 200:
            break
        meta.update(_split_header(match.group(1), match.group(2)))
        body_start = offset + len(line)
    return body_start, meta


def _split_header(key: str, value: str) -> dict[str, str]:
    """'Publication: Eurasia Daily Monitor Volume: 21 Issue: 117' holds three pairs."""
    pairs: dict[str, str] = {}
    pieces = _INNER_KEY.split(" " + value)
    pairs[key] = pieces[0].strip()
    for inner_key, inner_value in zip(pieces[1::2], pieces[2::2], strict=False):
        pairs[inner_key] = inner_value.strip()
    return {k: v for k, v in pairs.items() if v}


def _lines_with_offsets(text: str) -> list[tuple[str, int]]:
    lines, offset = [], 0
    for line in text.splitlines(keepends=True):
        lines.append((line, offset))
        offset += len(line)
    return lines


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")[:120]
