"""Nothing lost: 500 passages while the broker is down, the controller restarting once meanwhile.

The dashboard is a subscriber with a persistent session (fixed client id, clean_session
False, QoS 1) that subscribed *before* the outage, on a broker that keeps its sessions
across its own restart (persistence on, as in hardware/mosquitto/mosquitto.conf). To take
the race out of it, the dashboard comes back only after the gate has emptied its outbox
into the broker: everything it gets then was kept for it by its session. A clean-session
subscriber would get only what is published after it reconnects (retained counts, yes;
events, no), so "nothing lost" would hang on which side reconnected first.
"""

from __future__ import annotations

import json
import time

from gpiozero.pins.mock import MockFactory

from gatesim.broker import MosquittoBroker
from gatesim.observer import MqttObserver
from gatesim.visitors import PassOffice
from qrgate.app import GateApp
from qrgate.config import CameraReaderConfig, Config, GateConfig, LedgerConfig, MqttConfig, SiteConfig, TrustConfig
from qrgate.credentials.keys import issuer_secret, new_key
from qrgate.gate.gpio import GpioGateIO
from qrgate.gate.pins import DEFAULT_PINS
from qrgate.model import Direction, Scan

HOUR = 3600
OUTAGE_PASSAGES = 500


def script(office: PassOffice, now: float, rounds: int, tag: str) -> list[tuple[str, Direction, bool]]:
    """(pass, direction, should be granted): per round two entries, an exit, a passback, an expired pass."""
    steps = []
    for j in range(rounds):
        a, b = (office.issue(f"{tag}-{2 * j + k}", now - HOUR, now + HOUR) for k in range(2))
        expired = office.issue(f"{tag}-old-{j}", now - 3 * HOUR, now - 2 * HOUR)
        steps += [(a, Direction.ENTRY, True), (b, Direction.ENTRY, True), (a, Direction.EXIT, True),
                  (b, Direction.ENTRY, False), (expired, Direction.ENTRY, False)]
    return steps


class Gate:
    """The production GateApp on mock pins; no camera threads (scans go to the controller)."""

    def __init__(self, cfg):
        pins = MockFactory()
        self.io = GpioGateIO(pin_factory=pins)
        pins.pin(DEFAULT_PINS["door_contact"]).drive_low()  # shut
        pins.pin(DEFAULT_PINS["tamper"]).drive_low()
        self.app = GateApp(cfg, io=self.io)
        self.relay_on_after_grant: list[bool] = []
        self.app.controller.listeners.append(
            lambda o: self.relay_on_after_grant.append(self.io.is_relay_on) if o.decision.granted else None)
        self.app.start(cameras=False)

    def run(self, steps) -> list[bool]:
        granted = []
        for text, direction, _expected in steps:
            scan = Scan(text, self.app.cfg.gate.id, direction, time.time())
            granted.append(self.app.controller.handle_scan(scan).decision.granted)
        return granted


def test_every_event_arrives_once_by_id_after_an_outage_with_a_restart(tmp_path):
    broker = MosquittoBroker(extra_conf=(
        f"persistence true\npersistence_location {tmp_path}/\nmax_queued_messages 10000\n"))
    keys = new_key(tmp_path / "keys")
    office = PassOffice(keys["private_key"], issuer_secret(keys["private_key"]))
    cfg = Config(site=SiteConfig(id="outage", secret_file=str(tmp_path / "site.secret")),
                 gate=GateConfig(id="g1", relay_seconds=0.5), readers=[CameraReaderConfig()],
                 trust=TrustConfig(files=[keys["trust"]]), ledger=LedgerConfig(path=str(tmp_path / "ledger.db")),
                 mqtt=MqttConfig(host="127.0.0.1", port=broker.port))
    now = time.time()
    before, during = script(office, now, 2, "pre"), script(office, now, OUTAGE_PASSAGES // 5, "out")
    half = len(during) // 2
    dashboard = MqttObserver("127.0.0.1", broker.port, "qrgate/outage/#", client_id="dashboard-outage",
                             persistent=True)
    gate = Gate(cfg)
    try:
        topics = gate.app.topics
        assert [g for g in gate.run(before)] == [e for _t, _d, e in before]
        assert dashboard.wait_for(lambda o: len(o.events) == len(before))
        # the dashboard may hear an event before the gate hears its PUBACK: let the outbox empty first
        deadline = time.monotonic() + 10
        while gate.app.ledger.pending(1) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not gate.app.ledger.pending(1)

        broker.stop()
        dashboard.pause()  # the dashboard is down too, and comes back last
        t0 = time.monotonic()
        decided = gate.run(during[:half])
        gate.app.stop()  # the controller restarts while the broker is still away
        gate = Gate(cfg)
        decided += gate.run(during[half:])
        outage_seconds = time.monotonic() - t0
        # access decisions went on without the broker, and each grant moved the relay
        assert decided == [e for _t, _d, e in during]
        assert all(gate.relay_on_after_grant)
        ledger = gate.app.ledger
        assert len(ledger.pending(10_000)) == OUTAGE_PASSAGES, [json.loads(p)["type"] for _s, _i, p in ledger.pending(10_000)][-5:]

        broker.start()
        deadline = time.monotonic() + 60
        while ledger.pending(1) and time.monotonic() < deadline:  # the broker acknowledges every event
            time.sleep(0.05)
        assert not ledger.pending(1)
        dashboard.resume()
        logged = {e.id: e for e in ledger.events()}
        assert dashboard.wait_for(lambda o: len(o.events) >= len(logged), timeout=30)
        counts = ledger.counts(time.time())
        assert dashboard.wait_for(lambda o: {k: (o.latest(topics.counts) or {}).get(k) for k in counts} == counts,
                                  timeout=20)

        assert set(dashboard.events) == set(logged)  # every event exactly once by id, and nothing else
        for event_id, payload in dashboard.events.items():
            assert payload == logged[event_id].to_json()
        assert counts["total"] == {"entries": 2 * len(before + during) // 5, "exits": len(before + during) // 5,
                                   "denials": 2 * len(before + during) // 5}
        print(json.dumps({"outage_passages": OUTAGE_PASSAGES, "outage_seconds": round(outage_seconds, 2),
                          "events": len(logged), "received_raw": dashboard.raw_events,
                          "raw_duplicates": dashboard.duplicates}))
    finally:
        dashboard.close()
        gate.app.stop()
        broker.close()
