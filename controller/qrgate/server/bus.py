"""Stored events to live listeners (the pages' SSE/WebSocket), from the ingest thread to asyncio.

Ingest calls publish(site, rows) after each commit, from its own thread; a listener is an
asyncio.Queue on the app's loop, bounded: a listener that falls behind loses batches (and
re-reads the counts), never slows ingest.
"""

from __future__ import annotations

import asyncio
import threading


class EventBus:
    def __init__(self, queue_size: int = 100):
        self.queue_size = queue_size
        self._listeners: set[tuple[asyncio.AbstractEventLoop, asyncio.Queue]] = set()
        self._lock = threading.Lock()

    def listen(self) -> asyncio.Queue:
        """A queue of (site, [event dict, ...]) batches; call from the event loop; unlisten when done."""
        queue: asyncio.Queue = asyncio.Queue(self.queue_size)
        with self._lock:
            self._listeners.add((asyncio.get_running_loop(), queue))
        return queue

    def unlisten(self, queue: asyncio.Queue) -> None:
        with self._lock:
            self._listeners = {(loop, q) for loop, q in self._listeners if q is not queue}

    def publish(self, site: str, rows: list[dict]) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for loop, queue in listeners:
            try:
                loop.call_soon_threadsafe(_offer, queue, (site, rows))
            except RuntimeError:  # that loop has closed
                self.unlisten(queue)


def _offer(queue: asyncio.Queue, item) -> None:
    try:
        queue.put_nowait(item)
    except asyncio.QueueFull:
        pass
