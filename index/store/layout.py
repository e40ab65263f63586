"""The on-disk layout of an index folder: build folders, the CURRENT pointer, the manifest and
the checksums that loading verifies."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

from index.errors import REBUILD_HINT, IndexCorrupt, IndexMissing

FORMAT_VERSION = 2  # 2: document texts, page and section locators, embedding keys


POINTER = "CURRENT"


MANIFEST = "manifest.json"


VECTORS = "vectors.faiss"


TABLE = "chunks.sqlite"


SENTENCES = "sentences.npy"  # one float16 vector per sentence, in chunk order


BM25_DIR = "bm25"


def checksums(folder: Path) -> dict[str, str]:
    return {
        path.relative_to(folder).as_posix(): sha256(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != MANIFEST
    }


def sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())


def point_to(index_dir: Path, name: str) -> None:
    temporary = index_dir / f"{POINTER}.{os.getpid()}.tmp"
    try:
        temporary.write_text(name + "\n")
        with temporary.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, index_dir / POINTER)
    finally:
        temporary.unlink(missing_ok=True)


def remove_old_builds(index_dir: Path, keep: set[str]) -> None:
    """Drop superseded builds and leftovers of crashed ones; readers keep open files alive."""
    for path in index_dir.glob("build-*"):
        if path.name not in keep:
            shutil.rmtree(path, ignore_errors=True)


def live_folder(index_dir: Path) -> Path | None:
    """The build CURRENT names or, when CURRENT is missing or names no complete build, the newest
    complete one (a crash never causes that; a deleted or damaged file can). None if there is none.
    """
    return named_build(index_dir) or _newest_build(index_dir)


def named_build(index_dir: Path) -> Path | None:
    pointer = index_dir / POINTER
    if not pointer.is_file():
        return None
    try:
        name = pointer.read_text().strip()
    except (OSError, UnicodeDecodeError):
        return None
    return _complete(index_dir / name) if _is_build_name(name) else None


def _newest_build(index_dir: Path) -> Path | None:
    """Complete builds were renamed from .partial only after every file was synced."""
    builds = [
        folder
        for folder in index_dir.glob("build-*")
        if _is_build_name(folder.name) and _complete(folder)
    ]
    return max(builds, key=lambda folder: (folder / MANIFEST).stat().st_mtime_ns, default=None)


def _is_build_name(name: str) -> bool:
    return name.startswith("build-") and "/" not in name and not name.endswith(".partial")


def _complete(folder: Path) -> Path | None:
    return folder if (folder / MANIFEST).is_file() else None


def read_manifest(index_dir: Path) -> dict:
    folder = live_folder(index_dir)
    if folder is None:
        raise no_build(index_dir)
    return read_manifest_of(folder)


def no_build(index_dir: Path) -> Exception:
    pointer = index_dir / POINTER
    if pointer.exists():
        return IndexCorrupt(f"the index pointer {pointer} names no complete build; {REBUILD_HINT}")
    return IndexMissing(f"no index at {index_dir}: run `qabot index build` first")


def read_manifest_of(folder: Path) -> dict:
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError) as error:
        raise IndexCorrupt(
            f"the index manifest at {folder} is unreadable ({error}); {REBUILD_HINT}"
        ) from error
    if not isinstance(manifest, dict) or manifest.get("format_version") != FORMAT_VERSION:
        raise IndexCorrupt(f"the index at {folder} has an unknown format; {REBUILD_HINT}")
    if any(not isinstance(manifest.get(key), kind) for key, kind in _MANIFEST_FIELDS.items()):
        raise IndexCorrupt(f"the index manifest at {folder} is incomplete; {REBUILD_HINT}")
    return manifest


_MANIFEST_FIELDS = {
    "model": str,
    "model_sha256": str,
    "dim": int,
    "dtype": str,
    "built_at": str,
    "chunk_count": int,
    "document_count": int,
    "files": dict,
    "checksums": dict,
}


def check_files(folder: Path, manifest: dict) -> None:
    checksums = manifest.get("checksums")
    if not isinstance(checksums, dict) or not checksums:
        raise IndexCorrupt(f"the index manifest at {folder} lists no files; {REBUILD_HINT}")
    for name, expected in checksums.items():
        path = folder / name
        if not path.is_file():
            raise IndexCorrupt(f"the index file {path} is missing; {REBUILD_HINT}")
        if sha256(path) != expected:
            raise IndexCorrupt(
                f"the index file {path} is damaged (checksum mismatch); {REBUILD_HINT}"
            )
