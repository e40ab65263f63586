"""Extraction in a worker process, bounded per file in time and memory.

A parser that hangs or eats memory must not stall a build or take the bot down: each file is
extracted in a separate process (started once, reused) with an address-space limit, and a file
that takes longer than the time limit gets its worker killed and is skipped with a warning.
"""

from __future__ import annotations

import multiprocessing
import resource
from multiprocessing.connection import Connection

from index.formats import Extracted, ExtractError, extract

SECONDS = 60.0  # per file
MEMORY_BYTES = 2 * 1024**3  # the worker's address space


def _serve(connection: Connection, memory_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    while True:
        request = connection.recv()
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
        connection.send(reply)


class Sandbox:
    """Extracts files in one worker process at a time; use it as a context manager."""

    def __init__(self, seconds: float = SECONDS, memory_bytes: int = MEMORY_BYTES):
        self.seconds = seconds
        self.memory_bytes = memory_bytes
        self._process: multiprocessing.process.BaseProcess | None = None
        self._connection: Connection | None = None

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def extract(self, kind: str, data: bytes) -> Extracted:
        """The file's extracted text; ExtractError with a one-line reason when it can't be."""
        connection = self._start()
        connection.send((kind, data))
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
        if self._process is None or not self._process.is_alive():
            # spawn, not fork: the builder may hold torch's threads and a loaded model.
            context = multiprocessing.get_context("spawn")
            parent, child = context.Pipe()
            self._process = context.Process(
                target=_serve, args=(child, self.memory_bytes), daemon=True
            )
            self._process.start()
            child.close()
            self._connection = parent
        assert self._connection is not None
        return self._connection

    def _kill(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.join()
        if self._connection is not None:
            self._connection.close()
        self._process = self._connection = None

    def close(self) -> None:
        if self._process is not None and self._process.is_alive():
            try:
                assert self._connection is not None
                self._connection.send(None)
                self._process.join(timeout=5)
            except OSError:
                pass
        self._kill()
