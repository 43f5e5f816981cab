"""The stays the database holds, and the contacts a trace finds, against the definition written
out in plain Python (docs/site-server.md, "Contact tracing"), on random movements stored as the
server stores them (in batches, late and out of order, some twice), or paired afresh for new zones,
on SQLite and on PostgreSQL; and the order of contacts whose totals are equal."""

from __future__ import annotations

import math
import random
import uuid
from collections import defaultdict

import pytest
from sqlalchemy import select, text

from qrgate.server.app import create_app
from qrgate.server.config import RetentionConfig, ServedSiteConfig, ServerConfig
from qrgate.server.db import Database, events, schema_version, site_pairing
from qrgate.server.pairing import Pairing, repair
from qrgate.server.reports import stays_between, stays_select
from qrgate.server.retention import Purger
from qrgate.server.stays import Stay, clip
from qrgate.server.trace import trace
import site_server_fixtures
from waiting import wait_until

db_url, pg_database = site_server_fixtures.db_url, site_server_fixtures.pg_database  # each engine's database

T0 = 1_790_000_000.0
SPAN = 10 * 3600
SITES = [ServedSiteConfig(id="site1", max_stay_hours=2),
         ServedSiteConfig(id="site1", max_stay_hours=2, zones={"hall": ["g1", "g2"], "lab": ["g3"]})]


def movements(rng: random.Random, n: int) -> list[dict]:
    """n events at distinct instants on a 6 s grid (overlaps in tenths of a minute, no two at one
    instant): entries, exits, some denials and events with no pseudonym, a few at another site."""
    holders = [f"{i:016x}" for i in range(12)]
    rows = []
    for at in rng.sample(range(0, SPAN, 6), n):
        kind = rng.choices(["entry", "exit", "denied"], [10, 8, 1])[0]
        rows.append({"id": uuid.uuid4().hex, "site": "site2" if rng.random() < 0.05 else "site1",
                     "gate": rng.choice(["g1", "g2", "g3", "g4"]), "seq": len(rows), "at": T0 + at, "type": kind,
                     "reason": "granted", "direction": kind, "format": "qrgate-pass", "received_at": T0 + at,
                     "pseudonym": None if rng.random() < 0.05 else rng.choice(holders)})
    return rows


def expected_stays(rows: list[dict], site: ServedSiteConfig, lo: float, hi: float) -> list[Stay]:
    """Every movement in time order, per holder and place; each entry ends at the next one there
    (an exit gives its gate) or max_stay later, whichever is first; those overlapping [lo, hi]."""
    max_stay = site.max_stay_hours * 3600
    seen = defaultdict(list)
    for m in sorted(rows, key=lambda m: m["at"]):
        if m["site"] == site.id and m["type"] in ("entry", "exit") and m["pseudonym"]:
            seen[(m["pseudonym"], site.zone_of(m["gate"]) or site.id)].append(m)
    stays = []
    for (who, place), moves in seen.items():
        for m, after in zip(moves, moves[1:] + [None]):
            ends = after is not None and after["at"] <= m["at"] + max_stay
            end = after["at"] if ends else m["at"] + max_stay
            if m["type"] == "entry" and m["at"] <= hi and end > lo:
                stays.append(Stay(who, place, m["at"], end, m["gate"],
                                  after["gate"] if ends and after["type"] == "exit" else None))
    return sorted(stays)


def expected_contacts(rows, site, case, start, end, now) -> list[dict]:
    own = [c for c in (clip(s, start, end, now) for s in expected_stays(rows, site, start, end) if s.pseudonym == case)
           if c]
    if not own:
        return []
    # the case's time in each place: its stays, a stay that ends where the next begins joined to it
    joined: list[Stay] = []
    for stay in sorted(own, key=lambda s: (s.place, s.start)):
        if joined and joined[-1].place == stay.place and joined[-1].end == stay.start:
            joined[-1] = joined[-1]._replace(end=stay.end)
        else:
            joined.append(stay)
    found, tenths = [], defaultdict(int)
    for theirs in expected_stays(rows, site, min(s.start for s in own), max(s.end for s in own)):
        for mine in joined:
            lo, hi = max(theirs.start, mine.start), min(theirs.end, mine.end)
            if theirs.pseudonym != case and theirs.place == mine.place and hi > lo:
                tenths_of_minute = math.floor((hi - lo) / 6 + 0.5)  # halves up
                minutes = tenths_of_minute / 10
                tenths[theirs.pseudonym] += tenths_of_minute
                found.append({"pseudonym": theirs.pseudonym, "place": theirs.place, "start": lo, "end": hi,
                              "minutes": minutes, "entry_gate": theirs.entry_gate, "exit_gate": theirs.exit_gate})
    return sorted(found, key=lambda c: (-tenths[c["pseudonym"]], c["pseudonym"], c["start"]))


def database(url: str, rows: list[dict], site: ServedSiteConfig, rng: random.Random | None = None) -> Database:
    """The rows stored as the server stores them; with `rng`, in batches of random sizes, in a
    random order (as late events and catch-up bring them), and about one in ten twice."""
    db = Database(url)
    db.migrate()
    pairing = Pairing([site])
    order = list(rows)
    if rng is not None:
        order += rng.sample(rows, len(rows) // 10)
        rng.shuffle(order)
    while order:
        size = rng.randint(1, 60) if rng else len(order)
        batch, order = pairing.with_places(order[:size]), order[size:]
        with db.engine.begin() as conn:
            db.insert_ignoring_duplicates(conn, events, batch, ["id"])
            pairing.pair(db, conn, batch)
    return db


def paired_afresh(url: str, rows: list[dict], site: ServedSiteConfig) -> Database:
    """The rows stored under other zones (or, from before pairing, with no place at all), then
    paired again by the server's start for the site's zones."""
    db = Database(url)
    db.migrate()
    with db.engine.begin() as conn:
        conn.execute(events.insert(), Pairing([site.model_copy(update={"zones": {"old": ["g2", "g4"]}})])
                     .with_places(rows) if site.zones else rows)
    assert repair(db, [site]) == [site.id]
    assert repair(db, [site]) == []  # paired already: the next start does nothing
    return db


@pytest.mark.parametrize("site", SITES, ids=["site", "zones"])
def test_stays_and_contacts_match_the_definition_on_random_movements(db_url, site):
    for seed in range(3):
        rng = random.Random(seed)
        rows = movements(rng, 400)
        db = paired_afresh(db_url, rows, site) if seed == 2 else database(db_url, rows, site, rng)
        instants = sorted(r["at"] for r in rows)
        for _ in range(8):
            # windows that start or end on a movement, or max_stay after one (its scan's first instant)
            lo = rng.choice(instants) + rng.choice([0, site.max_stay_hours * 3600, 30])
            hi = max(lo, rng.choice(instants))
            assert sorted(stays_between(db, site, lo, hi)) == expected_stays(rows, site, lo, hi)
        for case in sorted({r["pseudonym"] for r in rows if r["pseudonym"]}):
            start = T0 + rng.randrange(0, SPAN // 2)
            end, now = start + rng.randrange(3600, SPAN), T0 + rng.randrange(SPAN // 2, SPAN + 3600)
            result = trace(db, site, case, start, end, now)
            assert result["contacts"] == expected_contacts(rows, site, case, start, end, now), (seed, case)
        with db.engine.begin() as conn:
            conn.execute(events.delete())
            conn.execute(site_pairing.delete())
        db.close()


def test_equal_totals_come_in_pseudonym_order(db_url):
    """0.1 + 0.2 minutes is 0.3 minutes, as one holder's 0.3: a float sum (0.30000000000000004)
    would put its holder first whatever the pseudonyms."""
    site = SITES[0]

    def stay(who, at, seconds):
        return [{"id": uuid.uuid4().hex, "site": "site1", "gate": "g1", "seq": 0, "at": at, "type": kind,
                 "reason": "granted", "direction": kind, "format": "qrgate-pass", "received_at": at, "pseudonym": who}
                for kind, at in (("entry", at), ("exit", at + seconds))]

    case, first, second = "c" * 16, "1" * 16, "2" * 16
    rows = (stay(case, T0, 600) + stay(second, T0 + 100, 6) + stay(second, T0 + 200, 12)
            + stay(first, T0 + 300, 18))
    db = database(db_url, rows, site)
    result = trace(db, site, case, T0 - 3600, T0 + 3600, T0 + 3600)
    assert [(c["pseudonym"], c["minutes"]) for c in result["contacts"]] == [(first, 0.3), (second, 0.1),
                                                                            (second, 0.2)]
    db.close()


def test_a_database_from_before_pairing_is_upgraded_and_paired_at_start(db_url):
    """A schema at core version 3 (no places, no pairs) with its events: the migration adds the
    columns and indexes, and the server's start (create_app) pairs the rows."""
    site = SITES[1]
    db = Database(db_url)
    db.migrate()
    with db.engine.begin() as conn:  # back to version 3, as an older qrgate left it
        for index in ("events_entries", "events_holder_at"):
            conn.exec_driver_sql(f"DROP INDEX {index}")
        for column in ("place", "next_at", "next_exit_gate"):
            conn.exec_driver_sql(f"ALTER TABLE events DROP COLUMN {column}")
        conn.exec_driver_sql("CREATE INDEX events_pseudonym_at ON events (pseudonym, at)")
        conn.exec_driver_sql("DROP TABLE site_pairing")
        conn.exec_driver_sql("UPDATE schema_version SET version = 3 WHERE component = 'core'")
    rows = movements(random.Random(7), 300)
    columns = ("id", "site", "gate", "seq", "at", "type", "reason", "direction", "pseudonym", "format", "received_at")
    with db.engine.begin() as conn:  # the columns of version 3
        conn.execute(text(f"INSERT INTO events ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})"),
                     rows)
    create_app(ServerConfig.model_validate({"database": {"url": db_url}, "sites": [site.model_dump()]}), db=db,
               plugins=[])
    with db.engine.connect() as conn:
        assert conn.execute(select(schema_version.c.version).where(schema_version.c.component == "core")).scalar() == 4
    lo, hi = T0, T0 + SPAN
    assert sorted(stays_between(db, site, lo, hi)) == expected_stays(rows, site, lo, hi)
    db.close()


def test_on_sqlite_a_case_s_own_stays_are_read_by_holder_once_the_purger_has_run(tmp_path):
    """SQLite keeps no planner statistics unless asked: without them it reads a case's stays
    through a day of entries by time; the purger's round refreshes them, and then it goes by holder."""
    site = SITES[0]
    rows = []
    for i in range(3000):
        who, at = f"{i:016x}", T0 + (i * 7) % SPAN
        rows += [{"id": f"{who}-{kind}", "site": "site1", "gate": "g1", "seq": 0, "at": at + shift, "type": kind,
                  "reason": "granted", "direction": kind, "format": "qrgate-pass", "received_at": at,
                  "pseudonym": who} for kind, shift in (("entry", 0), ("exit", 600))]
    db = database(f"sqlite:///{tmp_path}/site.db", rows, site)
    q = stays_select(site, T0, T0 + SPAN, pseudonym=f"{5:016x}")

    def plan() -> str:
        with db.engine.connect() as conn:
            sql = str(q.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
            return " ".join(str(step[-1]) for step in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))

    def has_statistics() -> bool:
        with db.engine.connect() as conn:
            return conn.exec_driver_sql("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'").scalar() > 0

    assert "events_entries" in plan()  # no statistics yet: by time
    purger = Purger(db, RetentionConfig(), clock=lambda: T0 + SPAN)
    purger.start()
    try:
        assert wait_until(has_statistics)
    finally:
        purger.stop()
    assert "events_holder_at" in plan(), plan()
    assert [s.pseudonym for s in stays_between(db, site, T0, T0 + SPAN, pseudonym=f"{5:016x}")] == [f"{5:016x}"]
    db.close()
