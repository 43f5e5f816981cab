"""The SQLite log: durable settings, presence and counts that survive a restart, the outbox."""

from __future__ import annotations

import sqlite3

from qrgate.ledger import Ledger


def test_wal_and_full_sync(tmp_path):
    ledger = Ledger(tmp_path / "l.db")
    mode = ledger._conn.execute("PRAGMA journal_mode").fetchone()[0]
    sync = ledger._conn.execute("PRAGMA synchronous").fetchone()[0]
    assert mode == "wal" and sync == 2  # 2 = FULL


def test_presence_and_counts_survive_restart(tmp_path, now):
    path = tmp_path / "l.db"
    ledger = Ledger(path)
    ledger.record(at=now, gate_id="g", type="entry", reason="granted", direction="entry", holder="a")
    ledger.record(at=now, gate_id="g", type="entry", reason="granted", direction="entry", holder="b")
    ledger.record(at=now, gate_id="g", type="exit", reason="granted", direction="exit", holder="a")
    ledger.record(at=now, gate_id="g", type="denied", reason="expired", direction="entry")
    ledger.close()

    reopened = Ledger(path)
    assert reopened.presence("b").holder_inside and not reopened.presence("a").holder_inside
    counts = reopened.counts(now)
    assert counts["total"] == {"entries": 2, "exits": 1, "denials": 1}
    assert counts["today"] == counts["total"] and counts["occupancy"] == 1


def test_events_are_committed_with_outbox_rows_and_cleared_on_delivery(tmp_path, now):
    ledger = Ledger(tmp_path / "l.db")
    events = [ledger.record(at=now, gate_id="g", type="denied", reason="expired") for _ in range(3)]
    # another connection sees them at once: the commit happened before record() returned
    other = sqlite3.connect(tmp_path / "l.db")
    assert other.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 3
    pending = ledger.pending()
    assert [row[1] for row in pending] == [e.id for e in events]
    assert len({e.id for e in events}) == 3
    ledger.delivered([pending[0][0]])
    assert [row[1] for row in ledger.pending()] == [e.id for e in events[1:]]


def test_counters_split_by_day(tmp_path):
    ledger = Ledger(tmp_path / "l.db")
    day = 86400
    ledger.record(at=1_800_000_000, gate_id="g", type="denied", reason="expired")
    ledger.record(at=1_800_000_000 + 2 * day, gate_id="g", type="denied", reason="expired")
    counts = ledger.counts(1_800_000_000 + 2 * day)
    assert counts["today"]["denials"] == 1 and counts["total"]["denials"] == 2
