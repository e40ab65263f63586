"""Run one index build at a time in a worker thread, relaying its progress to the event loop.

The engine keeps answering from the old index while the build runs and swaps the new one in
when it ends, so the bot only has to keep the loop free and refuse a second build.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from index.engine import Engine
from index.errors import BuildInProgress
from index.models import BuildReport

OnProgress = Callable[[int, int], Awaitable[None]]
ALREADY_RUNNING = "A rebuild is already running; its result will be posted when it ends."


class Reindexer:
    def __init__(self, min_interval: float = 1.0) -> None:
        self.min_interval = min_interval  # Discord rate-limits edits, so report at most this often
        self._running = False

    @property
    def running(self) -> bool:
        return self._running

    async def run(self, engine: Engine, on_progress: OnProgress | None = None) -> BuildReport:
        """Build in a thread; raises BuildInProgress when a build is already running here."""
        if self._running:
            raise BuildInProgress(ALREADY_RUNNING)
        self._running = True
        try:
            return await self._build(engine, on_progress)
        finally:
            self._running = False

    async def _build(self, engine: Engine, on_progress: OnProgress | None) -> BuildReport:
        loop = asyncio.get_running_loop()
        updates: asyncio.Queue[tuple[int, int]] = asyncio.Queue()

        def report(done: int, total: int) -> None:  # runs in the building thread
            loop.call_soon_threadsafe(updates.put_nowait, (done, total))

        build = asyncio.ensure_future(asyncio.to_thread(engine.build, report))
        last = float("-inf")
        while not build.done():
            getter = asyncio.ensure_future(updates.get())
            await asyncio.wait({build, getter}, return_when=asyncio.FIRST_COMPLETED)
            if not getter.done():
                getter.cancel()
                break
            done, total = getter.result()
            now = time.monotonic()
            if on_progress is not None and (now - last >= self.min_interval or done >= total):
                last = now
                await on_progress(done, total)
        return await build
