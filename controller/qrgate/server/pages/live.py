"""From the site server's ingest to every open manager's page, without ever making ingest wait.

The ingest calls `on_event(event)` on its own thread once an event is stored (after the commit, so
a page that re-reads the API sees it). That only appends to a bounded Feed; one task on the web
server's loop turns each event into a small message, with no pseudonym, and offers it to every
connected page, each through its own bounded queue (a page that stops reading loses old ones).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import AsyncIterator, Awaitable, Callable

from ...web.feed import Feed, Subscriber

log = logging.getLogger(__name__)

KEEPALIVE_SECONDS = 15.0
#: what a page learns of a stored event: enough to say where and what, never who
SHOWN_FIELDS = ("id", "site", "gate", "reason", "at")


def live_message(event: dict) -> dict:
    """The page's message for one stored event (an MQTT event row as ingest stored it)."""
    shown = {k: event[k] for k in SHOWN_FIELDS if event.get(k) is not None}
    return {"type": "event", "event_type": event.get("type"), **shown}


def sse(message: dict) -> bytes:
    return f"data: {json.dumps(message, separators=(',', ':'))}\n\n".encode()


class LiveBoard:
    def __init__(self, feed_size: int = 1024):
        self.feed = Feed(feed_size)
        self.pages: set[Subscriber] = set()
        self.sent = 0

    # -- ingest's thread: enqueue only ----------------------------------------------------------
    def on_event(self, event: dict) -> None:
        self.feed.put(event)

    # -- the web server's loop --------------------------------------------------------------------
    async def pump(self) -> None:
        """Runs for the server's life (start it in the app's lifespan)."""
        self.feed.bind(asyncio.get_running_loop())
        while True:
            for event in await self.feed.get():
                try:
                    message = live_message(event)
                except Exception:  # a malformed row must not end the live pages
                    log.exception("live page message failed for one event")
                    continue
                for page in list(self.pages):
                    page.offer(message)
                self.sent += 1

    def close(self) -> None:
        """Ends every open stream (call on the loop, e.g. through feed.call_on_loop)."""
        for page in list(self.pages):
            page.offer({"type": "bye"})

    async def stream(self, hello: dict, disconnected: Callable[[], Awaitable[bool]]) -> AsyncIterator[bytes]:
        page = Subscriber()
        self.pages.add(page)
        try:
            yield sse({"type": "hello", "at": time.time(), **hello})
            while True:
                try:
                    message = await asyncio.wait_for(page.queue.get(), KEEPALIVE_SECONDS)
                except asyncio.TimeoutError:
                    if await disconnected():
                        return
                    yield b": keepalive\n\n"
                    continue
                if message.get("type") == "bye":
                    return
                yield sse(message)
        finally:
            self.pages.discard(page)
