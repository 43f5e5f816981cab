"""The site lists and the identity codes seen, in one SQLite file beside the event log.

Never an ID number, a name, a birth date or a phone in clear: per list row the keyed hash
of the ID number (site secret; what the gate matches), keyed hashes of the normalised name
and of the birth date, and the row sealed to the staff terminal's key. Per identity code
seen at a gate: the same keyed hashes, when it was last seen, and what it said (name, birth
date) sealed to the staff key. The event log holds none of this.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from pathlib import Path

from ..credentials import citizen_id as cid
from ..credentials import personal_fields
from ..errors import ListError
from . import seal
from .csvfile import ListRow

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS lists (name TEXT PRIMARY KEY, imported_at REAL NOT NULL, rows INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS entries (
    list TEXT NOT NULL, line INTEGER NOT NULL, holder TEXT NOT NULL, name_key TEXT NOT NULL,
    birth_key TEXT, sealed BLOB NOT NULL, PRIMARY KEY (list, line));
CREATE INDEX IF NOT EXISTS entries_holder ON entries(holder);
CREATE TABLE IF NOT EXISTS sightings (
    holder TEXT NOT NULL, format TEXT NOT NULL, name_key TEXT NOT NULL, birth_key TEXT NOT NULL,
    last_seen REAL NOT NULL, sealed BLOB, PRIMARY KEY (holder, format, name_key, birth_key));
"""
LIST_NAME = re.compile(r"[A-Za-z0-9_-]{1,40}\Z")
PUBLIC_KEY = "seal_public_key"


def lists_path(state_dir: str | Path) -> Path:
    return Path(state_dir) / "lists.sqlite3"


def check_name(name: str) -> str:
    if not LIST_NAME.match(name):
        raise ListError(f"list name {name!r}: use 1-40 letters, digits, '-' or '_'")
    return name


class SiteLists:
    """Thread-safe: camera threads match and note sightings while the CLI may import."""

    def __init__(self, path: str | Path, site_secret: bytes):
        self.path = Path(path)
        self._key = site_secret
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(str(self.path), timeout=5.0, isolation_level=None, check_same_thread=False)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.executescript(SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            raise ListError(f"cannot open the site lists {self.path}: {exc}") from None

    # -- the staff terminal's key ------------------------------------------------------
    @property
    def public_key(self) -> bytes | None:
        with self._lock:
            row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (PUBLIC_KEY,)).fetchone()
        return bytes(row[0]) if row else None

    def set_public_key(self, public_key: bytes) -> None:
        with self._lock:
            self._conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET "
                               "value = excluded.value", (PUBLIC_KEY, public_key))

    # -- lists ---------------------------------------------------------------------------
    def replace(self, name: str, rows: list[ListRow], at: float) -> int:
        """Put `rows` in place of list `name` in one transaction; returns the number kept."""
        check_name(name)
        public_key = self.public_key
        if public_key is None:
            raise ListError(f"{self.path} has no staff key yet; `qrgate list import` makes one")
        values = []
        for row in rows:
            private = json.dumps({"name": row.name, "birth": row.birth.isoformat() if row.birth else None,
                                  "phone": row.phone}, ensure_ascii=False).encode()
            values.append((name, row.line, cid.id_holder(self._key, row.kind, row.number),
                           cid.name_key(self._key, row.name),
                           cid.birth_key(self._key, row.birth) if row.birth else None,
                           seal.seal(public_key, private)))
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                self._conn.execute("DELETE FROM entries WHERE list = ?", (name,))
                self._conn.executemany("INSERT INTO entries (list, line, holder, name_key, birth_key, sealed) "
                                       "VALUES (?, ?, ?, ?, ?, ?)", values)
                self._conn.execute("INSERT INTO lists (name, imported_at, rows) VALUES (?, ?, ?) ON CONFLICT(name) "
                                   "DO UPDATE SET imported_at = excluded.imported_at, rows = excluded.rows",
                                   (name, at, len(values)))
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._conn.execute("ROLLBACK")
                raise ListError(f"cannot write list {name!r} to {self.path}: {exc}") from None
        return len(values)

    def remove(self, name: str) -> bool:
        with self._lock:
            self._conn.execute("DELETE FROM entries WHERE list = ?", (name,))
            return self._conn.execute("DELETE FROM lists WHERE name = ?", (name,)).rowcount > 0

    def names(self) -> list[tuple[str, float, int]]:
        with self._lock:
            return self._conn.execute("SELECT name, imported_at, rows FROM lists ORDER BY name").fetchall()

    def entries(self, name: str) -> list[tuple[int, str, str, str | None, bytes]]:
        """(line, holder, name_key, birth_key, sealed) of each row of list `name`."""
        with self._lock:
            if not self._conn.execute("SELECT 1 FROM lists WHERE name = ?", (name,)).fetchone():
                raise ListError(f"no list named {name!r} in {self.path}")
            return self._conn.execute("SELECT line, holder, name_key, birth_key, sealed FROM entries "
                                      "WHERE list = ? ORDER BY line", (name,)).fetchall()

    # -- at the gate ------------------------------------------------------------------------
    def is_listed(self, holder: str, names: tuple[str, ...] | list[str] = ()) -> bool:
        """Whether the keyed ID hash is on any list (or on one of `names`)."""
        query, args = "SELECT 1 FROM entries WHERE holder = ?", [holder]
        if names:
            query += f" AND list IN ({', '.join('?' * len(names))})"
            args += list(names)
        with self._lock:
            return self._conn.execute(query + " LIMIT 1", args).fetchone() is not None

    def saw(self, credential, at: float, payload: str | None = None) -> None:
        """Note an identity code seen at the gate for `qrgate list check`: its keyed hashes, and what it
        said (from `payload`) sealed to the staff key, which the gate cannot open."""
        attributes = credential.attributes
        public_key = self.public_key
        sealed = None
        if payload is not None and public_key is not None:
            said = personal_fields(payload)
            sealed = seal.seal(public_key, json.dumps(said, ensure_ascii=False).encode()) if said else None
        with self._lock:
            self._conn.execute(
                "INSERT INTO sightings (holder, format, name_key, birth_key, last_seen, sealed) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(holder, format, name_key, birth_key) DO UPDATE SET "
                "last_seen = MAX(last_seen, excluded.last_seen), sealed = COALESCE(excluded.sealed, sealed)",
                (credential.holder, credential.format, attributes.get("name_key", ""),
                 attributes.get("birth_key", ""), at, sealed))

    def sightings(self, holder: str) -> list[tuple[str, str, str, float, bytes | None]]:
        """(format, name_key, birth_key, last_seen, sealed) of the codes seen for one keyed ID hash."""
        with self._lock:
            return self._conn.execute("SELECT format, name_key, birth_key, last_seen, sealed FROM sightings "
                                      "WHERE holder = ? ORDER BY last_seen", (holder,)).fetchall()

    def unlisted_sightings(self) -> int:
        """How many people were seen with an identity code that is on no list."""
        with self._lock:
            return self._conn.execute("SELECT COUNT(DISTINCT holder) FROM sightings WHERE holder NOT IN "
                                      "(SELECT holder FROM entries)").fetchone()[0]

    def purge_sightings(self, before: float) -> int:
        with self._lock:
            return self._conn.execute("DELETE FROM sightings WHERE last_seen < ?", (before,)).rowcount

    def close(self) -> None:
        with self._lock:
            self._conn.close()
