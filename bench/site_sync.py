"""Shared presence between gates on a loopback Mosquitto. Prints JSON.

    python bench/site_sync.py [--decisions 300] [--missed 1000]

propagation: a pass scanned at gate A (verify, decide, ledger commit, relay) until gate B's
ledger holds the movement (merged, presence updated): the time from handle_scan returning at
A to B's merge returning. Both gates are production GateApps in this process, each with
its own ledger file and its own MQTT connection.
catch_up: gate B is stopped while gate A records `missed` shared events; then B starts again
(constructor, start, broker connect, secret check) and the time until B holds every one of
them and has the same presence as A.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from conftest import site_gate_app  # noqa: E402  (the tests' way to build a site's gate)
from gatesim.broker import MosquittoBroker  # noqa: E402
from gatesim.visitors import PassOffice  # noqa: E402
from qrgate.credentials.keys import issuer_secret, new_key  # noqa: E402
from qrgate.model import Direction, Scan  # noqa: E402


def _percentiles(samples_ms: list[float]) -> dict:
    ordered = sorted(samples_ms)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return {"n": len(ordered), "p50_ms": round(statistics.median(ordered), 3), "p99_ms": round(p99, 3),
            "max_ms": round(ordered[-1], 3)}


def _wait(predicate, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.001)
    return False


def _online(app, peer: str) -> bool:
    p = app.site.peers.get(peer)
    return p is not None and p.online and p.heard


def propagation(port: int, work: Path, keys: dict, decisions: int) -> dict:
    office = PassOffice(keys["private_key"], issuer_secret(keys["private_key"]))
    a = site_gate_app(work, keys["trust"], port, "bench", "a")
    b = site_gate_app(work, keys["trust"], port, "bench", "b")
    arrived: dict[str, float] = {}
    done = threading.Event()
    wanted: list[str] = []
    merged = b.site.on_merged

    def timed(events):
        stamp = time.perf_counter()
        for e in events:
            arrived.setdefault(e["id"], stamp)
        merged(events)
        if wanted and wanted[-1] in arrived:
            done.set()

    b.site.on_merged = timed
    try:
        assert _wait(lambda: _online(a, "b") and _online(b, "a")), "the gates never heard each other"
        now = time.time()
        passes = [office.issue(f"bench-{i}", now - 3600, now + 3600) for i in range(decisions)]
        samples = []
        for i, text in enumerate(passes):
            done.clear()
            outcome = a.controller.handle_scan(Scan(text, "a", Direction.ENTRY, time.time()))
            sent = time.perf_counter()
            wanted.append(outcome.event.id)
            if not done.wait(5.0):
                raise SystemExit(f"decision {i} never reached gate B")
            samples.append((arrived[outcome.event.id] - sent) * 1000)
            time.sleep(0.01)  # people arrive one by one, not in one burst
        assert b.ledger.occupancy() == a.ledger.occupancy() == decisions
        return {"decisions": decisions, **_percentiles(samples), "goal_p99_ms": 50}
    finally:
        a.stop()
        b.stop()


def catch_up(port: int, work: Path, keys: dict, missed: int) -> dict:
    a = site_gate_app(work, keys["trust"], port, "bench2", "a")
    b = site_gate_app(work, keys["trust"], port, "bench2", "b")
    try:
        assert _wait(lambda: _online(a, "b") and _online(b, "a")), "the gates never heard each other"
        b.stop()
        t = time.time()
        for i in range(missed):  # people come and go while B is down
            holder = f"h{i // 2:05d}"
            kind = "entry" if i % 2 == 0 else "exit"
            a.ledger.record(at=t + i * 0.001, gate_id="a", type=kind, reason="granted", direction=kind,
                            holder=holder if i % 4 != 3 else f"k{i:05d}")
        head = a.ledger.last_seq_from("a")
        started = time.perf_counter()
        b = site_gate_app(work, keys["trust"], port, "bench2", "b")
        connected = time.perf_counter()
        ok = _wait(lambda: b.ledger.last_seq_from("a") >= head, timeout=30)
        converged = time.perf_counter()
        same = b.ledger.presence_rows() == a.ledger.presence_rows()
        return {"missed": missed, "converged": ok and same, "seconds": round(converged - started, 3),
                "seconds_after_start": round(converged - connected, 3), "goal_seconds": 2.0}
    finally:
        a.stop()
        b.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=300)
    parser.add_argument("--missed", type=int, default=1000)
    args = parser.parse_args()
    broker = MosquittoBroker()
    try:
        with tempfile.TemporaryDirectory(prefix="qrgate-bench-site-") as tmp:
            work = Path(tmp)
            keys = new_key(work / "keys")
            (work / "p").mkdir()
            (work / "c").mkdir()
            result = {"propagation": propagation(broker.port, work / "p", keys, args.decisions),
                      "catch_up": catch_up(broker.port, work / "c", keys, args.missed)}
    finally:
        broker.close()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
