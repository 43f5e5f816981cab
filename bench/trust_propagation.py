"""From the admin publishing a signed revocation list to each running gate deciding with it. Prints JSON.

    python bench/trust_propagation.py [--gates 3] [--lists 50]

Real Mosquitto on loopback (gatesim.broker), production GateApps (gatesim.rig.SimGate, mock pins,
MQTT on), the list published retained on qrgate/<site>/site/revocations with QoS 1. For each new
version: the time from the publish call until every gate's trust in use has that version (each gate
verifies the Ed25519 signature and keeps the list on disk first). Also: a gate started after the
list was published, from start() until it decides with the retained list.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import paho.mqtt.client as paho

from gatesim.bench.stats import percentiles
from gatesim.broker import MosquittoBroker
from gatesim.rig import SimGate, open_pass_office
from qrgate.comms.client import set_nodelay
from qrgate.credentials.keys import load_private_key
from qrgate.credentials.revocation import sign_list

SITE = "bench-site"


def wait(predicate, timeout: float = 10.0) -> float:
    began = time.perf_counter()
    while not predicate():
        if time.perf_counter() - began > timeout:
            raise TimeoutError("a gate did not take the list in time")
        time.sleep(0.0002)
    return time.perf_counter()


def run(gate_count: int, lists: int) -> dict:
    broker = MosquittoBroker()
    gates: list[SimGate] = []
    with tempfile.TemporaryDirectory(prefix="qrgate-bench-trust-") as tmp:
        try:
            office, trust_file = open_pass_office(Path(tmp) / "keys")
            key = load_private_key(next((Path(tmp) / "keys").glob("*.key")))[1]
            for i in range(gate_count):
                gates.append(SimGate(Path(tmp), broker.host, broker.port, trust_files=[trust_file],
                                     site_id=SITE, gate_id=f"g{i}").start(cameras=False))
            wait(lambda: all(g.app.reporter.is_connected for g in gates))
            admin = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="bench-admin")
            admin.on_connect = lambda c, *a: set_nodelay(c)
            admin.connect(broker.host, broker.port)
            admin.loop_start()
            topic = gates[0].topics.site_revocations
            samples = []
            for version in range(1, lists + 1):
                doc = json.dumps(sign_list(key, version, [f"{version:012x}"], int(time.time())))
                began = time.perf_counter()
                admin.publish(topic, doc, qos=1, retain=True)
                done = wait(lambda: all(g.app.trust.revocation_version == version for g in gates))
                samples.append((done - began) * 1000)
            began = time.perf_counter()
            late = SimGate(Path(tmp), broker.host, broker.port, trust_files=[trust_file], site_id=SITE,
                           gate_id="late").start(cameras=False)
            gates.append(late)
            late_ms = (wait(lambda: late.app.trust.revocation_version == lists) - began) * 1000
            admin.disconnect()
            admin.loop_stop()
        finally:
            for g in gates:
                g.stop()
            broker.close()
    return {"trust_revocations_publish_to_every_gate_ms": percentiles(samples), "gates": gate_count,
            "trust_revocations_late_gate_start_to_applied_ms": round(late_ms, 1),
            "broker": "mosquitto on loopback, QoS 1, retained"}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gates", type=int, default=3)
    parser.add_argument("--lists", type=int, default=50)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.gates, args.lists), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
