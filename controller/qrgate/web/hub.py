"""The live side of the pages: the gate's outcomes and changes in, server-sent events out.

The gate's threads only `put` into a Feed (never blocking); one task on the web server's loop
turns each item into the screen's message and the console's row and offers them to every
connected page. Anything that reads the ledger here uses the server's own read-only connection.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import time
from typing import AsyncIterator, Callable

from ..policy.reasons import FULL_REASONS, guard_text
from .feed import Feed, Subscriber
from .ledger_view import LedgerView
from .views import console_row, history_row, screen_message

log = logging.getLogger(__name__)

KEEPALIVE_SECONDS = 15.0
RECENT_ROWS = 100
SCREEN, CONSOLE = "screen", "console"
#: verification formats of forced decisions, whose ledger detail names who asked
FORCED_FORMATS = ("override", "remote_open")


class Hub:
    def __init__(self, app, ledger: LedgerView, paper_ids: Callable[[], frozenset[str]]):
        self.app = app
        self.ledger = ledger
        self.paper_ids = paper_ids
        self.feed = Feed()
        self.subscribers: dict[str, set[Subscriber]] = {SCREEN: set(), CONSOLE: set()}
        self.recent: collections.deque = collections.deque(maxlen=RECENT_ROWS)
        self._history_loaded = False

    # -- called on the gate's threads: enqueue only --------------------------------------
    def on_outcome(self, outcome) -> None:
        self.feed.put(("outcome", outcome, time.time()))

    def on_changed(self) -> None:
        self.feed.put(("changed", None, time.time()))

    # -- the server's loop -------------------------------------------------------------------
    async def pump(self) -> None:
        self.feed.bind(asyncio.get_running_loop())
        while True:
            for kind, outcome, at in await self.feed.get():
                try:
                    if kind == "outcome":
                        self._publish_outcome(outcome, at)
                    else:
                        if self.subscribers[CONSOLE]:
                            self.broadcast(CONSOLE, self.status_message())
                        self.broadcast(SCREEN, self.mode_message())
                except Exception:  # one bad item must not end the live pages
                    log.exception("cannot show a gate update")

    def _publish_outcome(self, outcome, decided_at: float) -> None:
        """Builds only what a connected page will show: the gate's CPU is shared with its frame loop."""
        decision, verification, event = outcome.decision, outcome.verification, outcome.event
        paper = self.paper_ids()
        if self.subscribers[SCREEN]:
            full = decision.reason in FULL_REASONS
            policy = self.app.controller.policy
            cap = policy.zone_cap if decision.reason == "zone_full" else policy.occupancy_cap
            self.broadcast(SCREEN, screen_message(verification, decision, decided_at=decided_at,
                                                  occupancy=self.ledger.occupancy() if full else None, cap=cap,
                                                  paper_passes=paper))
        detail = self.ledger.detail(event.id) if verification.format in FORCED_FORMATS else None
        row = console_row(verification, decision, event, reader=outcome.scan.direction.value,
                          by=(detail or {}).get("by"), paper_passes=paper)
        self.recent.append(row)  # kept for a console opened later
        if self.subscribers[CONSOLE]:
            self.broadcast(CONSOLE, row)
            self.broadcast(CONSOLE, self.status_message())

    def broadcast(self, channel: str, message: dict) -> None:
        for subscriber in list(self.subscribers[channel]):
            subscriber.offer(message)

    def close(self) -> None:
        """Ends every open stream, so the server can stop without waiting for the pages."""
        for channel in self.subscribers.values():
            for subscriber in list(channel):
                subscriber.offer(None)

    # -- what a page gets when it connects -----------------------------------------------------
    def mode_message(self) -> dict:
        return {"type": "mode", "mode": self.app.state()["mode"]}

    def status_message(self) -> dict:
        message = {"type": "status", "state": self.app.state(), "alarms": self.app.alarms(),
                   "occupancy": self.ledger.occupancy(), "dropped": self.feed.dropped}
        if hasattr(self.app, "pending"):
            message["pending"] = [pending_view(p) for p in self.app.pending()]
        return message

    def history(self) -> list[dict]:
        if not self._history_loaded:  # decisions made before the server started, from the ledger
            self._history_loaded = True
            seen = {row["id"] for row in self.recent}
            old = [history_row(e, d) for e, d in self.ledger.recent_decisions(RECENT_ROWS) if e.id not in seen]
            rows = old + list(self.recent)
            self.recent.clear()
            self.recent.extend(rows[-RECENT_ROWS:])
        return list(self.recent)

    async def stream(self, channel: str, hello: dict, is_disconnected) -> AsyncIterator[str]:
        subscriber = Subscriber()
        self.subscribers[channel].add(subscriber)
        try:
            yield _sse(hello)
            while True:
                try:
                    message = await asyncio.wait_for(subscriber.queue.get(), KEEPALIVE_SECONDS)
                except asyncio.TimeoutError:
                    if await is_disconnected():
                        return
                    yield ": keepalive\n\n"
                    continue
                if message is None:
                    return
                yield _sse(message)
        finally:
            self.subscribers[channel].discard(subscriber)


def pending_view(item) -> dict:
    """A pending decision as the console shows it: its id and why it waits, nothing personal."""
    get = item.get if isinstance(item, dict) else (lambda name, default=None: getattr(item, name, default))
    reason = str(get("reason", "") or "")
    return {"id": str(get("id", "") or get("pending_id", "")), "reason": reason,
            "text": {"vi": guard_text(reason, "vi") if reason else "", "en": guard_text(reason, "en") if reason else ""},
            "at": get("at", None), "format": get("format", None), "pass_id": get("pass_id", None)}


def _sse(message: dict) -> str:
    return f"data: {json.dumps(message, ensure_ascii=False, separators=(',', ':'))}\n\n"
