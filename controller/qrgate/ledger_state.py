"""The gate's own state in its log: the snapshot of its latched alarms, its mode switches and
the offsets of a "reset daily counts" (state/gate.py keeps them), so a lockdown survives a
power cut. A part of Ledger, on its connection and lock; the tables are ledger_file.py's.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from zoneinfo import ZoneInfo

from .errors import LedgerError
from .ledger_file import reads

COUNTER_NAMES = ("entries", "exits", "denials")


def day_of(at: float, timezone: str = "UTC") -> str:
    """The site-local calendar day `at` falls in, as YYYY-MM-DD."""
    return dt.datetime.fromtimestamp(at, ZoneInfo(timezone)).strftime("%Y-%m-%d")


class GateStateRows:
    """Ledger's methods for the gate's own state (Ledger gives _conn, _lock, path, timezone,
    counts() and _rollback())."""

    @reads
    def saved_alarms(self) -> tuple[dict[str, dict], int]:
        """The saved alarm states and the last ledger seq folded into them."""
        with self._lock:
            rows = self._conn.execute("SELECT name, active, latched, since, acked_at FROM gate_alarms").fetchall()
            seq = self._conn.execute("SELECT seq FROM gate_alarm_fold WHERE id = 1").fetchone()
        states = {n: {"active": bool(a), "latched": bool(la), "since": s, "acked_at": ack}
                  for n, a, la, s, ack in rows}
        return states, seq[0] if seq else 0

    def save_alarms(self, states: dict[str, dict], seq: int) -> None:
        """The snapshot and its seq in one transaction, so they always agree."""
        self._write_many([
            ("INSERT INTO gate_alarms (name, active, latched, since, acked_at) VALUES (?, ?, ?, ?, ?) "
             "ON CONFLICT(name) DO UPDATE SET active = excluded.active, latched = excluded.latched, "
             "since = excluded.since, acked_at = excluded.acked_at",
             [(n, int(s["active"]), int(s["latched"]), s["since"], s["acked_at"]) for n, s in states.items()]),
            ("INSERT INTO gate_alarm_fold (id, seq) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET seq = excluded.seq",
             [(seq,)])], "save alarms")

    @reads
    def modes(self) -> dict[str, bool]:
        with self._lock:
            return {n: bool(v) for n, v in self._conn.execute("SELECT name, value FROM gate_modes")}

    def save_mode(self, name: str, on: bool, at: float) -> None:
        self._write_many([("INSERT INTO gate_modes (name, value, at) VALUES (?, ?, ?) ON CONFLICT(name) "
                           "DO UPDATE SET value = excluded.value, at = excluded.at", [(name, int(on), at)])],
                         "save the gate's mode")

    @reads
    def count_offsets(self, at: float) -> dict[str, int]:
        """What a "reset daily counts" subtracts from the counters of the day `at` falls in."""
        with self._lock:
            rows = self._conn.execute("SELECT name, value FROM count_offsets WHERE day = ?",
                                      (day_of(at, self.timezone),)).fetchall()
        return {**dict.fromkeys(COUNTER_NAMES, 0), **dict(rows)}

    def reset_counts_today(self, at: float) -> None:
        """From now on today's counts start again from zero (the totals keep counting)."""
        today = self.counts(at)["today"]
        self._write_many([("INSERT INTO count_offsets (day, name, value) VALUES (?, ?, ?) "
                           "ON CONFLICT(day, name) DO UPDATE SET value = excluded.value",
                           [(day_of(at, self.timezone), n, int(today[n])) for n in COUNTER_NAMES])],
                         "reset today's counts")

    def _write_many(self, statements: list[tuple[str, list[tuple]]], what: str) -> None:
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                for sql, rows in statements:
                    self._conn.executemany(sql, rows)
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise LedgerError(f"cannot {what} in {self.path}: {exc}") from None
