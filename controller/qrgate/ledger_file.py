"""The event log's SQLite file: its tables, opening it with the durability the gate relies on,
and saying what is wrong, in words a technician can act on, when it will not open."""

from __future__ import annotations

import functools
import os
import sqlite3
from pathlib import Path

from .errors import LedgerError

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
CREATE TABLE IF NOT EXISTS sync_heads (
    origin TEXT PRIMARY KEY,
    seq INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS count_offsets (
    day TEXT NOT NULL,
    name TEXT NOT NULL,
    value INTEGER NOT NULL,
    PRIMARY KEY (day, name)
);
CREATE TABLE IF NOT EXISTS command_requests (
    request_id TEXT PRIMARY KEY,
    at REAL NOT NULL
);
"""
#: columns added after the first release, with their type: added to older logs on open
ADDED_COLUMNS = {"events": (("detail", "TEXT"), ("pass_id", "TEXT"), ("origin", "TEXT"), ("origin_seq", "INTEGER"),
                            ("code_step", "INTEGER"), ("order_at", "REAL")),
                 "presence": (("event_id", "TEXT"),)}
INDEXES = """
CREATE UNIQUE INDEX IF NOT EXISTS events_origin ON events(origin, origin_seq) WHERE origin_seq IS NOT NULL;
CREATE INDEX IF NOT EXISTS events_pass ON events(pass_id) WHERE pass_id IS NOT NULL;
"""


def open_problem(path: Path, exc: sqlite3.Error) -> str:
    """What is wrong with a log that would not open, said so that a technician can act on it."""
    text = str(exc)
    if "readonly" in text or "read-only" in text or not os.access(path.parent, os.W_OK):
        return (f"the event log {path} cannot be written: its filesystem is read-only or the file is "
                f"not writable by this user ({text}); the gate needs a writable state directory")
    if "full" in text:
        return f"the event log {path} cannot be written: the disk is full ({text}); free space first"
    return (f"the event log {path} is damaged or not a qrgate log ({text}): move it aside and restore "
            "a backup; `qrgate doctor` checks the log")


def connect(path: str | Path) -> sqlite3.Connection:
    try:
        conn = sqlite3.connect(str(path), timeout=5.0, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA busy_timeout=5000")
    except sqlite3.Error as exc:
        raise LedgerError(open_problem(Path(path), exc)) from None
    return conn


def open_log(path: Path) -> sqlite3.Connection:
    """The writer's connection to a log that passed a quick integrity check, with every table,
    column and index this version needs (older logs gain the columns added since)."""
    conn = connect(path)
    try:
        damage = [row[0] for row in conn.execute("PRAGMA quick_check(3)")]
        if damage != ["ok"]:
            raise sqlite3.DatabaseError("; ".join(line for text in damage for line in text.splitlines()))
        conn.executescript(SCHEMA)
        for table, added in ADDED_COLUMNS.items():
            columns = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
            for name, kind in added:
                if name not in columns:
                    conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
        conn.executescript(INDEXES)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise LedgerError(open_problem(path, exc)) from None
    return conn


def reads(method):
    """A read that meets a damaged, closed or vanished log says so as a LedgerError, never a raw sqlite3 error."""
    @functools.wraps(method)
    def reading(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot read the event log {self.path}: {exc}") from None
    return reading
