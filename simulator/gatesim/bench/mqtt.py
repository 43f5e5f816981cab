"""MQTT latency: from the gate's decision to the event arriving at a dashboard.

A real Mosquitto on loopback (gatesim.broker), the production controller on MockFactory
pins, the outbox-fed reporter, and a separate subscriber; TCP_NODELAY on both clients.
One passage at a time, each waiting for its event, so the figures are latency, not a
queue. decision_to_event_ms starts when the decision is durable and the relay has moved
(the controller's listeners run then); scan_to_event_ms starts when the scan arrives.
mqtt_outbox_drain_ms: from the reporter's start (connect included) until a backlog of
events, as the outbox holds after an outage, has all reached the subscriber.
"""

from __future__ import annotations

import json
import tempfile
import threading
import time
from pathlib import Path

import paho.mqtt.client as paho

from qrgate.comms.client import set_nodelay
from qrgate.comms.mqtt import BrokerSettings, MqttReporter
from qrgate.comms.topics import GateTopics
from qrgate.credentials import TrustStore
from qrgate.credentials.keys import issuer_secret, new_key
from qrgate.policy.decide import Policy
from qrgate.gate.gpio import GpioGateIO
from qrgate.ledger import Ledger
from qrgate.model import Direction, Scan
from qrgate.pipeline import GateController
from .stats import percentiles

MAX_PASSAGES = 300
BACKLOG = 500


class _Subscriber:
    def __init__(self, port: int, topic: str):
        self.arrived: dict[str, float] = {}
        self._cond = threading.Condition()
        ready = threading.Event()
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="bench-dashboard")

        def on_connect(client, userdata, flags, rc, props):
            set_nodelay(client)
            client.subscribe(topic, qos=1)

        self.client.on_connect = on_connect
        self.client.on_subscribe = lambda *a: ready.set()
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        if not ready.wait(10):
            raise RuntimeError("bench subscriber could not subscribe")

    def _on_message(self, client, userdata, msg) -> None:
        at = time.perf_counter()
        event_id = json.loads(msg.payload).get("id")
        with self._cond:
            self.arrived.setdefault(event_id, at)
            self._cond.notify_all()

    def wait(self, predicate, timeout: float = 10.0) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: predicate(self.arrived), timeout)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def run(frames: int = 200) -> dict:
    from gpiozero.pins.mock import MockFactory

    from gatesim.broker import MosquittoBroker
    from gatesim.visitors import PassOffice

    passages = max(10, min(frames, MAX_PASSAGES))
    broker = MosquittoBroker()
    with tempfile.TemporaryDirectory(prefix="qrgate-bench-mqtt-") as tmp:
        tmp = Path(tmp)
        keys = new_key(tmp / "keys")
        office = PassOffice(keys["private_key"], issuer_secret(keys["private_key"]))
        now = time.time()
        passes = [office.issue(f"mqtt-bench-{i}", now - 60, now + 3600) for i in range(passages)]
        io = GpioGateIO(pin_factory=MockFactory())
        ledger = Ledger(tmp / "ledger.db")
        controller = GateController(gate_id="g1", trust=TrustStore.from_files([keys["trust"]]), policy=Policy(),
                                    ledger=ledger, io=io, site_secret=b"s" * 32, relay_seconds=0.05)
        topics = GateTopics("qrgate", "bench", "g1")
        reporter = MqttReporter(ledger=ledger, topics=topics, broker=BrokerSettings(host="127.0.0.1", port=broker.port),
                                state=lambda: {})
        decided: dict[str, float] = {}
        controller.listeners.append(lambda o: (decided.__setitem__(o.event.id, time.perf_counter()),
                                               reporter.notify()))
        subscriber = _Subscriber(broker.port, topics.events)
        try:
            # a backlog, as the outbox holds after an outage, sent when the reporter (re)connects
            backlog = [ledger.record(at=time.time(), gate_id="g1", type="denied", reason="expired").id
                       for _ in range(BACKLOG)]
            t0 = time.perf_counter()
            reporter.start()
            if not subscriber.wait(lambda arrived: all(i in arrived for i in backlog), timeout=60):
                raise RuntimeError("bench backlog never reached the subscriber")
            drain_ms = (max(subscriber.arrived[i] for i in backlog) - t0) * 1000
            deadline = time.monotonic() + 10
            while ledger.pending(1) and time.monotonic() < deadline:  # quiet before timing single passages
                time.sleep(0.01)

            from_decision, from_scan = [], []
            for text in passes:
                t0 = time.perf_counter()
                outcome = controller.handle_scan(Scan(text, "g1", Direction.ENTRY, time.time()))
                if not outcome.decision.granted:
                    raise RuntimeError("bench scan was not granted")
                event_id = outcome.event.id
                if not subscriber.wait(lambda arrived: event_id in arrived):
                    raise RuntimeError("bench event never reached the subscriber")
                from_decision.append((subscriber.arrived[event_id] - decided[event_id]) * 1000)
                from_scan.append((subscriber.arrived[event_id] - t0) * 1000)
        finally:
            reporter.stop()
            subscriber.close()
            io.close()
            ledger.close()
            broker.close()
    return {
        "mqtt_broker": "mosquitto on loopback, QoS 1, TCP_NODELAY",
        "mqtt_decision_to_event_ms": percentiles(from_decision),
        "mqtt_scan_to_event_ms": percentiles(from_scan),
        "mqtt_outbox_drain_ms": {"events": BACKLOG, "ms": round(drain_ms, 1),
                                 "per_second": round(BACKLOG / (drain_ms / 1000))},
    }
