"""From the gate's threads to the web server's event loop, without ever making the gate wait.

The gate's listeners call `put()`: it appends to a bounded deque under a short lock and, when the
deque was empty, asks the loop to wake up. When the web side falls behind, the oldest item is
dropped and counted (the newest result is the one a visitor is looking at).
"""

from __future__ import annotations

import asyncio
import collections
import threading
from typing import Any


class Feed:
    def __init__(self, maxlen: int = 256):
        self.maxlen = maxlen
        self.dropped = 0
        self._items: collections.deque = collections.deque()
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Called on the loop that reads: from now on a put wakes it."""
        self._loop = loop
        self._wake = asyncio.Event()

    def put(self, item: Any) -> None:
        """Never blocks: safe to call from the decision path."""
        with self._lock:
            if len(self._items) >= self.maxlen:
                self._items.popleft()
                self.dropped += 1
            was_empty = not self._items
            self._items.append(item)
        loop, wake = self._loop, self._wake
        if was_empty and loop is not None and wake is not None:
            try:
                loop.call_soon_threadsafe(wake.set)
            except RuntimeError:  # the loop has closed: the server is stopping
                pass

    def call_on_loop(self, fn) -> None:
        """Run fn on the reading loop (from any thread); nothing when no loop reads or it has closed."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(fn)
            except RuntimeError:
                pass

    def drain(self) -> list:
        with self._lock:
            items = list(self._items)
            self._items.clear()
        return items

    async def get(self) -> list:
        """The items put since the last call; waits while there are none."""
        assert self._wake is not None, "Feed.bind() first"
        while True:
            self._wake.clear()
            items = self.drain()
            if items:
                return items
            await self._wake.wait()


class Subscriber:
    """One connected page: its own small queue; a page that stops reading loses old messages."""

    def __init__(self, maxsize: int = 64):
        self.queue: asyncio.Queue = asyncio.Queue(maxsize)
        self.dropped = 0

    def offer(self, message: dict) -> None:
        if self.queue.full():
            self.queue.get_nowait()
            self.dropped += 1
        self.queue.put_nowait(message)
