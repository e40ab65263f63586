"""discord.py's own gateway heartbeat thread, beating against the bot's event loop.

SimCord replaces the gateway connection, so its heartbeat never runs there. This drives the real
`discord.gateway.KeepAliveHandler` at a short interval: its beat is a coroutine the event loop must
run, and discord.py logs "heartbeat blocked for more than 10 seconds" when the loop doesn't.
"""

from __future__ import annotations

import asyncio
import threading
import time

from discord.gateway import DiscordWebSocket, KeepAliveHandler


class LoopSocket:
    """The part of a gateway socket the heartbeat thread uses: the loop and a heartbeat send."""

    HEARTBEAT = DiscordWebSocket.HEARTBEAT

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.thread_id = threading.get_ident()  # the loop's thread, for discord.py's traceback
        self._max_heartbeat_timeout = 3600.0
        self.sequence = 0
        self.sent: list[float] = []

    async def send_heartbeat(self, data: dict) -> None:
        self.sent.append(time.perf_counter())

    async def close(self, code: int = 1000) -> None:
        pass


def start_heartbeat(interval: float = 0.25) -> tuple[KeepAliveHandler, LoopSocket]:
    """Call from the event loop's thread; stop() the handler when done."""
    socket = LoopSocket(asyncio.get_running_loop())
    handler = KeepAliveHandler(ws=socket, interval=interval, shard_id=0)  # type: ignore[arg-type]
    handler.start()
    return handler, socket
