"""Read the corpus folder into Documents: title, metadata, text, and pages or heading anchors.

Reads, recursively, .txt and .md files, .jsonl files of BEIR records {"_id", "title", "text"},
PDFs, saved web pages (.html, .htm) and Word files (.docx). For the last three the extracted text
(index/formats) is the document's text, and it is stored with the index. Each file is read once:
`list_corpus` only looks at the folder, and the build reads each file's bytes one time, hashes
them and extracts from them. A file that can't be used is skipped with one warning line; the
rest of the corpus still loads.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from index.build.formats import BINARY, HTML, PDF, TEXT, ZIP, ExtractError, sniff
from index.build.formats.sandbox import Sandbox
from index.models import Document

# The format of each suffix, and what its first bytes may be.
FORMATS = {
    ".txt": "text",
    ".md": "markdown",
    ".jsonl": "jsonl",
    ".pdf": "pdf",
    ".html": "html",
    ".htm": "html",
    ".docx": "docx",
}
_EXPECTED = {"pdf": {PDF}, "docx": {ZIP}, "html": {HTML, TEXT}}  # else: TEXT or HTML
MAX_FILE_BYTES = 20 * 1024 * 1024  # text, Markdown and .jsonl
MAX_BINARY_BYTES = 100 * 1024 * 1024  # PDF, Word and web pages
SECTIONED = ("markdown", "html", "docx")  # formats whose citations give a heading path

# "Key: value" with a Title Case key and a value that is no sentence ("The result: it fell.").
_HEADER_LINE = re.compile(r"([A-Z][\w-]*(?: [A-Z][\w-]*){0,2}):[ \t]+(\S.*?[^.!?])")
_INNER_KEY = re.compile(r"\s([A-Z][a-z]+):\s+")
_MD_HEADING = re.compile(r"#{1,6}\s+(.+?)\s*#*\s*$")


@dataclass(frozen=True)
class CorpusFile:
    """One file of the corpus as listed; its bytes are read once, by the build."""

    rel_path: str
    path: Path
    size: int

    @property
    def format(self) -> str:
        return FORMATS[self.path.suffix.lower()]


def list_corpus(corpus_dir: Path) -> tuple[list[CorpusFile], list[str]]:
    """Files of a known format under corpus_dir (sorted), and one warning per file that can't be
    used whatever it holds (a link out of the folder, empty, too large)."""
    files: list[CorpusFile] = []
    warnings: list[str] = []
    if corpus_dir.is_file():  # a single file works as a corpus too, e.g. a BEIR corpus.jsonl
        corpus_dir, paths = corpus_dir.parent, [corpus_dir]
    else:
        paths = sorted(corpus_dir.rglob("*"))
    root = corpus_dir.resolve()
    for path in paths:
        if path.suffix.lower() not in FORMATS or path.is_dir():
            continue
        rel = path.relative_to(corpus_dir).as_posix()
        size, problem = _look_at(path, root)
        if problem:
            warnings.append(f"skipped {rel}: {problem}")
            continue
        files.append(CorpusFile(rel, path, size))
    return files, warnings


def _look_at(path: Path, root: Path) -> tuple[int, str | None]:
    try:
        resolved = path.resolve()
        if not resolved.is_relative_to(root):
            return 0, "it links outside the corpus folder"
        if not resolved.is_file():
            return 0, "it is not a regular file"
        size = resolved.stat().st_size
    except OSError as error:
        return 0, f"it can't be read ({error.strerror or error})"
    limit = MAX_FILE_BYTES if FORMATS[path.suffix.lower()] in _TEXT_FORMATS else MAX_BINARY_BYTES
    if size == 0:
        return size, "it is empty"
    if size > limit:
        return size, f"it is over {limit // (1024 * 1024)} MB ({size / 1e6:.1f} MB)"
    return size, None


_TEXT_FORMATS = ("text", "markdown", "jsonl")


def read_bytes(file: CorpusFile) -> tuple[bytes, str]:
    """The file's bytes and their sha256: the one read of a file in a build. Raises OSError."""
    data = file.path.read_bytes()
    return data, hashlib.sha256(data).hexdigest()


def corpus_hashes(corpus_dir: Path) -> dict[str, str]:
    """The sha256 of each corpus file that can be read, as a build would record it."""
    hashes = {}
    for file in list_corpus(corpus_dir)[0]:
        try:
            hashes[file.rel_path] = read_bytes(file)[1]
        except OSError:
            continue
    return hashes


def content_problem(file: CorpusFile, data: bytes) -> str | None:
    """Why the bytes can't be a file of its format (its extension lies, not UTF-8...), or None."""
    found = sniff(data)
    expected = _EXPECTED.get(file.format, {TEXT, HTML})
    if found not in expected:
        if found == BINARY and file.format in _TEXT_FORMATS:
            return "it looks binary"
        return f"it is named {file.path.suffix} but holds {found}"
    if file.format not in _TEXT_FORMATS:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        return f"it is not UTF-8 (bad byte at offset {error.start})"
    if not text.strip():
        return "it holds only white space"
    return None


def read_documents(
    file: CorpusFile, data: bytes | None = None, sandbox: Sandbox | None = None
) -> tuple[list[Document], list[str]]:
    """The documents in one file (many for .jsonl) and one warning per unusable file or record.

    PDF, HTML and Word files are extracted in the sandbox (one is started if none is given)."""
    if data is None:
        data = file.path.read_bytes()
    problem = content_problem(file, data)
    if problem:
        return [], [f"skipped {file.rel_path}: {problem}"]
    if file.format == "jsonl":
        return _read_jsonl(data.decode("utf-8"), file.rel_path)
    if file.format in _TEXT_FORMATS:
        document = parse_text_document(file.rel_path, data.decode("utf-8"))
        return [with_recorded_url(_with_format(document, file.format), file)], []
    try:
        if sandbox is None:
            with Sandbox() as own:
                extracted = own.extract(file.format, data)
        else:
            extracted = sandbox.extract(file.format, data)
    except ExtractError as error:
        return [], [f"skipped {file.rel_path}: {error}"]
    document = Document(
        file.rel_path,
        extracted.title,
        extracted.text,
        extracted.meta,
        _after_title(extracted.text, extracted.title),
        format=file.format,
        pages=extracted.pages,
        anchors=extracted.anchors,
    )
    return [with_recorded_url(document, file)], []


def _with_format(document: Document, format: str) -> Document:
    return Document(
        document.doc_id, document.title, document.text, document.meta, document.body_start, format
    )


def _after_title(text: str, title: str) -> int:
    """Where the body starts: after a first heading that is the title, else at the start."""
    first, _, _ = text.partition("\n\n")
    heading = _MD_HEADING.fullmatch(first.strip())
    if heading and heading.group(1) == title:
        return min(len(first) + 2, len(text))
    return 0


RECORDS = ".documents.json"  # written by index/library/intake.py beside the documents it added


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
