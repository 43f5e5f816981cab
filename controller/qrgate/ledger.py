"""The durable local log: events, who is inside, counters and the MQTT outbox, in SQLite.

Every event is committed (WAL, synchronous=FULL) before the relay moves, in the same
transaction as the presence change, the counters and its outbox row, so after a power
cut the log, the counts and what MQTT will still be told always agree.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
import uuid
from pathlib import Path

from .errors import LedgerError
from .model import Event

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    at REAL NOT NULL,
    gate TEXT NOT NULL,
    type TEXT NOT NULL,
    reason TEXT NOT NULL,
    direction TEXT,
    holder TEXT,
    format TEXT
);
CREATE INDEX IF NOT EXISTS events_at ON events(at);
CREATE INDEX IF NOT EXISTS events_holder ON events(holder, at) WHERE holder IS NOT NULL;
CREATE TABLE IF NOT EXISTS presence (
    holder TEXT PRIMARY KEY,
    inside INTEGER NOT NULL,
    gate TEXT NOT NULL,
    since REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS presence_inside ON presence(inside) WHERE inside = 1;
CREATE TABLE IF NOT EXISTS counters (
    day TEXT NOT NULL,
    name TEXT NOT NULL,
    value INTEGER NOT NULL,
    PRIMARY KEY (day, name)
);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS command_requests (
    request_id TEXT PRIMARY KEY,
    at REAL NOT NULL
);
"""

TOTAL = "total"
COUNTER_OF_TYPE = {"entry": "entries", "exit": "exits", "denied": "denials"}
COUNTER_NAMES = ("entries", "exits", "denials")


def day_of(at: float) -> str:
    return time.strftime("%Y-%m-%d", time.localtime(at))


def connect(path: str | Path) -> sqlite3.Connection:
    try:
        conn = sqlite3.connect(str(path), timeout=5.0, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA busy_timeout=5000")
    except sqlite3.Error as exc:
        raise LedgerError(f"cannot open the event log {path}: {exc}") from None
    return conn


class Ledger:
    """One writer connection behind a lock; readers (the MQTT drain) open their own."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = connect(self.path)
        self._lock = threading.Lock()
        try:
            self._conn.executescript(SCHEMA)
            columns = {row[1] for row in self._conn.execute("PRAGMA table_info(events)")}
            if "detail" not in columns:  # logs written before guard overrides were recorded
                self._conn.execute("ALTER TABLE events ADD COLUMN detail TEXT")
        except sqlite3.DatabaseError as exc:
            raise LedgerError(f"the event log {path} is not a qrgate log or is damaged: {exc}") from None

    # -- reading -------------------------------------------------------------------
    def is_inside(self, holder: str | None) -> bool:
        """Whether the holder's last movement on record was an entry."""
        if holder is None:
            return False
        with self._lock:
            row = self._conn.execute("SELECT inside FROM presence WHERE holder = ?", (holder,)).fetchone()
        return bool(row and row[0])

    def _occupancy(self) -> int:
        return self._conn.execute("SELECT COUNT(*) FROM presence WHERE inside = 1").fetchone()[0]

    def occupancy(self) -> int:
        with self._lock:
            return self._occupancy()

    def counts(self, at: float) -> dict[str, dict[str, int]]:
        """{"today": {...}, "total": {...}} for the day that `at` falls in."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT day, name, value FROM counters WHERE day IN (?, ?)", (day_of(at), TOTAL)).fetchall()
            result = {"today": dict.fromkeys(COUNTER_NAMES, 0), "total": dict.fromkeys(COUNTER_NAMES, 0)}
            for day, name, value in rows:
                result["total" if day == TOTAL else "today"][name] = value
            result["occupancy"] = self._occupancy()
            return result

    def events(self, since_seq: int = 0) -> list[Event]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, seq, at, gate, type, reason, direction, holder, format FROM events "
                "WHERE seq > ? ORDER BY seq", (since_seq,)).fetchall()
        return [Event(id=r[0], seq=r[1], at=r[2], gate_id=r[3], type=r[4], reason=r[5],
                      direction=r[6], holder=r[7], format=r[8]) for r in rows]

    def holder_history(self, holder: str, since: float) -> tuple[int, float | None]:
        """(entries of `holder` at or after `since`, time of the holder's latest entry or None)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT COALESCE(SUM(at >= ?), 0), MAX(at) FROM events WHERE holder = ? AND type = 'entry'",
                (since, holder)).fetchone()
        return int(row[0]), row[1]

    def inside_by_gate(self) -> dict[str, int]:
        """How many holders are inside, by the gate they last came in through."""
        with self._lock:
            rows = self._conn.execute("SELECT gate, COUNT(*) FROM presence WHERE inside = 1 GROUP BY gate").fetchall()
        return dict(rows)

    def details(self, event_id: str) -> dict | None:
        """The detail recorded with an event (a guard override's who and why), or None."""
        with self._lock:
            row = self._conn.execute("SELECT detail FROM events WHERE id = ?", (event_id,)).fetchone()
        return json.loads(row[0]) if row and row[0] else None

    def movements(self, start: float, end: float) -> list[tuple[float, str, str, str | None]]:
        """(at, gate, "entry" | "exit", pseudonym) of admitted movements with start <= at < end."""
        with self._lock:
            return self._conn.execute(
                "SELECT at, gate, type, holder FROM events WHERE type IN ('entry', 'exit') AND at >= ? AND at < ? "
                "ORDER BY at, seq", (start, end)).fetchall()

    def purge(self, before: float) -> int:
        """Delete events older than `before` (keeping any MQTT has not taken yet) and the presence of
        people who left before then; counters stay (they hold no pseudonyms). Returns events deleted."""
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                deleted = self._conn.execute(
                    "DELETE FROM events WHERE at < ? AND id NOT IN (SELECT event_id FROM outbox)", (before,)).rowcount
                self._conn.execute("DELETE FROM presence WHERE inside = 0 AND since < ?", (before,))
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise LedgerError(f"cannot purge old rows from {self.path}: {exc}") from None
        if deleted:
            log.info("purged %d events older than the retention period", deleted)
        return deleted

    def reasons(self) -> dict[str, int]:
        with self._lock:
            rows = self._conn.execute("SELECT type, reason, COUNT(*) FROM events GROUP BY type, reason").fetchall()
        return {f"{t}:{r}": n for t, r, n in rows}

    # -- writing -------------------------------------------------------------------
    def record(self, *, at: float, gate_id: str, type: str, reason: str, direction: str | None = None,
               holder: str | None = None, format: str | None = None, detail: dict | None = None) -> Event:
        """Commit one event with its presence change, counters and outbox row; durable on return.

        detail: extra facts kept in the log only (a guard override's who and why), never a visitor's.
        """
        event_id = uuid.uuid4().hex
        counter = COUNTER_OF_TYPE.get(type)
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                cur = self._conn.execute(
                    "INSERT INTO events (id, at, gate, type, reason, direction, holder, format, detail) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (event_id, at, gate_id, type, reason, direction, holder, format,
                     json.dumps(detail, ensure_ascii=False) if detail else None))
                event = Event(id=event_id, seq=cur.lastrowid, at=at, gate_id=gate_id, type=type,
                              reason=reason, direction=direction, holder=holder, format=format)
                if holder is not None and type in ("entry", "exit"):
                    self._conn.execute(
                        "INSERT INTO presence (holder, inside, gate, since) VALUES (?, ?, ?, ?) "
                        "ON CONFLICT(holder) DO UPDATE SET inside = excluded.inside, gate = excluded.gate, "
                        "since = excluded.since", (holder, int(type == "entry"), gate_id, at))
                if counter:
                    for day in (day_of(at), TOTAL):
                        self._conn.execute(
                            "INSERT INTO counters (day, name, value) VALUES (?, ?, 1) "
                            "ON CONFLICT(day, name) DO UPDATE SET value = value + 1", (day, counter))
                self._conn.execute("INSERT INTO outbox (seq, event_id, payload) VALUES (?, ?, ?)",
                                   (event.seq, event_id, json.dumps(event.to_json(), separators=(",", ":"))))
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise LedgerError(f"cannot write to the event log {self.path}: {exc}") from None
        return event

    # -- commands already acted on ---------------------------------------------------
    def remember_request(self, request_id: str, at: float, forget_before: float) -> bool:
        """Note that the command `request_id` is being acted on at `at`; False when it was noted
        before (a redelivery or a replay, also across a restart). Ids noted before `forget_before`
        are forgotten: by then their commands are stale."""
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                self._conn.execute("DELETE FROM command_requests WHERE at < ?", (forget_before,))
                new = self._conn.execute("INSERT OR IGNORE INTO command_requests (request_id, at) VALUES (?, ?)",
                                         (request_id, at)).rowcount == 1
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise LedgerError(f"cannot write to the event log {self.path}: {exc}") from None
        return new

    def _rollback(self) -> None:
        try:
            self._conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass

    # -- the MQTT outbox -------------------------------------------------------------
    def pending(self, limit: int = 100) -> list[tuple[int, str, str]]:
        """(seq, event id, JSON payload) of events not yet taken by the broker, oldest first."""
        with self._lock:
            return self._conn.execute(
                "SELECT seq, event_id, payload FROM outbox ORDER BY seq LIMIT ?", (limit,)).fetchall()

    def delivered(self, seqs: list[int]) -> None:
        if not seqs:
            return
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                self._conn.executemany("DELETE FROM outbox WHERE seq = ?", [(s,) for s in seqs])
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                log.warning("could not clear %d delivered outbox rows: %s", len(seqs), exc)

    def close(self) -> None:
        with self._lock:
            self._conn.close()
