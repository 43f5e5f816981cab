"""Scans waiting for a guard's word (policy.identity "guard_confirm"), each with an id and a deadline.

Pure bookkeeping: the caller gives the time. The controller answers them (GateController.confirm)
and refuses the ones whose deadline passed (GateController.expire_pending).
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, replace

from .model import Direction, Scan, Verification


@dataclass(frozen=True)
class PendingScan:
    id: str
    scan: Scan
    verification: Verification
    direction: Direction
    holder: str | None
    listed: bool | None
    since: float
    deadline: float

    def to_json(self) -> dict:
        """What a console may show: no text of the code, only its format and the pseudonym."""
        return {"id": self.id, "gate": self.scan.gate_id, "format": self.verification.format,
                "pseudonym": self.holder, "since": self.since, "deadline": self.deadline}


class PendingConfirmations:
    """The scans a gate holds for the guard; thread-safe (camera threads add, commands answer)."""

    def __init__(self, timeout_seconds: float):
        self.timeout_seconds = timeout_seconds
        self._items: dict[str, PendingScan] = {}
        self._lock = threading.Lock()

    def add(self, scan: Scan, verification: Verification, direction: Direction, holder: str | None,
            listed: bool | None, now: float) -> PendingScan:
        # the code's own text is not kept: the answer needs only its verification
        scan = replace(scan, text="")
        item = PendingScan(uuid.uuid4().hex[:12], scan, verification, direction, holder, listed, now,
                           now + self.timeout_seconds)
        with self._lock:
            self._items[item.id] = item
        return item

    def take(self, pending_id: str, now: float) -> PendingScan | None:
        """The waiting scan with this id, removed; None when unknown, answered or past its deadline."""
        with self._lock:
            item = self._items.get(pending_id)
            if item is None or now > item.deadline:
                return None
            return self._items.pop(pending_id)

    def expired(self, now: float) -> list[PendingScan]:
        """Scans whose deadline has passed, removed, oldest first."""
        with self._lock:
            gone = sorted((p for p in self._items.values() if now > p.deadline), key=lambda p: p.since)
            for item in gone:
                del self._items[item.id]
        return gone

    def waiting(self) -> list[PendingScan]:
        with self._lock:
            return sorted(self._items.values(), key=lambda p: p.since)
