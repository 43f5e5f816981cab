"""The durable local log: events, who is inside, counters and the MQTT outbox, in SQLite.

Every event is committed (WAL, synchronous=FULL) before the relay moves, in the same
transaction as the presence change, the counters and its outbox row, so after a power
cut the log, the counts and what MQTT will still be told always agree.

The ledger owns every table of its file: the gate's mode, the snapshot of its latched
alarms and the offsets of a "reset daily counts" live here too (ledger_state.py), so a
lockdown survives a power cut. Days (the counters' "today") follow the site's time zone.

When the log cannot be written (a full, read-only or failing disk), what must happen anyway
(people leaving, alarms) is kept in memory with its original time and id (`record_later`)
and written by `flush()` once the log takes writes again. A log that is damaged, or empty
where this gate has written one before, is refused at start with what to do about it.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import collections
import os
import threading
import uuid
from pathlib import Path

from .errors import LedgerError
from .ledger_file import open_log, reads
from .ledger_state import COUNTER_NAMES, GateStateRows, day_of
from .model import Event

log = logging.getLogger(__name__)

#: below this much free space the log counts as full: a day of a busy gate's events, with room to spare
MIN_FREE_BYTES = 1 << 20
#: the events every gate of a site shares (site/): movements, and any event that used a rotating code's step
SYNC_TYPES = ("entry", "exit")
SYNC_COLUMNS = ("id", "origin", "origin_seq", "at", "order_at", "gate", "type", "reason", "direction", "holder",
                "format", "pass_id", "code_step")
#: the newer movement wins, whatever order events arrive in: newer by order_at, the event's time
#: pushed just past the holder's previous movement at the gate that recorded it (so a gate's own
#: order holds even when its clock steps back); at the same instant, the one merged later wins
PRESENCE_UPSERT = (
    "INSERT INTO presence (holder, inside, gate, since, event_id) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT(holder) DO UPDATE SET inside = excluded.inside, gate = excluded.gate, since = excluded.since, event_id = excluded.event_id "
    "WHERE excluded.since >= presence.since")

TOTAL = "total"
ORDER_STEP = 1e-3  # how far past the holder's previous movement a movement recorded with an older clock goes
COUNTER_OF_TYPE = {"entry": "entries", "exit": "exits", "denied": "denials"}


#: an Event's columns, in _event()'s order
EVENT_COLUMNS = "id, seq, at, gate, type, reason, direction, holder, format, pass_id"


def _event(r: tuple) -> Event:
    return Event(id=r[0], seq=r[1], at=r[2], gate_id=r[3], type=r[4], reason=r[5], direction=r[6], holder=r[7],
                 format=r[8], pass_id=r[9])


class Ledger(GateStateRows):
    """One writer connection behind a lock; readers (the MQTT drain) open their own."""

    def __init__(self, path: str | Path, *, timezone: str = "UTC"):
        self.path = Path(path)
        self.timezone = timezone
        #: beside the log: says this gate has written a log here before, so an empty one is a loss
        self.marker = self.path.with_name(self.path.name + ".written")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._refuse_a_lost_log()
        self._conn = open_log(self.path)
        self._lock = threading.Lock()
        self._queued: collections.deque[dict] = collections.deque()  # writes waiting for a working log
        self.marker.touch()

    def _refuse_a_lost_log(self) -> None:
        """A gate that has written a log before must not start afresh on an empty one: that would
        forget who is inside and every anti-passback record."""
        if self.marker.exists() and (not self.path.exists() or self.path.stat().st_size == 0):
            state = "missing" if not self.path.exists() else "empty (0 bytes)"
            raise LedgerError(
                f"the event log {self.path} is {state}, but this gate has kept a log there before "
                f"({self.marker} says so): restore the log from a backup; to start a new log on purpose, "
                f"delete {self.marker}. `qrgate doctor` checks the log.")

    def storage_problem(self) -> str | None:
        """What is wrong with the log's filesystem before a write fails, or None: mounted read-only,
        or less free space than a day of events needs (the gate raises its storage alarm on it)."""
        try:
            fs = os.statvfs(self.path.parent)
        except OSError as exc:
            return f"cannot look at the filesystem of {self.path} ({exc.strerror})"
        if fs.f_flag & os.ST_RDONLY:
            return f"the filesystem of {self.path} is mounted read-only"
        free = fs.f_bavail * fs.f_frsize
        if free < MIN_FREE_BYTES:
            return f"the filesystem of {self.path} is full ({free} bytes free)"
        return None

    # -- reading -------------------------------------------------------------------
    @reads
    def is_inside(self, holder: str | None) -> bool:
        """Whether the holder's last movement on record was an entry."""
        if holder is None:
            return False
        with self._lock:
            row = self._conn.execute("SELECT inside FROM presence WHERE holder = ?", (holder,)).fetchone()
        return bool(row and row[0])

    def _occupancy(self) -> int:
        return self._conn.execute("SELECT COUNT(*) FROM presence WHERE inside = 1").fetchone()[0]

    @reads
    def occupancy(self) -> int:
        with self._lock:
            return self._occupancy()

    @reads
    def counts(self, at: float) -> dict[str, dict[str, int]]:
        """{"today": {...}, "total": {...}} for the day that `at` falls in."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT day, name, value FROM counters WHERE day IN (?, ?)", (day_of(at, self.timezone), TOTAL)).fetchall()
            result = {"today": dict.fromkeys(COUNTER_NAMES, 0), "total": dict.fromkeys(COUNTER_NAMES, 0)}
            for day, name, value in rows:
                result["total" if day == TOTAL else "today"][name] = value
            result["occupancy"] = self._occupancy()
            return result

    @reads
    def events(self, since_seq: int = 0) -> list[Event]:
        with self._lock:
            rows = self._conn.execute(f"SELECT {EVENT_COLUMNS} FROM events WHERE seq > ? ORDER BY seq",
                                      (since_seq,)).fetchall()
        return [_event(r) for r in rows]

    @reads
    def holder_of_pass(self, pass_id: str) -> str | None:
        """The pseudonym last seen with this pass id, or None (a guard names a pass, never a person)."""
        with self._lock:
            row = self._conn.execute("SELECT holder FROM events WHERE pass_id = ? AND holder IS NOT NULL "
                                     "ORDER BY seq DESC LIMIT 1", (pass_id,)).fetchone()
        return row[0] if row else None

    @reads
    def last_denial(self) -> dict:
        """The newest denial's reason and time ({"reason": None, "at": None} before any)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT reason, at FROM events WHERE type = 'denied' ORDER BY seq DESC LIMIT 1").fetchone()
        return {"reason": row[0], "at": row[1]} if row else {"reason": None, "at": None}

    @reads
    def alarm_events(self, after_seq: int, types: tuple[str, ...]) -> tuple[list[tuple], int]:
        """(seq, type, reason, at) of alarm events after `after_seq`, and the newest seq in the log."""
        marks = ", ".join("?" * len(types))
        with self._lock:
            rows = self._conn.execute(
                f"SELECT seq, type, reason, at FROM events WHERE seq > ? AND type IN ({marks}) ORDER BY seq",
                (after_seq, *types)).fetchall()
            newest = self._conn.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0]
        return rows, max(newest, after_seq)

    @reads
    def holder_history(self, holder: str, since: float) -> tuple[int, float | None]:
        """(entries of `holder` at or after `since`, time of the holder's latest entry or None)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT COALESCE(SUM(at >= ?), 0), MAX(at) FROM events WHERE holder = ? AND type = 'entry'",
                (since, holder)).fetchone()
        return int(row[0]), row[1]

    @reads
    def inside_by_gate(self) -> dict[str, int]:
        """How many holders are inside, by the gate they last came in through."""
        with self._lock:
            rows = self._conn.execute("SELECT gate, COUNT(*) FROM presence WHERE inside = 1 GROUP BY gate").fetchall()
        return dict(rows)

    @reads
    def details(self, event_id: str) -> dict | None:
        """The detail recorded with an event (a guard override's who and why), or None."""
        with self._lock:
            row = self._conn.execute("SELECT detail FROM events WHERE id = ?", (event_id,)).fetchone()
        return json.loads(row[0]) if row and row[0] else None

    @reads
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

    # -- writing -------------------------------------------------------------------
    def record(self, *, at: float, gate_id: str, type: str, reason: str, direction: str | None = None,
               holder: str | None = None, format: str | None = None, detail: dict | None = None,
               pass_id: str | None = None, code_step: int | None = None, event_id: str | None = None,
               origin: str | None = None) -> Event | None:
        """Commit one event with its presence change, counters and outbox row; durable on return.

        detail: extra facts kept in the log only (a guard override's who and why), never a visitor's.
        code_step: the rotating-code step this event used (shared with the site's other gates).
        event_id: a deterministic id (a site conflict every gate records alike); the event is then
        recorded once, and None is returned when it already was. origin: the gate whose log
        this is (default gate_id); its site-shared events get the next origin_seq.
        Writes kept back by record_later() go first, so the log keeps the order things happened in.
        """
        if self._queued:
            self.flush()
        return self._record(at=at, gate_id=gate_id, type=type, reason=reason, direction=direction, holder=holder,
                            format=format, detail=detail, pass_id=pass_id, code_step=code_step, event_id=event_id,
                            origin=origin)

    def record_later(self, **event) -> Event:
        """An event the log could not take now: kept in memory with its time and id, written by flush().

        Only for what must happen whatever the log does (people leaving, alarms); the returned
        Event has seq 0 until it is written.
        """
        event.setdefault("event_id", uuid.uuid4().hex)
        with self._lock:
            self._queued.append(event)
        log.warning("event log unwritable: %s kept in memory (%d waiting)", event["type"], len(self._queued))
        return Event(id=event["event_id"], seq=0, at=event["at"], gate_id=event["gate_id"], type=event["type"],
                     reason=event["reason"], direction=event.get("direction"), holder=event.get("holder"),
                     format=event.get("format"), pass_id=event.get("pass_id"))

    @property
    def queued(self) -> int:
        """Events waiting in memory for the log to take writes again."""
        return len(self._queued)

    def flush(self) -> int:
        """Write the events kept back, oldest first; raises LedgerError (keeping the rest) while the log fails."""
        written = 0
        while True:
            with self._lock:
                if not self._queued:
                    break
                event = self._queued[0]
            self._record(**event)
            with self._lock:
                self._queued.popleft()
            written += 1
        if written:
            log.info("wrote %d events kept in memory while the log could not be written", written)
        return written

    def _record(self, *, at: float, gate_id: str, type: str, reason: str, direction: str | None = None,
                holder: str | None = None, format: str | None = None, detail: dict | None = None,
                pass_id: str | None = None, code_step: int | None = None, event_id: str | None = None,
                origin: str | None = None) -> Event | None:
        event_id = event_id or uuid.uuid4().hex
        origin = origin or gate_id
        counter = COUNTER_OF_TYPE.get(type)
        shared = type in SYNC_TYPES or code_step is not None
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                if self._conn.execute("SELECT 1 FROM events WHERE id = ?", (event_id,)).fetchone():
                    self._conn.execute("ROLLBACK")
                    return None
                origin_seq = order_at = None
                if holder is not None and type in ("entry", "exit"):
                    row = self._conn.execute("SELECT since FROM presence WHERE holder = ?", (holder,)).fetchone()
                    order_at = at if row is None or at > row[0] else row[0] + ORDER_STEP
                if shared:
                    origin_seq = self._conn.execute(
                        "INSERT INTO sync_heads (origin, seq) VALUES (?, 1) ON CONFLICT(origin) "
                        "DO UPDATE SET seq = seq + 1 RETURNING seq", (origin,)).fetchone()[0]
                cur = self._conn.execute(
                    "INSERT INTO events (id, at, gate, type, reason, direction, holder, format, detail, pass_id, "
                    "origin, origin_seq, code_step, order_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (event_id, at, gate_id, type, reason, direction, holder, format,
                     json.dumps(detail, ensure_ascii=False) if detail else None, pass_id,
                     origin, origin_seq, code_step, order_at))
                event = Event(id=event_id, seq=cur.lastrowid, at=at, gate_id=gate_id, type=type,
                              reason=reason, direction=direction, holder=holder, format=format, pass_id=pass_id)
                if order_at is not None:
                    self._conn.execute(PRESENCE_UPSERT, (holder, int(type == "entry"), gate_id, order_at, event_id))
                if counter:
                    for day in (day_of(at, self.timezone), TOTAL):
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

    # -- the site: events shared with the other gates (qrgate.site) -----------------------
    def merge(self, events: list[dict]) -> list[dict]:
        """Insert other gates' shared events by id, in one transaction; returns those that were new.

        Presence follows each holder's newest movement by event time, so a late, older event
        never overrides a newer one; counters (this gate's own counts) and the outbox are not
        touched. The contiguous seq held from each origin advances past every seq now held.
        """
        new: list[dict] = []
        with self._lock:
            try:
                # no fsync of its own: a power cut can only lose merged events together with the head
                # that counts them (one transaction), and the gate then asks its peers for them again;
                # the gate's next own event (synchronous=FULL) makes them durable too
                self._conn.execute("PRAGMA synchronous=NORMAL")
                self._conn.execute("BEGIN IMMEDIATE")
                for ev in events:
                    cur = self._conn.execute(
                        f"INSERT OR IGNORE INTO events ({', '.join(SYNC_COLUMNS)}) "
                        f"VALUES ({', '.join('?' * len(SYNC_COLUMNS))})",
                        tuple(ev.get(c) for c in SYNC_COLUMNS))
                    if cur.rowcount != 1:
                        continue
                    new.append(ev)
                    if ev.get("holder") is not None and ev["type"] in ("entry", "exit"):
                        order_at = ev.get("order_at") if ev.get("order_at") is not None else ev["at"]
                        self._conn.execute(PRESENCE_UPSERT, (ev["holder"], int(ev["type"] == "entry"), ev["gate"],
                                                             order_at, ev["id"]))
                for origin in {ev["origin"] for ev in new}:
                    self._advance_head(origin)
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise LedgerError(f"cannot merge {len(events)} site events into {self.path}: {exc}") from None
            finally:
                try:
                    self._conn.execute("PRAGMA synchronous=FULL")
                except sqlite3.Error:
                    pass
        return new

    def _advance_head(self, origin: str) -> None:
        row = self._conn.execute("SELECT seq FROM sync_heads WHERE origin = ?", (origin,)).fetchone()
        head = row[0] if row else 0
        while self._conn.execute("SELECT 1 FROM events WHERE origin = ? AND origin_seq = ?",
                                 (origin, head + 1)).fetchone():
            head += 1
        self._set_head(origin, head)

    def _set_head(self, origin: str, head: int) -> None:
        self._conn.execute("INSERT INTO sync_heads (origin, seq) VALUES (?, ?) ON CONFLICT(origin) "
                           "DO UPDATE SET seq = MAX(seq, excluded.seq)", (origin, head))

    def hold_through(self, origin: str, seq: int) -> None:
        """A peer said it has no shared events from `origin` up to `seq` other than those merged:
        count them as held (events purged at the peer are never asked for again)."""
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                self._set_head(origin, seq)
                self._advance_head(origin)
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise LedgerError(f"cannot update the site heads in {self.path}: {exc}") from None

    @reads
    def last_seq_from(self, origin: str) -> int:
        """The seq up to which every shared event of `origin` is held (for itself: the last one made)."""
        with self._lock:
            row = self._conn.execute("SELECT seq FROM sync_heads WHERE origin = ?", (origin,)).fetchone()
        return row[0] if row else 0

    @reads
    def heads(self) -> dict[str, int]:
        with self._lock:
            return dict(self._conn.execute("SELECT origin, seq FROM sync_heads").fetchall())

    @reads
    def events_of(self, origin: str, after_seq: int, limit: int = 500) -> list[dict]:
        """Shared events of `origin` with origin_seq > after_seq, oldest first, as sync payloads."""
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {', '.join(SYNC_COLUMNS)} FROM events WHERE origin = ? AND origin_seq > ? "
                "ORDER BY origin_seq LIMIT ?", (origin, after_seq, limit)).fetchall()
        return [dict(zip(SYNC_COLUMNS, row)) for row in rows]

    @reads
    def own_events(self, gate_id: str, after_seq: int, limit: int) -> tuple[list[dict], int, int | None]:
        """The events this gate recorded itself (every type) with seq > after_seq, oldest first, as its
        events topic carries them; the log's newest seq (own or merged); its oldest own seq still held."""
        with self._lock:
            rows = self._conn.execute(f"SELECT {EVENT_COLUMNS} FROM events WHERE gate = ? AND seq > ? ORDER BY seq "
                                      "LIMIT ?", (gate_id, after_seq, limit)).fetchall()
            newest = self._conn.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0]
            oldest = self._conn.execute("SELECT MIN(seq) FROM events WHERE gate = ?", (gate_id,)).fetchone()[0]
        return [_event(r).to_json() for r in rows], newest, oldest

    @reads
    def count_own(self, gate_id: str, after_seq: int, through_seq: int) -> int:
        """How many events this gate recorded itself with after_seq < seq <= through_seq."""
        with self._lock:
            return self._conn.execute("SELECT COUNT(*) FROM events WHERE gate = ? AND seq > ? AND seq <= ?",
                                      (gate_id, after_seq, through_seq)).fetchone()[0]

    @reads
    def last_code_step(self, pass_id: str) -> int | None:
        """The newest rotating-code step any gate of the site used for this pass, or None."""
        with self._lock:
            row = self._conn.execute("SELECT MAX(code_step) FROM events WHERE pass_id = ?", (pass_id,)).fetchone()
        return row[0] if row else None

    @reads
    def holder_movements(self, holders: list[str]) -> list[tuple]:
        """(holder, at, id, gate, type, reason) of these holders' movements, by holder then time."""
        if not holders:
            return []
        marks = ", ".join("?" * len(holders))
        with self._lock:
            return self._conn.execute(
                f"SELECT holder, at, id, gate, type, reason FROM events WHERE type IN ('entry', 'exit') "
                f"AND holder IN ({marks}) ORDER BY holder, at, seq", tuple(holders)).fetchall()

    @reads
    def net_admitted(self, gate_id: str, since: float) -> int:
        """Entries at `gate_id` since `since` that added someone, less its exits of people inside."""
        with self._lock:
            row = self._conn.execute(
                "SELECT COALESCE(SUM(type = 'entry' AND reason NOT IN ('granted_reentry', 'passback_flagged')), 0) - "
                "COALESCE(SUM(type = 'exit' AND reason != 'granted_not_inside'), 0) FROM events "
                "WHERE gate = ? AND at >= ? AND type IN ('entry', 'exit')", (gate_id, since)).fetchone()
        return int(row[0])

    @reads
    def inside_at(self, at: float) -> list[str]:
        """Holders whose latest movement before `at` was an entry (the site's presence at that moment)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT holder, type FROM (SELECT holder, type, ROW_NUMBER() OVER (PARTITION BY holder "
                "ORDER BY at DESC, seq DESC) AS n FROM events WHERE type IN ('entry', 'exit') "
                "AND holder IS NOT NULL AND at < ?) WHERE n = 1", (at,)).fetchall()
        return [h for h, t in rows if t == "entry"]

    @reads
    def movements_after(self, start: float) -> list[tuple]:
        """(at, id, gate, type, holder) of movements at or after `start`, in time order."""
        with self._lock:
            return self._conn.execute(
                "SELECT at, id, gate, type, holder FROM events WHERE type IN ('entry', 'exit') AND at >= ? "
                "ORDER BY at, seq", (start,)).fetchall()

    @reads
    def presence_rows(self) -> dict[str, tuple[bool, str, float]]:
        """holder -> (inside, gate, since): the whole presence table (tests, the simulator's checks)."""
        with self._lock:
            rows = self._conn.execute("SELECT holder, inside, gate, since FROM presence").fetchall()
        return {h: (bool(i), g, s) for h, i, g, s in rows}

    @reads
    def inside_since(self, before: float) -> list[tuple[str, str, float]]:
        """(holder, gate, since) of holders inside whose latest movement is older than `before`."""
        with self._lock:
            return self._conn.execute("SELECT holder, gate, since FROM presence WHERE inside = 1 AND since < ? "
                                      "ORDER BY since", (before,)).fetchall()

    @reads
    def last_entry_at(self, gate_id: str, since: float) -> str | None:
        """The holder of the newest entry at `gate_id` at or after `since`, if still inside."""
        with self._lock:
            row = self._conn.execute(
                "SELECT e.holder FROM events e JOIN presence p ON p.holder = e.holder AND p.inside = 1 "
                "WHERE e.gate = ? AND e.type = 'entry' AND e.at >= ? ORDER BY e.at DESC, e.seq DESC LIMIT 1",
                (gate_id, since)).fetchone()
        return row[0] if row else None

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

    def check_writable(self) -> None:
        """Raise LedgerError unless the log would take a write now: a write transaction is begun and
        rolled back, so a log turned read-only shows even when nothing waits to be written."""
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                self._conn.execute("DELETE FROM command_requests WHERE 0")
            except sqlite3.Error as exc:
                raise LedgerError(f"cannot write to the event log {self.path}: {exc}") from None
            finally:
                self._rollback()

    def _rollback(self) -> None:
        try:
            self._conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass

    # -- the MQTT outbox -------------------------------------------------------------
    @reads
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
