"""Sustained ingest into PostgreSQL from 50 gates publishing at once: events per second, and lost, as JSON.

    .venv/bin/python bench/site_ingest.py [--gates 50] [--events 400] [--engine postgresql|sqlite]

A real Mosquitto on a free loopback port (max_inflight_messages 1000, max_queued_messages 0, as
docs/site-server.md advises for the server's broker); the site server's Ingest (persistent session,
manual acknowledgement after commit, batch inserts) into a scratch database. A second process
plays the gates: one MQTT client per gate, each publishing its events (the gate's JSON, QoS 1)
as fast as the broker takes them, all at once. Rate = events / (first publish -> last row stored);
lost = events published - rows in the database.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / p) for p in ("controller", "simulator")]
sys.path.insert(0, str(Path(__file__).resolve().parent))

SITE = "site1"


def publish(port: int, gates: int, per_gate: int) -> None:
    """The gates' side (run in its own process): every gate publishes per_gate events at once."""
    import paho.mqtt.client as paho

    clients = []
    for g in range(gates):
        c = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"bench-gate-{g}")
        c.max_inflight_messages_set(100)
        c.connect("127.0.0.1", port)
        c.loop_start()
        clients.append(c)
    time.sleep(0.5)
    start = time.time()

    def run(g: int, client) -> None:
        gate = f"g{g:02d}"
        info = None
        for seq in range(1, per_gate + 1):
            kind = ("entry", "exit", "denied")[seq % 3]
            doc = {"id": uuid.uuid4().hex, "seq": seq, "at": time.time(), "gate": gate, "type": kind,
                   "reason": "granted" if kind != "denied" else "expired", "direction": "entry",
                   "pseudonym": f"{(g * per_gate + seq):016x}", "format": "qrgate-pass"}
            info = client.publish(f"qrgate/{SITE}/{gate}/events", json.dumps(doc), qos=1)
        info.wait_for_publish(120)

    threads = [threading.Thread(target=run, args=(g, c)) for g, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps({"start": start, "published_by": time.time()}), flush=True)
    for c in clients:
        c.disconnect()
        c.loop_stop()


def bench(url: str, gates: int, per_gate: int) -> dict:
    from gatesim.broker import MosquittoBroker
    from qrgate.server.config import ServerConfig
    from qrgate.server.db import Database
    from qrgate.server.ingest import Ingest
    from sqlalchemy import text

    broker = MosquittoBroker(extra_conf="max_inflight_messages 1000\nmax_queued_messages 0\n")
    try:
        cfg = ServerConfig.model_validate({"database": {"url": url}, "sites": [{"id": SITE}],
                                           "mqtt": {"port": broker.port, "client_id": "bench-site-server"}})
        db = Database(cfg.database)
        db.migrate()
        ingest = Ingest(cfg, db)
        ingest.start()
        ingest.connected.wait(10)
        total = gates * per_gate
        proc = subprocess.run([sys.executable, __file__, "--publisher", str(broker.port), "--gates", str(gates),
                               "--events", str(per_gate)], capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            raise SystemExit(f"the gates' process failed: {proc.stderr.strip()[-500:]}")
        times = json.loads(proc.stdout.strip().splitlines()[-1])
        def count() -> int:
            with db.engine.connect() as conn:
                return conn.execute(text("SELECT count(*) FROM events")).scalar()

        deadline = time.time() + 120
        stored = count()
        while stored < total and time.time() < deadline:
            time.sleep(0.05)
            stored = count()
        done = time.time()
        ingest.stop()
        db.close()
        seconds = done - times["start"]
        return {"bench": "site_ingest", "engine": "sqlite" if url.startswith("sqlite") else "postgresql",
                "gates": gates, "events": total, "stored": stored, "lost": total - stored,
                "seconds": round(seconds, 2), "events_per_second": round(stored / seconds),
                "publish_seconds": round(times["published_by"] - times["start"], 2),
                "batches": ingest.stats.stored_batches}
    finally:
        broker.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gates", type=int, default=50)
    parser.add_argument("--events", type=int, default=400, help="events per gate")
    parser.add_argument("--engine", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--publisher", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.publisher:
        publish(args.publisher, args.gates, args.events)
        return 0
    if args.engine == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(bench(f"sqlite:///{tmp}/site.db", args.gates, args.events)))
        return 0
    from site_pg import scratch_database

    with scratch_database("ingest") as url:
        print(json.dumps(bench(url, args.gates, args.events)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
