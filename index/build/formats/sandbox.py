"""Extraction in a worker process, bounded per file in time and memory.

A parser that hangs or eats memory must not stall a build or take the bot down: each file is
extracted in a separate process (started once, reused) with an address-space limit, and a file
that takes longer than the time limit gets its worker killed and is skipped with a warning.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from multiprocessing.connection import Connection

from index.build.formats import Extracted, ExtractError, extract

SECONDS = 60.0  # per file
MEMORY_BYTES = 2 * 1024**3  # the worker's address space


def _serve(requests: Connection, replies: Connection, memory_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    while True:
        try:
            request = requests.recv()
        except EOFError:
            return
        if request is None:
            return
        kind, data = request
        try:
            reply: tuple[str, object] = ("ok", extract(kind, data))
        except ExtractError as error:
            reply = ("error", str(error))
        except MemoryError:
            reply = ("error", f"reading it needs over {memory_bytes // 1024**2} MB of memory")
        except Exception as error:  # a parser's bug on one odd file must not end the build
            reply = ("error", f"its reader failed ({type(error).__name__}: {error})"[:200])
        replies.send(reply)


class Sandbox:
    """Extracts files in one worker process at a time; use it as a context manager."""

    def __init__(self, seconds: float = SECONDS, memory_bytes: int = MEMORY_BYTES):
        self.seconds = seconds
        self.memory_bytes = memory_bytes
        self._process: subprocess.Popen | None = None
        self._connection: Connection | None = None  # replies
        self._sending: Connection | None = None  # requests

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def extract(self, kind: str, data: bytes) -> Extracted:
        """The file's extracted text; ExtractError with a one-line reason when it can't be."""
        connection = self._start()
        try:
            self._sending.send((kind, data))
        except OSError:  # the worker died since the last file
            self._kill()
            connection = self._start()
            self._sending.send((kind, data))
        if not connection.poll(self.seconds):
            self._kill()
            raise ExtractError(f"reading it took over {self.seconds:g} s")
        try:
            status, value = connection.recv()
        except (EOFError, OSError):
            self._kill()
            limit = self.memory_bytes // 1024**2
            raise ExtractError(
                f"its reader crashed (out of memory? the limit is {limit} MB)"
            ) from None
        if status == "error":
            raise ExtractError(str(value))
        return value  # type: ignore[return-value]

    def _start(self) -> Connection:
        """The worker: a fresh interpreter (no fork of a process holding torch's threads),
        talking over two pipes."""
        if self._process is None or self._process.poll() is not None:
            from_parent, to_worker = os.pipe()
            from_worker, to_parent = os.pipe()
            self._process = subprocess.Popen(
                [sys.executable, "-m", __name__, str(from_parent), str(to_parent)]
                + [str(self.memory_bytes)],
                pass_fds=(from_parent, to_parent),
                stdin=subprocess.DEVNULL,
            )
            os.close(from_parent)
            os.close(to_parent)
            self._sending = Connection(to_worker, readable=False)
            self._connection = Connection(from_worker, writable=False)
        assert self._connection is not None
        return self._connection

    def _kill(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait()
        for connection in (self._connection, self._sending):
            if connection is not None:
                connection.close()
        self._process = self._connection = self._sending = None

    def close(self) -> None:
        if self._process is not None and self._process.poll() is None:
            try:
                assert self._sending is not None
                self._sending.send(None)
                self._process.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self._kill()


if __name__ == "__main__":
    _serve(
        Connection(int(sys.argv[1]), writable=False),
        Connection(int(sys.argv[2]), readable=False),
        int(sys.argv[3]),
    )
