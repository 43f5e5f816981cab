"""Reporting on a real Mosquitto: one QoS 1 message per event, retained counts equal to the ledger,
availability by last will, and nothing lost while the broker is away."""

from __future__ import annotations

import socket
import time


from gatesim.broker import MosquittoBroker
from gatesim.observer import MqttObserver
from qrgate.comms.mqtt import BrokerSettings, MqttReporter
from qrgate.comms.topics import GateTopics
from qrgate.ledger import Ledger

TOPICS = GateTopics("qrgate", "s1", "g1")


def make_reporter(ledger, port):
    return MqttReporter(ledger=ledger, topics=TOPICS, broker=BrokerSettings(host="127.0.0.1", port=port),
                        state=lambda: {"mode": "normal"})


def record(ledger, now, kind, holder=None):
    return ledger.record(at=now, gate_id="g1", type=kind, reason="granted" if kind != "denied" else "expired",
                         direction="entry", holder=holder)


def counts_match(ledger, now):
    return lambda obs: (obs.latest(TOPICS.counts) or {}).get("total") == ledger.counts(now)["total"]


def test_events_and_retained_counts_reach_a_subscriber(tmp_path, mosquitto, now):
    ledger = Ledger(tmp_path / "l.db")
    observer = MqttObserver("127.0.0.1", mosquitto.port, "qrgate/s1/#", client_id="obs-1")
    reporter = make_reporter(ledger, mosquitto.port)
    reporter.start()
    try:
        made = [record(ledger, now, "entry", f"h{i}") for i in range(5)] + [record(ledger, now, "denied")]
        reporter.notify()
        assert observer.wait_for(lambda o: len(o.events) == 6 and counts_match(ledger, now)(o))
        assert set(observer.events) == {e.id for e in made}
        assert observer.duplicates == 0
        assert observer.latest(TOPICS.counts)["occupancy"] == 5
        assert observer.latest(TOPICS.availability) == "online"
        assert observer.wait_for(lambda o: not ledger.pending())  # acknowledged rows leave the outbox
        assert reporter.client.socket().getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    finally:
        reporter.stop()
        observer.close()
        ledger.close()
    # a late subscriber still gets the retained counts and sees the gate go offline cleanly
    late = MqttObserver("127.0.0.1", mosquitto.port, "qrgate/s1/#", client_id="obs-late")
    # retained messages arrive one by one: wait for both before reading either
    assert late.wait_for(lambda o: o.latest(TOPICS.availability) == "offline" and o.latest(TOPICS.counts) is not None)
    assert late.latest(TOPICS.counts)["total"]["entries"] == 5
    late.close()


def test_last_will_says_offline_when_the_gate_dies(tmp_path, mosquitto):
    ledger = Ledger(tmp_path / "l.db")
    reporter = MqttReporter(ledger=ledger, topics=GateTopics("qrgate", "s2", "g1"),
                            broker=BrokerSettings(host="127.0.0.1", port=mosquitto.port, keepalive=1),
                            state=lambda: {})
    reporter.start()
    observer = MqttObserver("127.0.0.1", mosquitto.port, "qrgate/s2/#", client_id="obs-2")
    assert observer.wait_for(lambda o: o.latest("qrgate/s2/g1/availability") == "online")
    # a crash: the socket dies without a DISCONNECT, so the broker publishes the will
    reporter.abandon()
    assert observer.wait_for(lambda o: o.latest("qrgate/s2/g1/availability") == "offline", timeout=10)
    observer.close()
    ledger.close()


def test_events_wait_in_the_outbox_while_the_broker_is_down(tmp_path, now):
    broker = MosquittoBroker()
    ledger = Ledger(tmp_path / "l.db")
    reporter = make_reporter(ledger, broker.port)
    reporter.start()
    try:
        first = MqttObserver("127.0.0.1", broker.port, "qrgate/s1/#", client_id="obs-3")
        before = [record(ledger, now, "entry", f"h{i}") for i in range(3)]
        reporter.notify()
        assert first.wait_for(lambda o: len(o.events) == 3)
        first.close()

        broker.stop()
        during = [record(ledger, now, "entry", f"d{i}") for i in range(20)]  # gate goes on deciding
        reporter.notify()
        time.sleep(0.5)
        assert len(ledger.pending()) >= 20

        broker.start()  # a fresh broker: no retained state, no sessions
        observer = MqttObserver("127.0.0.1", broker.port, "qrgate/s1/#", client_id="obs-4")
        assert observer.wait_for(lambda o: {e.id for e in during} <= set(o.events), timeout=20)
        assert observer.wait_for(counts_match(ledger, now), timeout=10)
        assert observer.latest(TOPICS.counts)["total"]["entries"] == len(before) + len(during)
        observer.close()
    finally:
        reporter.stop()
        ledger.close()
        broker.close()
