"""Object storage for documents and builds (QABOT_STORAGE_URL=s3://bucket/prefix).

Two implementations of one small interface: S3Blobs talks to any S3-compatible store (AWS S3,
Cloudflare R2, MinIO, SeaweedFS) through boto3, which reads the endpoint and keys from the usual
AWS variables (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION);
FolderBlobs keeps the same keys as files under a folder, for tests and a shared disk. Keys are
plain relative paths ("collections/guild/1/documents/<sha256>"). A store that can't be reached
raises StorageUnavailable; a key that isn't there raises BlobMissing.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from index.errors import QabotError

log = logging.getLogger("qabot.storage")


class StorageUnavailable(QabotError):
    """The object store can't be reached, or refused the request; the message says which."""


class BlobMissing(QabotError):
    """No object under that key."""


class Blobs(Protocol):
    where: str  # for messages: s3://bucket/prefix or the folder

    def put(self, key: str, source: Path) -> None: ...
    def get(self, key: str, target: Path) -> None: ...
    def keys(self, prefix: str) -> list[str]: ...
    def delete(self, keys: list[str]) -> None: ...


def open_blobs(storage_url: str) -> Blobs | None:
    """The store QABOT_STORAGE_URL names, or None when documents stay on this machine only."""
    if not storage_url:
        return None
    parts = urlsplit(storage_url)
    return S3Blobs(parts.netloc, parts.path.strip("/"))


def _write_atomically(target: Path, write) -> None:
    """Call write(handle) on a temporary file beside target, then rename it into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class FolderBlobs:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.where = str(self.root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"a blob key can't leave the store: {key!r}")
        return path

    def put(self, key: str, source: Path) -> None:
        with source.open("rb") as data:
            _write_atomically(self._path(key), lambda out: shutil.copyfileobj(data, out))

    def get(self, key: str, target: Path) -> None:
        try:
            with self._path(key).open("rb") as data:
                _write_atomically(target, lambda out: shutil.copyfileobj(data, out))
        except FileNotFoundError:
            raise BlobMissing(f"no {key} in {self.where}") from None

    def keys(self, prefix: str) -> list[str]:
        base = self.root.resolve()
        return sorted(
            p.relative_to(base).as_posix()
            for p in base.rglob("*")
            if p.is_file() and p.relative_to(base).as_posix().startswith(prefix)
        )

    def delete(self, keys: list[str]) -> None:
        for key in keys:
            self._path(key).unlink(missing_ok=True)


class S3Blobs:
    """A bucket and a prefix in an S3-compatible store."""

    def __init__(self, bucket: str, prefix: str) -> None:
        import boto3
        from botocore.config import Config

        self.bucket, self.prefix = bucket, prefix
        self.where = f"s3://{bucket}/{prefix}".rstrip("/")
        config = Config(connect_timeout=5, read_timeout=60, retries={"max_attempts": 3})
        self._client = boto3.client("s3", config=config)

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, source: Path) -> None:
        with self._errors(key):
            self._client.upload_file(str(source), self.bucket, self._key(key))

    def get(self, key: str, target: Path) -> None:
        with self._errors(key):
            body = self._client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"]
            _write_atomically(target, lambda out: shutil.copyfileobj(body, out, 1 << 20))

    def keys(self, prefix: str) -> list[str]:
        found: list[str] = []
        strip = len(self._key(""))
        with self._errors(prefix):
            pages = self._client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self._key(prefix)
            )
            for page in pages:
                found += [item["Key"][strip:] for item in page.get("Contents", ())]
        return sorted(found)

    def delete(self, keys: list[str]) -> None:
        for first in range(0, len(keys), 1000):  # S3 deletes at most 1,000 keys a request
            batch = [{"Key": self._key(k)} for k in keys[first : first + 1000]]
            with self._errors(keys[first]):
                self._client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch})

    def _errors(self, key: str):
        return _S3Errors(self.where, key)


class _S3Errors:
    """Turns boto3's errors into StorageUnavailable / BlobMissing with one clear line."""

    def __init__(self, where: str, key: str) -> None:
        self.where, self.key = where, key

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, error, traceback) -> bool:
        if error is None:
            return False
        from boto3.exceptions import S3UploadFailedError
        from botocore.exceptions import BotoCoreError, ClientError

        if isinstance(error, ClientError):
            code = error.response.get("Error", {}).get("Code", "")
            if code in ("NoSuchKey", "404", "NotFound"):
                raise BlobMissing(f"no {self.key} in {self.where}") from None
            raise StorageUnavailable(
                f"the object store {self.where} refused the request ({code or error})"
            ) from None
        if isinstance(error, BotoCoreError | S3UploadFailedError | ConnectionError):
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise StorageUnavailable(
                f"the object store {self.where} can't be reached ({reason})"
            ) from None
        return False
