"""A collection shared by several workers: its documents and builds in object storage, its
registry and build pointer in the shared state.

    collections/<name>/documents/<sha256>          each document's bytes, by content
    collections/<name>/builds/<build>/<file>       each published build, manifest.json last

A worker's corpus and index folders are a local cache of those. `pull_documents` makes the corpus
folder what the registry says (under the collection's lock, before a change); `push_documents`
stores what a change left there (uploads first, then the registry, then stale blobs go).
`publish_build` uploads the live build and only then moves the collection's pointer to it, so a
worker killed mid-build or mid-upload leaves the previous build published. `fetch_build`
downloads the published build into the index folder, checks every file against the manifest's
checksums, and only then names it in CURRENT.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import replace
from pathlib import Path

from index.blobs import BlobMissing, Blobs
from index.errors import IndexCorrupt
from index.library.layout import CollectionPaths, listing, read_records, write_records
from index.state import State
from index.store.layout import (
    MANIFEST,
    check_files,
    live_folder,
    named_build,
    point_to,
    read_manifest_of,
    remove_old_builds,
    sha256,
)

log = logging.getLogger("qabot.library")
NO_BUILD = ""  # a pointer to no build: the collection has no documents any more


def documents_key(name: str, digest: str = "") -> str:
    return f"collections/{name}/documents/{digest}"


def builds_key(name: str, build: str = "") -> str:
    return f"collections/{name}/builds/" + (f"{build}/" if build else "")


# ---- documents ----------------------------------------------------------------------------


def pull_documents(state: State, blobs: Blobs | None, name: str, paths: CollectionPaths) -> None:
    """Make the corpus folder hold exactly the registry's documents (downloading what differs)."""
    records = state.records(name)
    corpus = paths.corpus_dir
    corpus.mkdir(parents=True, exist_ok=True)
    if blobs is not None:
        for record in records:
            local = corpus / record.stored
            if not (local.is_file() and sha256(local) == record.sha256):
                blobs.get(documents_key(name, record.sha256), local)
        wanted = {r.stored for r in records}
        for path in corpus.iterdir():
            if path.is_file() and not path.name.startswith(".") and path.name not in wanted:
                path.unlink()
    write_records(paths, records)


def push_documents(state: State, blobs: Blobs | None, name: str, paths: CollectionPaths) -> None:
    """Store the corpus folder's documents as the collection's: each one's bytes (once per
    content), then the registry; blobs no document names any more are deleted last."""
    records = [
        replace(record, sha256=sha256(paths.corpus_dir / record.stored))
        for record in listing(paths)
    ]
    if blobs is not None:
        stored = {key.rsplit("/", 1)[1] for key in blobs.keys(documents_key(name))}
        for record in records:
            if record.sha256 not in stored:
                blobs.put(documents_key(name, record.sha256), paths.corpus_dir / record.stored)
                stored.add(record.sha256)
    state.write_records(name, records)
    if records != read_records(paths):
        write_records(paths, records)
    if blobs is not None:
        stale = stored - {r.sha256 for r in records}
        blobs.delete([documents_key(name, digest) for digest in sorted(stale)])


# ---- builds -------------------------------------------------------------------------------


def publish_build(state: State, blobs: Blobs | None, name: str, index_dir: Path) -> str:
    """Upload the live build (manifest last), then point the collection at it; older uploads
    but the one before are deleted. Returns the build's name."""
    folder = live_folder(index_dir)
    if folder is None:
        raise IndexCorrupt(f"there is no build in {index_dir} to publish")
    build = folder.name
    if blobs is not None:
        files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST)
        for path in [*files, folder / MANIFEST]:
            blobs.put(builds_key(name, build) + path.relative_to(folder).as_posix(), path)
    previous = state.published(name)
    state.publish(name, build)
    if blobs is not None:
        keep = (builds_key(name, build), builds_key(name, previous or build))
        old = [k for k in blobs.keys(builds_key(name)) if not k.startswith(keep)]
        blobs.delete(old)
    return build


def unpublish(state: State, name: str) -> None:
    """The collection has no documents any more: no worker serves a build of it."""
    state.publish(name, NO_BUILD)


def fetch_build(blobs: Blobs | None, name: str, index_dir: Path, build: str) -> bool:
    """Make `build` the index folder's live build, downloading and checking it when it is not
    here yet. Returns False when it is neither here nor in object storage (no store)."""
    target = index_dir / build
    if not (target / MANIFEST).is_file():
        if blobs is None:
            return False
        _download(blobs, name, index_dir, build)
    if named_build(index_dir) != target:
        point_to(index_dir, build)
    remove_old_builds(index_dir, keep={build})
    return True


def _download(blobs: Blobs, name: str, index_dir: Path, build: str) -> None:
    prefix = builds_key(name, build)
    keys = blobs.keys(prefix)
    if prefix + MANIFEST not in keys:
        raise BlobMissing(f"the build {build} of {name} is not in {blobs.where}")
    partial = index_dir / f".download-{build}-{os.getpid()}"
    try:
        for key in keys:
            blobs.get(key, partial / key[len(prefix) :])
        check_files(partial, read_manifest_of(partial))  # IndexCorrupt on any damaged file
        try:
            partial.rename(index_dir / build)
        except OSError:
            if not (index_dir / build / MANIFEST).is_file():  # not another worker's download
                raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    log.info("downloaded build %s of %s from %s", build, name, blobs.where)
