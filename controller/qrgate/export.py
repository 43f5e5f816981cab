"""Exports for health authorities, and the retention purge.

The export holds pseudonymous movements only: time, gate, entry or exit, and the site-keyed
pseudonym (HMAC with the site secret). Nobody without the site secret can join it to a
name or an ID number; with it, the site can answer "where was pseudonym X" for a case.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import TextIO

from .ledger import Ledger

COLUMNS = ("time_utc", "gate", "movement", "pseudonym")
DAY = 86400


def _iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def write_movements(ledger: Ledger, start: float, end: float, out: TextIO) -> int:
    """CSV of entries and exits with start <= time < end; returns the number of rows."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    rows = ledger.movements(start, end)
    for at, gate, movement, holder in rows:
        writer.writerow((_iso(at), gate, movement, holder or ""))
    return len(rows)


def movements_csv(ledger: Ledger, start: float, end: float) -> str:
    buffer = io.StringIO()
    write_movements(ledger, start, end, buffer)
    return buffer.getvalue()


def purge_expired(ledger: Ledger, retention_days: float, now: float) -> int:
    """Delete what is older than the retention period (an admin's one-off purge, `qrgate purge`)."""
    return ledger.purge(now - retention_days * DAY)


class PurgeSchedule:
    """When a running gate purges, and up to where, on a wall clock that may jump (pure).

    A purge waits until the wall clock has agreed with the monotonic clock for a while (the
    caller's ClockWatch says so), runs once every `every_seconds` of monotonic time, and its
    cutoff moves forward no faster than monotonic time since the previous purge: a clock
    stepped 40 days ahead cannot take 40 days of events with it. The ledger itself never
    deletes an event the broker has not acknowledged yet (Ledger.purge).
    """

    def __init__(self, retention_days: float, *, every_seconds: float = DAY):
        self.retention_seconds = retention_days * DAY
        self.every_seconds = every_seconds
        self._next = float("-inf")  # monotonic time of the next purge
        self._last: tuple[float, float] | None = None  # (cutoff, monotonic time) of the previous purge

    def cutoff(self, wall: float, mono: float, clock_settled: bool) -> float | None:
        """The time before which events may go now, or None when no purge is due."""
        if not clock_settled or mono < self._next:
            return None
        cutoff = wall - self.retention_seconds
        if self._last is not None:
            last_cutoff, last_mono = self._last
            cutoff = max(last_cutoff, min(cutoff, last_cutoff + (mono - last_mono)))
        self._last = (cutoff, mono)
        self._next = mono + self.every_seconds
        return cutoff
