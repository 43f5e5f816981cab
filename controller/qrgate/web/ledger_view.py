"""The web server's own read-only view of the ledger file.

A second SQLite connection: WAL lets it see committed rows at once, and it never takes the
gate's ledger lock, so a page asking for occupancy or history cannot delay a decision.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

from ..errors import LedgerError
from ..model import Event

#: the event types a guard's list of decisions shows
DECISION_TYPES = ("entry", "exit", "denied", "override", "remote_open", "exit_button")


class LedgerView:
    def __init__(self, path: str | Path):
        try:
            self._conn = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True, check_same_thread=False,
                                         timeout=1.0)
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot read the event log {path}: {exc}") from None
        self._lock = threading.Lock()  # sqlite3 objects are not for two threads at once

    def occupancy(self) -> int:
        with self._lock:
            return self._conn.execute("SELECT COUNT(*) FROM presence WHERE inside = 1").fetchone()[0]

    def detail(self, event_id: str) -> dict | None:
        with self._lock:
            row = self._conn.execute("SELECT detail FROM events WHERE id = ?", (event_id,)).fetchone()
        return json.loads(row[0]) if row and row[0] else None

    def recent_decisions(self, limit: int = 50) -> list[tuple[Event, dict | None]]:
        marks = ",".join("?" * len(DECISION_TYPES))
        with self._lock:
            rows = self._conn.execute(
                f"SELECT id, seq, at, gate, type, reason, direction, holder, format, detail FROM events "
                f"WHERE type IN ({marks}) ORDER BY seq DESC LIMIT ?", (*DECISION_TYPES, limit)).fetchall()
        return [(Event(id=r[0], seq=r[1], at=r[2], gate_id=r[3], type=r[4], reason=r[5], direction=r[6],
                       holder=r[7], format=r[8]), json.loads(r[9]) if r[9] else None) for r in reversed(rows)]

    def close(self) -> None:
        with self._lock:
            self._conn.close()
