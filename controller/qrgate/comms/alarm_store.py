"""What the ledger does not keep, in the same SQLite file: the latched-alarm snapshot, the
gate's mode, and the offsets a "reset daily counts" command subtracts from today's counters.

Own tables and own connection (WAL, synchronous=FULL, like the ledger), so a lockdown
survives a power cut and a restart. Latched alarms are a fold of the ledger's alarm events
(comms/alarms.py); the snapshot here only saves refolding the whole log at every start.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from ..errors import LedgerError
from ..ledger import COUNTER_NAMES, connect

SCHEMA = """
CREATE TABLE IF NOT EXISTS gate_alarms (
    name TEXT PRIMARY KEY,
    active INTEGER NOT NULL,
    latched INTEGER NOT NULL,
    since REAL,
    acked_at REAL
);
CREATE TABLE IF NOT EXISTS gate_alarm_fold (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS gate_modes (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL,
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS count_offsets (
    day TEXT NOT NULL,
    name TEXT NOT NULL,
    value INTEGER NOT NULL,
    PRIMARY KEY (day, name)
);
"""


class AlarmStore:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._conn = connect(self.path)
        self._lock = threading.Lock()
        try:
            self._conn.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise LedgerError(f"cannot keep alarms in {path}: {exc}") from None

    def _write(self, sql: str, rows: list[tuple]) -> None:
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                self._conn.executemany(sql, rows)
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise LedgerError(f"cannot write gate state to {self.path}: {exc}") from None

    def _rollback(self) -> None:
        try:
            self._conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass

    # -- alarms ----------------------------------------------------------------------
    def alarms(self) -> tuple[dict[str, dict], int]:
        """The saved alarm states and the last ledger seq folded into them."""
        with self._lock:
            rows = self._conn.execute("SELECT name, active, latched, since, acked_at FROM gate_alarms").fetchall()
            seq = self._conn.execute("SELECT seq FROM gate_alarm_fold WHERE id = 1").fetchone()
        states = {n: {"active": bool(a), "latched": bool(la), "since": s, "acked_at": ack}
                  for n, a, la, s, ack in rows}
        return states, seq[0] if seq else 0

    def save_alarms(self, states: dict[str, dict], seq: int) -> None:
        """The snapshot and its seq in one transaction, so they always agree."""
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                self._conn.executemany(
                    "INSERT INTO gate_alarms (name, active, latched, since, acked_at) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT(name) DO UPDATE SET active = excluded.active, latched = excluded.latched, "
                    "since = excluded.since, acked_at = excluded.acked_at",
                    [(n, int(s["active"]), int(s["latched"]), s["since"], s["acked_at"]) for n, s in states.items()])
                self._conn.execute("INSERT INTO gate_alarm_fold (id, seq) VALUES (1, ?) "
                                   "ON CONFLICT(id) DO UPDATE SET seq = excluded.seq", (seq,))
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise LedgerError(f"cannot save alarms to {self.path}: {exc}") from None

    # -- modes -----------------------------------------------------------------------
    def modes(self) -> dict[str, bool]:
        with self._lock:
            return {n: bool(v) for n, v in self._conn.execute("SELECT name, value FROM gate_modes")}

    def save_mode(self, name: str, on: bool, at: float) -> None:
        self._write("INSERT INTO gate_modes (name, value, at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE "
                    "SET value = excluded.value, at = excluded.at", [(name, int(on), at)])

    # -- daily count resets ------------------------------------------------------------
    def offsets(self, day: str) -> dict[str, int]:
        with self._lock:
            rows = self._conn.execute("SELECT name, value FROM count_offsets WHERE day = ?", (day,)).fetchall()
        return {**dict.fromkeys(COUNTER_NAMES, 0), **dict(rows)}

    def set_offsets(self, day: str, values: dict[str, int]) -> None:
        self._write("INSERT INTO count_offsets (day, name, value) VALUES (?, ?, ?) ON CONFLICT(day, name) "
                    "DO UPDATE SET value = excluded.value", [(day, n, int(values[n])) for n in COUNTER_NAMES])

    # -- read from the ledger's own table (read only) -----------------------------------
    def alarm_events(self, after_seq: int, types: tuple[str, ...]) -> tuple[list[tuple], int]:
        """(seq, type, reason, at) of alarm events after `after_seq`, and the newest seq in the log."""
        marks = ", ".join("?" * len(types))
        with self._lock:
            rows = self._conn.execute(
                f"SELECT seq, type, reason, at FROM events WHERE seq > ? AND type IN ({marks}) ORDER BY seq",
                (after_seq, *types)).fetchall()
            newest = self._conn.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0]
        return rows, max(newest, after_seq)

    def last_denial(self) -> dict:
        """The newest denial's reason and time, for the dashboard's "last denial reason"."""
        with self._lock:
            row = self._conn.execute(
                "SELECT reason, at FROM events WHERE type = 'denied' ORDER BY seq DESC LIMIT 1").fetchone()
        return {"reason": row[0], "at": row[1]} if row else {"reason": "none", "at": None}

    def close(self) -> None:
        with self._lock:
            self._conn.close()
