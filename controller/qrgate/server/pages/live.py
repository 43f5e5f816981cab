"""From the site server's ingest to an open manager's page, as server-sent events.

Ingest publishes each stored batch on the server's EventBus (bus.py) after its commit, so a page
that re-reads the API on a message sees the new rows. Each open page listens on the bus with its
own bounded queue; a page that falls behind loses batches, never slows ingest, and re-reads the
counts on the next message anyway. A page learns where and what happened, never who.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import AsyncIterator, Awaitable, Callable

KEEPALIVE_SECONDS = 15.0
#: what a page learns of a stored event: enough to say where and what, never who
SHOWN_FIELDS = ("id", "gate", "reason", "at")


def live_message(site: str, rows: list[dict]) -> dict:
    """The page's message for one stored batch of a site's events (rows as ingest stored them)."""
    return {"type": "events", "site": site,
            "events": [{"event_type": row.get("type"), **{k: row[k] for k in SHOWN_FIELDS if row.get(k) is not None}}
                       for row in rows]}


def sse(message: dict) -> bytes:
    return f"data: {json.dumps(message, separators=(',', ':'))}\n\n".encode()


async def stream(bus, hello: dict, disconnected: Callable[[], Awaitable[bool]],
                 allowed: Callable[[], Awaitable[bool]], keepalive: float = KEEPALIVE_SECONDS) -> AsyncIterator[bytes]:
    """One page's stream: a hello, then a message per stored batch, a comment line when idle.
    Each idle `keepalive` seconds it asks `allowed()` again: a session that ended (logout,
    expiry) ends its stream, and the page goes back to the login form."""
    queue = bus.listen()
    try:
        yield sse({"type": "hello", "at": time.time(), **hello})
        while True:
            try:
                site, rows = await asyncio.wait_for(queue.get(), keepalive)
            except asyncio.TimeoutError:
                if await disconnected() or not await allowed():
                    return
                yield b": keepalive\n\n"
                continue
            yield sse(live_message(site, rows))
    finally:
        bus.unlisten(queue)
