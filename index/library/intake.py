"""Taking a document into a collection: check it, name it safely, record where it came from.

An upload or a fetched page is checked in memory first: its name (no path, no control
characters), its size (not empty, at most MAX_UPLOAD_BYTES), its format (a suffix the engine
reads, and first bytes that agree with it, by index/formats' sniffer: an executable renamed
.pdf is refused). Only then is
it written, under a sanitised name, by a temporary file renamed into place. The original name
(or the URL) is kept in the collection's documents.json for display, and the URL also becomes
the document's citation link. A refusal raises IntakeError and leaves nothing on disk.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from index.build.ingest import FORMATS, MAX_FILE_BYTES, CorpusFile, read_documents
from index.errors import QabotError
from index.library.fetch import Fetched
from index.library.layout import CollectionPaths, listing, read_records, write_records
from index.models import DocumentRecord

MAX_UPLOAD_BYTES = 25 * 1024 * 1024
MAX_NAME_CHARS = 200
READABLE = tuple(s for s in FORMATS if s != ".jsonl")  # uploads are documents, not sets
_TEXT = (".txt", ".md")
_SLUG = re.compile(r"[^a-z0-9]+")


class IntakeError(QabotError):
    """A document that can't be taken in; the message says why, in one line."""


# ---- checks -----------------------------------------------------------------------------


def check_name(original: str) -> str:
    """The uploaded name, refused when it holds a path or control characters."""
    if not original or not original.strip():
        raise IntakeError("the file has no name")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in original):
        raise IntakeError("the file name contains control characters")
    if "/" in original or "\\" in original or original.strip() in (".", ".."):
        raise IntakeError("the file name contains a path; upload the file under its own name")
    if len(original) > MAX_NAME_CHARS:
        raise IntakeError(f"the file name is over {MAX_NAME_CHARS} characters")
    return original.strip()


def suffix_of(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix not in READABLE:
        raise IntakeError(
            f"I can't read {suffix or 'files without a suffix'}; I read {', '.join(READABLE)}"
        )
    return suffix


def check_size(data: bytes, name: str, max_bytes: int = MAX_UPLOAD_BYTES) -> None:
    """Refuse an empty or oversized file."""
    if not data:
        raise IntakeError("the file is empty")
    if len(data) > max_bytes:
        raise IntakeError(
            f"the file is over the {max_bytes // (1024 * 1024)} MB limit ({len(data) / 1e6:.1f} MB)"
        )


def check_content(data: bytes, suffix: str, max_bytes: int = MAX_UPLOAD_BYTES) -> None:
    """Refuse a file the engine would skip: first bytes that contradict its suffix (the formats
    sniffer), text that is not UTF-8, a PDF, page or Word file that can't be extracted."""
    check_size(data, suffix, max_bytes)
    if suffix in _TEXT and len(data) > MAX_FILE_BYTES:
        raise IntakeError(f"a {suffix} file can be at most {MAX_FILE_BYTES // 2**20} MB")
    name = f"upload{suffix}"
    documents, warnings = read_documents(CorpusFile(name, Path(name), len(data)), data)
    if not documents:
        reason = warnings[0].removeprefix(f"skipped {name}: ") if warnings else "it holds no text"
        raise IntakeError(f"the file can't be added: {reason}")


def stored_name(original: str, suffix: str, taken: set[str]) -> str:
    """A plain ASCII name for the corpus folder: 'Règles (v2).md' -> 'regles-v2.md'."""
    stem = (
        Path(original).stem
        if not original.startswith(("http://", "https://"))
        else _url_stem(original)
    )
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    slug = _SLUG.sub("-", ascii_stem.lower()).strip("-")[:60] or "document"
    name, n = f"{slug}{suffix}", 2
    while name in taken:
        name, n = f"{slug}-{n}{suffix}", n + 1
    return name


def _url_stem(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname or ''} {parts.path} {parts.query}"


# ---- the collection's records ----------------------------------------------------------


# ---- changes ---------------------------------------------------------------------------


def add(
    paths: CollectionPaths,
    original: str,
    data: bytes,
    *,
    url: str = "",
    suffix: str = "",
    etag: str = "",
    last_modified: str = "",
) -> DocumentRecord:
    """Check and store one document; the caller holds the collection's change lock."""
    if url:
        original, suffix = url, suffix or suffix_of(urlsplit(url).path or ".txt")
    else:
        original = check_name(original)
        check_size(data, original)
        suffix = suffix_of(original)
    check_content(data, suffix)
    records = read_records(paths)
    digest = hashlib.sha256(data).hexdigest()
    same = next((r for r in records if url and r.url == url), None)
    existing = {p.name for p in paths.corpus_dir.iterdir()} if paths.corpus_dir.exists() else set()
    name = same.stored if same else stored_name(original, suffix, existing)
    record = DocumentRecord(name, original, url, digest, etag, last_modified, _now())
    _write_file(paths.corpus_dir / name, data)
    write_records(paths, [r for r in records if r.stored != name] + [record])
    return record


def add_fetched(paths: CollectionPaths, got: Fetched) -> DocumentRecord:
    """Store a fetched page or file, its URL kept as the citation link."""
    return add(
        paths,
        "",
        got.data,
        url=got.url,
        suffix=got.suffix,
        etag=got.etag,
        last_modified=got.last_modified,
    )


def replace_content(
    paths: CollectionPaths, record: DocumentRecord, data: bytes, etag: str, last_modified: str
) -> DocumentRecord | None:
    """A refreshed URL document: rewritten when its content changed, else None (unchanged)."""
    suffix = Path(record.stored).suffix
    check_content(data, suffix)
    digest = hashlib.sha256(data).hexdigest()
    records = read_records(paths)
    if digest == record.sha256 and (paths.corpus_dir / record.stored).exists():
        kept = replace(record, etag=etag or record.etag, last_modified=last_modified)
        write_records(paths, [kept if r.stored == record.stored else r for r in records])
        return None
    updated = replace(
        record, sha256=digest, etag=etag, last_modified=last_modified, added_at=_now()
    )
    _write_file(paths.corpus_dir / record.stored, data)
    write_records(paths, [updated if r.stored == record.stored else r for r in records])
    return updated


def remove(paths: CollectionPaths, stored: str) -> DocumentRecord:
    """Remove a document by its stored name; raises IntakeError when there is none."""
    found = next((r for r in listing(paths) if r.stored == stored), None)
    target = (paths.corpus_dir / stored).resolve()
    if found is None or not target.is_relative_to(paths.corpus_dir.resolve()):
        raise IntakeError(f"this collection has no document {stored[:100]!r}")
    target.unlink(missing_ok=True)
    write_records(paths, [r for r in read_records(paths) if r.stored != stored])
    return found


def _write_file(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# ---- refreshing URL documents ----------------------------------------------------------


@dataclass(frozen=True)
class Refreshed:
    changed: tuple[DocumentRecord, ...]
    unchanged: tuple[DocumentRecord, ...]
    failed: tuple[tuple[DocumentRecord, str], ...]  # the document and why


async def refresh(paths: CollectionPaths, allow) -> Refreshed:
    """Fetch every URL document again (conditionally, with its ETag / Last-Modified) and
    rewrite those whose content changed; the caller holds the change lock and rebuilds."""
    import asyncio

    from index.library.fetch import FetchError, Unchanged, fetch

    changed, unchanged, failed = [], [], []
    for record in [r for r in read_records(paths) if r.url]:
        try:
            got = await fetch(
                record.url, allow, etag=record.etag, last_modified=record.last_modified
            )
            if isinstance(got, Unchanged):
                unchanged.append(record)
                continue
            updated = await asyncio.to_thread(
                replace_content, paths, record, got.data, got.etag, got.last_modified
            )
        except (FetchError, IntakeError) as error:
            failed.append((record, str(error)))
            continue
        (changed if updated else unchanged).append(updated or record)
    return Refreshed(tuple(changed), tuple(unchanged), tuple(failed))
