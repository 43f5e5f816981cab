"""Contact-trace query time over a million movements, p50 and p99, as JSON.

    .venv/bin/python bench/site_trace.py [--movements 1000000] [--queries 200] [--engine postgresql|sqlite]

Synthetic sites (--sites, default 1: all movements at one site): 30 days, 4 gates, stays of
10 min to 8 h by day (each stay an entry and an exit: movements / 2 stays), holders drawn from a pool so people come back. Each query is the
API's trace (server/trace.py) of a random holder over the day of one of their visits, with
the default longest stay (24 h). Rows are loaded with COPY (PostgreSQL) or executemany (SQLite),
then paired by the server's start (pairing.repair: `pair_seconds`), as a database from before
pairing is. On PostgreSQL the table is then compacted (VACUUM FULL, then VACUUM ANALYZE for the
visibility map): pairing a million rows at once rewrites each, where a running server's ingest
rewrites an entry once, when its exit comes, and autovacuum reuses the space.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / p) for p in ("controller", "simulator")]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import select  # noqa: E402

from qrgate.server.config import ServedSiteConfig  # noqa: E402
from qrgate.server.db import Database, events  # noqa: E402
from qrgate.server.pairing import repair  # noqa: E402
from qrgate.server.trace import trace  # noqa: E402
from site_pg import scratch_database  # noqa: E402

DAY = 86400
T0 = 1_790_000_000.0


def movements(n: int, rng: random.Random, sites: int) -> list[tuple]:
    """The movements in time order, as the gates record (and the server mostly receives) them."""
    holders = max(n // 40, 100)  # each holder visits about 20 times in the month
    rows = []
    for i in range(n // 2):
        site = f"site{i % sites + 1}"
        day = rng.randrange(30)
        start = T0 + day * DAY + rng.uniform(6, 20) * 3600
        end = start + rng.uniform(600, 8 * 3600)
        who = f"{rng.randrange(holders):016x}"
        rows.append((f"e{i}a", site, f"g{rng.randrange(4)}", 0, start, "entry", "granted", "entry", who, "qg", start))
        rows.append((f"e{i}b", site, f"g{rng.randrange(4)}", 0, end, "exit", "granted", "exit", who, "qg", end))
    rows.sort(key=lambda r: r[4])
    return [r[:3] + (seq,) + r[4:] for seq, r in enumerate(rows, start=1)]


def load(db: Database, n: int, rng: random.Random, sites: int) -> float:
    """The movements stored, then paired; the seconds the pairing took."""
    cols = ("id", "site", "gate", "seq", "at", "type", "reason", "direction", "pseudonym", "format", "received_at")
    if db.is_sqlite:
        rows = [dict(zip(cols, r)) for r in movements(n, rng, sites)]
        with db.engine.begin() as conn:
            conn.execute(events.insert(), rows)
        return pair(db, sites)
    raw = db.engine.raw_connection()
    try:
        with raw.cursor() as cur, cur.copy(f"COPY events ({', '.join(cols)}) FROM STDIN") as copy:
            for row in movements(n, rng, sites):
                copy.write_row(row)
        raw.commit()
    finally:
        raw.close()
    seconds = pair(db, sites)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM FULL events")
        conn.exec_driver_sql("VACUUM ANALYZE events")  # what autovacuum does after a bulk load
    return seconds


def pair(db: Database, sites: int) -> float:
    began = time.perf_counter()
    repair(db, [ServedSiteConfig(id=f"site{i + 1}") for i in range(sites)])
    return time.perf_counter() - began


def run(url: str, n: int, queries: int, sites: int) -> dict:
    rng = random.Random(16)
    db = Database(url)
    db.migrate()
    t = time.perf_counter()
    pair_s = load(db, n, rng, sites)
    load_s = time.perf_counter() - t - pair_s
    site = ServedSiteConfig(id="site1")
    with db.engine.connect() as conn:
        # plain tuples, untracked by the garbage collector: the bench's own objects do not slow it
        cases = [tuple(r) for r in conn.execute(select(events.c.pseudonym, events.c.at).where(
            events.c.type == "entry", events.c.site == "site1").limit(50_000))]
    gc.freeze()  # as `qrgate site serve` does once started
    ms, people = [], []
    for i in range(queries + 5):
        case, at = rng.choice(cases)
        day0 = T0 + ((at - T0) // DAY) * DAY
        t = time.perf_counter()
        result = trace(db, site, case, day0, day0 + DAY, now=T0 + 40 * DAY)
        if i >= 5:  # the first few warm the caches
            ms.append((time.perf_counter() - t) * 1000)
            people.append(result["people"])
    db.close()
    ms.sort()
    return {"bench": "site_trace", "engine": "sqlite" if url.startswith("sqlite") else "postgresql",
            "movements": n, "sites": sites, "queries": queries, "window_hours": 24, "load_seconds": round(load_s, 1),
            "pair_seconds": round(pair_s, 1),
            "p50_ms": round(ms[len(ms) // 2], 1), "p99_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 1),
            "max_ms": round(ms[-1], 1), "contacts_per_trace_p50": sorted(people)[len(people) // 2]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--movements", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--engine", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--sites", type=int, default=1, help="spread the movements over this many sites of one "
                                                             "database (a trace reads its own site's)")
    args = parser.parse_args()
    if args.engine == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(run(f"sqlite:///{tmp}/site.db", args.movements, args.queries, args.sites)))
    else:
        with scratch_database("trace") as url:
            print(json.dumps(run(url, args.movements, args.queries, args.sites)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
