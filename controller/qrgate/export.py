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
    """Delete what is older than the retention period; call at start and once a day."""
    return ledger.purge(now - retention_days * DAY)
