"""The site server catching up after missing every gate's events, by one way in. Prints JSON.

    .venv/bin/python bench/site_server_catchup.py [--gates 3] [--missed 2000] [--engine sqlite|postgresql]
                                                  [--path exchange|history]

A real Mosquitto on a free loopback port; `gates` production GateApps of one site (site sync on,
each its own ledger file and MQTT connection). While no server runs, each gate records `missed`
events straight into its ledger (as bench/site_sync.py does); its outbox delivers them to the
broker, which keeps nothing for a server it has never seen. Then the site server's Ingest starts
with an empty database and a new client id: seconds = Ingest.start() -> every missed event stored.

--path exchange: shared movements (entries and exits), which the gates also exchange; the gates
do not answer for their history (as an earlier version), so all of it comes through the gates'
batches, and every site head must be held (`from_outbox` must be 0).
--path history: denials, which the exchange does not carry; all of it comes in the gates' history
answers (`from_history`), and every gate head must reach the gate's newest seq.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / p) for p in ("controller", "simulator", "tests")]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import site_gate_app  # noqa: E402  (the tests' way to build a site's gate)
from gatesim.broker import MosquittoBroker  # noqa: E402
from qrgate.credentials.keys import new_key  # noqa: E402
from qrgate.server.config import ServerConfig  # noqa: E402
from qrgate.server.db import Database, events, gate_heads, site_heads  # noqa: E402
from qrgate.server.ingest import Ingest  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from waiting import wait_until as _wait  # noqa: E402


def bench(url: str, work: Path, n_gates: int, missed: int, path: str = "exchange") -> dict:
    broker = MosquittoBroker()
    site = f"b{uuid.uuid4().hex[:8]}"
    names = [f"g{i}" for i in range(1, n_gates + 1)]
    keys = new_key(work / "keys")
    gates = {g: site_gate_app(work, keys["trust"], broker.port, site, g, start=False) for g in names}
    for app in gates.values():
        if path == "exchange":  # the exchange alone brings them
            app.reporter.extensions.remove(app.reporter.history)
        app.start(cameras=False)
    ingest = db = None
    try:
        assert _wait(lambda: all(a.site.peers.get(p) is not None and a.site.peers[p].heard
                                 for g, a in gates.items() for p in names if p != g), 30), "the gates never met"
        t = time.time() - missed
        for g, app in gates.items():  # people come and go while the server is away
            for i in range(missed):
                if path == "history":
                    app.ledger.record(at=t + i * 0.5, gate_id=g, type="denied", reason="expired", direction="entry",
                                      holder=f"{g}-{i:05d}", format="qrgate-pass")
                    continue
                kind = "entry" if i % 2 == 0 else "exit"
                app.ledger.record(at=t + i * 0.5, gate_id=g, type=kind, reason="granted", direction=kind,
                                  holder=f"{g}-{i // 2:05d}", format="qrgate-pass")
        heads = {g: a.ledger.last_seq_from(g) for g, a in gates.items()}
        newest = {g: a.ledger.events()[-1].seq for g, a in gates.items()}
        settled = _wait(lambda: all(a.ledger.last_seq_from(g) == heads[g] for a in gates.values() for g in names)
                        and not any(a.ledger.pending(1) for a in gates.values()), 120)
        assert settled, "the gates never settled"
        cfg = ServerConfig.model_validate({"database": {"url": url}, "sites": [{"id": site}],
                                           "mqtt": {"host": "127.0.0.1", "port": broker.port,
                                                    "client_id": f"server-{site}"}})
        db = Database(cfg.database)
        db.migrate()
        ingest = Ingest(cfg, db)

        def count() -> int:
            with db.engine.connect() as conn:
                return conn.execute(select(func.count()).select_from(events)).scalar()

        def held() -> bool:
            with db.engine.connect() as conn:
                if path == "exchange":
                    return dict(conn.execute(select(site_heads.c.origin, site_heads.c.seq)).all()) == heads
                got = dict(conn.execute(select(gate_heads.c.gate, gate_heads.c.seq)).all())
                return all(got.get(g, 0) >= seq for g, seq in newest.items())

        started = time.perf_counter()
        ingest.start()
        done = _wait(lambda: count() >= n_gates * missed and held(), 600)
        seconds = time.perf_counter() - started
        stored = count()
        way = ({"from_outbox": ingest.stats.written, "batch": gates[names[0]].cfg.site.sync.batch}
               if path == "exchange" else {"from_history": ingest.history.received})
        return {"engine": url.split(":", 1)[0], "path": path, "gates": n_gates, "missed_per_gate": missed,
                "stored": stored, "converged": done and stored == n_gates * missed, **way,
                "seconds": round(seconds, 2), "events_per_second": round(stored / seconds),
                "loadavg": Path("/proc/loadavg").read_text().split()[:3]}
    finally:
        if ingest is not None:
            ingest.stop()
        if db is not None:
            db.close()
        for app in gates.values():
            app.stop()
        broker.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gates", type=int, default=3)
    parser.add_argument("--missed", type=int, default=2000, help="events each gate records while the server is away")
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--path", choices=("exchange", "history"), default="exchange",
                        help="movements through the site exchange, or denials through the gates' histories")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="qrgate-bench-catchup-") as tmp:
        if args.engine == "sqlite":
            result = bench(f"sqlite:///{tmp}/site.db", Path(tmp), args.gates, args.missed, args.path)
        else:
            from site_pg import scratch_database

            with scratch_database("catchup") as url:
                result = bench(url, Path(tmp), args.gates, args.missed, args.path)
    print(json.dumps(result))
    way_ok = result.get("from_outbox", 0) == 0 and result.get("from_history", result["stored"]) == result["stored"]
    return 0 if result["converged"] and way_ok else 1


if __name__ == "__main__":
    sys.exit(main())
