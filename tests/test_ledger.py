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
    assert reopened.is_inside("b") and not reopened.is_inside("a")
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


# -- what decide() needs, retention, export, overrides, pseudonyms ---------------------------------

def _move(ledger, at, type, holder, gate="g", reason="granted"):
    return ledger.record(at=at, gate_id=gate, type=type, reason=reason, direction=type, holder=holder)


def test_gather_presence_counts_today_zone_and_last_entry(tmp_path):
    from qrgate.policy.rules import Policy
    from qrgate.policy.hours import day_start
    from qrgate.policy.presence import gather_presence

    ledger = Ledger(tmp_path / "l.db")
    policy = Policy(timezone="Asia/Ho_Chi_Minh", zone_gates=frozenset({"lab-door"}))
    now = 1_800_000_000.0
    midnight = day_start(now, policy.timezone)
    _move(ledger, midnight - 60, "entry", "a")  # yesterday, local time
    _move(ledger, midnight - 30, "exit", "a")
    _move(ledger, midnight + 60, "entry", "a", gate="lab-door")
    _move(ledger, midnight + 90, "entry", "b", gate="main")
    ledger.record(at=midnight + 95, gate_id="g", type="denied", reason="expired", holder="a")
    p = gather_presence(ledger, "a", policy, now)
    assert (p.holder_inside, p.occupancy, p.zone_occupancy, p.entries_today, p.last_entry_at) == \
        (True, 2, 1, 1, midnight + 60)
    nobody = gather_presence(ledger, None, policy, now)
    assert (nobody.entries_today, nobody.last_entry_at, nobody.occupancy) == (0, None, 2)
    assert gather_presence(ledger, "new", policy, now).last_entry_at is None


def test_purge_keeps_recent_rows_undelivered_events_and_people_inside(tmp_path):
    from qrgate.export import purge_expired

    ledger = Ledger(tmp_path / "l.db")
    day = 86400
    now = 1_800_000_000.0
    old_in = _move(ledger, now - 40 * day, "entry", "stays")
    _move(ledger, now - 40 * day, "entry", "left")
    _move(ledger, now - 39 * day, "exit", "left")
    _move(ledger, now - day, "entry", "recent")
    ledger.delivered([row[0] for row in ledger.pending()])
    undelivered = ledger.record(at=now - 50 * day, gate_id="g", type="denied", reason="expired")
    assert purge_expired(ledger, 30, now) == 3
    ids = [e.id for e in ledger.events()]
    assert undelivered.id in ids and old_in.id not in ids and len(ids) == 2
    assert ledger.is_inside("stays")  # still inside: presence kept
    rows = ledger._conn.execute("SELECT holder FROM presence ORDER BY holder").fetchall()
    assert [r[0] for r in rows] == ["recent", "stays"]
    assert ledger.counts(now)["total"]["entries"] == 3  # counters hold no pseudonyms and stay


def test_export_is_pseudonymous_csv_in_the_window(tmp_path):
    import csv
    import io

    from qrgate.export import COLUMNS, movements_csv

    ledger = Ledger(tmp_path / "l.db")
    t = 1_800_000_000.0
    _move(ledger, t - 10, "entry", "p-before")
    _move(ledger, t, "entry", "p1", gate="north")
    ledger.record(at=t + 5, gate_id="north", type="denied", reason="expired", holder="p2")
    _move(ledger, t + 10, "exit", "p1", gate="south")
    _move(ledger, t + 20, "entry", "p-after")
    rows = list(csv.reader(io.StringIO(movements_csv(ledger, t, t + 20))))
    assert rows == [list(COLUMNS), ["2027-01-15T08:00:00Z", "north", "entry", "p1"],
                    ["2027-01-15T08:00:10Z", "south", "exit", "p1"]]


def test_override_detail_is_logged_with_the_event(tmp_path):
    from qrgate.policy.rules import GuardOverride

    ledger = Ledger(tmp_path / "l.db")
    event = ledger.record(at=1.0, gate_id="g", type="entry", reason="guard_override", direction="entry",
                          detail=GuardOverride("guard-7", "phone battery dead").detail())
    assert ledger.details(event.id) == {"override_by": "guard-7", "override_why": "phone battery dead"}
    assert ledger.details(_move(ledger, 2.0, "entry", "x").id) is None


def test_old_log_without_detail_column_is_upgraded(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript("CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, "
                       "at REAL NOT NULL, gate TEXT NOT NULL, type TEXT NOT NULL, reason TEXT NOT NULL, "
                       "direction TEXT, holder TEXT, format TEXT);")
    conn.close()
    ledger = Ledger(path)
    event = ledger.record(at=1.0, gate_id="g", type="entry", reason="guard_override", detail={"override_by": "g"})
    assert ledger.details(event.id) == {"override_by": "g"}


def test_a_leaked_log_cannot_be_joined_to_id_numbers(tmp_path):
    """Pseudonyms are HMACs under the site secret: hashing every ID number without it finds nothing."""
    import hashlib

    from qrgate.credentials import native
    from qrgate.pseudonym import PSEUDONYM_HEX, pseudonym

    site_secret, issuer = b"s" * 32, b"i" * 32
    ids = [f"0790{n:08d}" for n in range(2000)]  # citizen ID numbers an attacker could enumerate
    holder_of = {i: native.holder_pseudonym(issuer, i).hex() for i in ids}
    ledger = Ledger(tmp_path / "l.db")
    for i in ids[:50]:
        _move(ledger, 1.0, "entry", pseudonym(site_secret, "qrgate-pass", holder_of[i]))
    logged = {e.holder for e in ledger.events()}
    assert len(logged) == 50 and all(len(h) == PSEUDONYM_HEX for h in logged)
    dump = (tmp_path / "l.db").read_bytes()
    assert not any(i.encode() in dump for i in ids[:50])
    # the attacker's guesses: plain hashes, the pass's own holder field, the right HMAC under a wrong key
    guesses = set()
    for i in ids:
        guesses |= {hashlib.sha256(i.encode()).hexdigest()[:PSEUDONYM_HEX], holder_of[i],
                    pseudonym(b"x" * 32, "qrgate-pass", holder_of[i])}
    assert not logged & guesses
    # with the site secret the site itself can find a case's visits (contact tracing)
    assert pseudonym(site_secret, "qrgate-pass", holder_of[ids[3]]) in logged


def test_days_follow_the_site_time_zone_not_the_system_clock(tmp_path):
    """At 23:30 UTC it is already 06:30 the next morning in Vietnam: that entry counts for the new day."""
    import datetime as dt

    late_utc = dt.datetime(2026, 3, 9, 23, 30, tzinfo=dt.timezone.utc).timestamp()
    vietnam = Ledger(tmp_path / "vn.db", timezone="Asia/Ho_Chi_Minh")
    utc = Ledger(tmp_path / "utc.db", timezone="UTC")
    for ledger in (vietnam, utc):
        ledger.record(at=late_utc, gate_id="g", type="entry", reason="granted", holder="h")
    eight_am_vietnam = dt.datetime(2026, 3, 10, 1, 0, tzinfo=dt.timezone.utc).timestamp()
    assert vietnam.counts(eight_am_vietnam)["today"]["entries"] == 1
    assert utc.counts(eight_am_vietnam)["today"]["entries"] == 0
