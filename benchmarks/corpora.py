"""Corpus tiers of about 1k, 10k and 100k chunks, made from real text available offline.

- SciFact abstracts (`/work/shared/bench/scifact/corpus.jsonl`, 5,183 documents, 9,281 of our
  chunks), written as small .jsonl files in their original order;
- then the plain-text documentation of Python's standard library (`pydoc.render_doc`), one .txt
  per module;
- then Debian's text documentation under /usr/share/doc (READMEs, changelogs, copyright notes),
  files up to 64 kB.

A tier takes documents from these sources in that order until it reaches its chunk count, as our
chunker counts chunks. Tiers are written once under benchmarks/.cache/corpora/.
"""

from __future__ import annotations

import gzip
import json
import pydoc
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from benchmarks.cache import CACHE_DIR
from index.build.chunk import chunk_document
from index.build.ingest import list_corpus, read_documents

SCIFACT = Path("/work/shared/bench/scifact")
TIERS = {"smoke": 50, "1k": 1_000, "10k": 9_281, "100k": 100_000}  # 10k: all of SciFact
DEBIAN_MAX_BYTES = 64_000  # set when chunking was quadratic in file size; kept so tiers stay put
SKIP_MODULES = {"antigravity", "this", "idlelib", "tkinter", "turtle", "turtledemo", "__hello__"}


@dataclass(frozen=True)
class Tier:
    name: str
    folder: Path
    files: int
    documents: int
    chunks: int
    megabytes: float


def make_tier(name: str, docs_per_file: int = 5) -> Tier:
    """Write the tier's corpus folder (once) and describe it."""
    folder = CACHE_DIR / "corpora" / name
    stats = folder / "tier.json"
    if not stats.exists():
        _write_tier(folder, TIERS[name], 1 if name in ("smoke", "1k") else docs_per_file)
    return Tier(name, folder, **json.loads(stats.read_text()))


def _write_tier(folder: Path, target: int, docs_per_file: int) -> None:
    files = documents = chunks = size = 0
    for file_name, content in _units(docs_per_file):
        path = folder / file_name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        found, _ = list_corpus(path)
        if not found:
            path.unlink()
            continue
        docs, _ = read_documents(found[0])
        files, documents, size = files + 1, documents + len(docs), size + len(content.encode())
        chunks += sum(len(chunk_document(d)) for d in docs)
        if chunks >= target:
            break
    stats = {"files": files, "documents": documents, "chunks": chunks, "megabytes": size / 1e6}
    (folder / "tier.json").write_text(json.dumps(stats))


def _units(docs_per_file: int) -> Iterator[tuple[str, str]]:
    lines = (SCIFACT / "corpus.jsonl").read_text().splitlines()
    for start in range(0, len(lines), docs_per_file):
        yield f"scifact/{start:05d}.jsonl", "\n".join(lines[start : start + docs_per_file]) + "\n"
    yield from _stdlib_docs()
    yield from _debian_docs()


def _stdlib_docs() -> Iterator[tuple[str, str]]:
    names = sorted(n for n in sys.stdlib_module_names if not n.startswith("_"))
    for name in names:
        if name in SKIP_MODULES:
            continue
        try:
            text = pydoc.render_doc(name, renderer=pydoc.plaintext)
        except (Exception, SystemExit):  # missing on this platform, or failing on import
            continue
        yield f"pydoc/{name}.txt", text


def _debian_docs() -> Iterator[tuple[str, str]]:
    for path in sorted(Path("/usr/share/doc").rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        try:
            raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
            text = raw.decode("utf-8") if len(raw) <= DEBIAN_MAX_BYTES else ""
        except (OSError, UnicodeDecodeError, gzip.BadGzipFile):
            continue
        wanted = path.suffix in (".gz", ".txt", ".md") or path.name in ("copyright", "README")
        if text and wanted:
            rel = path.relative_to("/usr/share/doc").as_posix().removesuffix(".gz")
            yield f"debian/{rel.replace('/', '__')}.txt", text
