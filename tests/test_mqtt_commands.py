"""Commands, results, alarms and site occupancy over a real Mosquitto."""

from __future__ import annotations

import json
import time
import uuid

import paho.mqtt.client as paho
import pytest

from gatesim.observer import MqttObserver
from qrgate.comms.commands import sign
from qrgate.comms.mqtt import BrokerSettings
from qrgate.comms.topics import GateTopics
from qrgate.comms.wiring import connect_gate
from conftest import mock_gate_app
from qrgate.gate.pins import DEFAULT_PINS


class MqttGate:
    """GateApp on mock pins, its MQTT side from connect_gate() as docs/mqtt.md asks app.py to do."""

    def __init__(self, tmp_path, keys, port, site, gate="g1", **reporter_options):
        self.app, self.pins = mock_gate_app(tmp_path, keys["trust"], site=site, gate=gate)
        self.ledger = self.app.ledger
        self.topics = self.app.topics
        self.reporter = connect_gate(gate=self.app, topics=self.topics, broker=BrokerSettings(host="127.0.0.1", port=port),
                                     clock=self.app.clock, **reporter_options)
        self.app.reporter = self.reporter  # started and stopped with the app
        self.app.start(cameras=False)

    def rises(self) -> int:
        return sum(1 for s in self.pins.pin(DEFAULT_PINS["relay"]).states if s.state)

    def close(self):
        self.app.stop()


def admin(port):
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"admin-{uuid.uuid4().hex[:6]}")
    client.connect("127.0.0.1", port)
    client.loop_start()
    return client


def send(client, topic, payload, retain=False):
    body = payload if isinstance(payload, (str, bytes)) else json.dumps(payload)
    client.publish(topic, body, qos=1, retain=retain).wait_for_publish(5)


def result_for(observer, topics, request_id):
    for body in observer.on_topic(topics.result):
        if isinstance(body, dict) and body.get("request_id") == request_id:
            return body
    return None


@pytest.fixture
def site(request):
    return f"c{uuid.uuid4().hex[:8]}"


def test_commands_get_results_and_move_the_relay_only_through_the_ledger(tmp_path, keys, mosquitto, site):
    gate = MqttGate(tmp_path, keys, mosquitto.port, site)
    obs = MqttObserver("127.0.0.1", mosquitto.port, f"qrgate/{site}/#", client_id=f"obs-{site}")
    sender = admin(mosquitto.port)
    t = gate.topics
    try:
        assert obs.wait_for(lambda o: o.latest(t.availability) == "online")
        send(sender, t.command("open"), {"request_id": "r-1", "by": "admin"})
        assert obs.wait_for(lambda o: result_for(o, t, "r-1"))
        assert result_for(obs, t, "r-1") == {**result_for(obs, t, "r-1"), "ok": True, "reason": "done"}
        assert gate.rises() == 1
        assert obs.wait_for(lambda o: o.event_counts().get("remote_open") == 1)

        # redelivered request id: answered, not acted on twice
        send(sender, t.command("open"), {"request_id": "r-1", "by": "admin"})
        assert obs.wait_for(lambda o: len([b for b in o.on_topic(t.result) if b.get("request_id") == "r-1"]) == 2)
        assert obs.on_topic(t.result)[-1]["reason"] == "duplicate" and gate.rises() == 1

        send(sender, t.command("lockdown"), "ON")  # Home Assistant's switch payload
        assert obs.wait_for(lambda o: (o.latest(t.state) or {}).get("mode") == "lockdown")
        send(sender, t.command("open"), {"request_id": "r-2"})
        assert obs.wait_for(lambda o: result_for(o, t, "r-2"))
        assert (result_for(obs, t, "r-2")["ok"], result_for(obs, t, "r-2")["reason"]) == (False, "lockdown")
        assert gate.rises() == 1

        # malformed commands: refused with a reason, logged in the ledger, relay untouched
        send(sender, t.command("open"), b"{oops")
        send(sender, t.command("self_destruct"), {"request_id": "r-4"})
        send(sender, t.command("lockdown"), {"request_id": "r-5", "value": "maybe"})
        assert obs.wait_for(lambda o: result_for(o, t, "r-4") and result_for(o, t, "r-5")
                            and any(b.get("reason") == "malformed" for b in o.on_topic(t.result)))
        assert result_for(obs, t, "r-4")["reason"] == "unknown_command"
        assert result_for(obs, t, "r-5")["reason"] == "bad_value"
        assert gate.rises() == 1
        refused = [e.reason for e in gate.ledger.events() if e.type == "command_refused"]
        assert sorted(refused) == ["bad_value", "malformed", "unknown_command"]
    finally:
        sender.loop_stop()
        obs.close()
        gate.close()


def test_a_retained_command_left_on_the_broker_never_opens_the_gate(tmp_path, keys, mosquitto, site):
    sender = admin(mosquitto.port)
    t = GateTopics("qrgate", site, "g1")
    send(sender, t.command("open"), {"request_id": "stale-1"}, retain=True)  # waits for the gate
    obs = MqttObserver("127.0.0.1", mosquitto.port, f"qrgate/{site}/#", client_id=f"obs-{site}")
    gate = MqttGate(tmp_path, keys, mosquitto.port, site)
    try:
        assert obs.wait_for(lambda o: result_for(o, t, "stale-1"))
        assert result_for(obs, t, "stale-1")["reason"] == "retained"
        assert gate.rises() == 0
    finally:
        send(sender, t.command("open"), b"", retain=True)  # clear it
        sender.loop_stop()
        obs.close()
        gate.close()


def test_alarms_are_retained_and_acknowledged_over_mqtt(tmp_path, keys, mosquitto, site):
    gate = MqttGate(tmp_path, keys, mosquitto.port, site)
    sender = admin(mosquitto.port)
    t = gate.topics
    try:
        gate.pins.pin(DEFAULT_PINS["door_contact"]).drive_high()  # forced
        gate.pins.pin(DEFAULT_PINS["door_contact"]).drive_low()
        late = MqttObserver("127.0.0.1", mosquitto.port, f"qrgate/{site}/#", client_id=f"late-{site}")
        assert late.wait_for(lambda o: (o.latest(t.alarms) or {}).get("door_forced", {}).get("latched"))
        assert late.latest(t.alarms)["door_forced"]["on"] is True
        send(sender, t.command("ack_alarm"), {"request_id": "ack-1", "value": "door_forced"})
        assert late.wait_for(lambda o: (o.latest(t.alarms) or {}).get("door_forced", {}).get("on") is False)
        assert result_for(late, t, "ack-1")["ok"] is True
        assert late.wait_for(lambda o: o.event_counts().get("alarm_ack") == 1)  # events are not retained
        assert [e.type for e in gate.ledger.events()] == ["alarm", "alarm_cleared", "alarm_ack"]
        late.close()
    finally:
        sender.loop_stop()
        gate.close()


def test_site_occupancy_counts_people_who_leave_by_another_gate(tmp_path, keys, mosquitto, site, now):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = MqttGate(tmp_path / "a", keys, mosquitto.port, site, "ga", site_aggregator=True)
    b = MqttGate(tmp_path / "b", keys, mosquitto.port, site, "gb")
    obs = MqttObserver("127.0.0.1", mosquitto.port, f"qrgate/{site}/#", client_id=f"obs-{site}")
    try:
        for i in range(3):
            a.ledger.record(at=now, gate_id="ga", type="entry", reason="granted", holder=f"h{i}")
        b.ledger.record(at=now, gate_id="gb", type="entry", reason="granted", holder="h9")
        b.ledger.record(at=now, gate_id="gb", type="exit", reason="granted_not_inside", holder="h0")
        a.reporter.notify()
        b.reporter.notify()
        occupancy = f"qrgate/{site}/occupancy"
        assert obs.wait_for(lambda o: (o.latest(occupancy) or {}).get("gates") == {"ga": 3, "gb": 0})
        # 4 came in, 1 went out (at another gate than they entered): 3 inside, though the per-gate
        # presence tables say 3 (ga) + 1 (gb)
        assert obs.latest(occupancy)["occupancy"] == 3
        assert a.ledger.occupancy() + b.ledger.occupancy() == 4
    finally:
        obs.close()
        a.close()
        b.close()


def test_with_a_command_secret_only_signed_commands_open(tmp_path, keys, mosquitto, site):
    secret = tmp_path / "command.secret"
    secret.write_bytes(b"c" * 32)
    gate = MqttGate(tmp_path, keys, mosquitto.port, site, command_secret_file=str(secret))
    obs = MqttObserver("127.0.0.1", mosquitto.port, f"qrgate/{site}/#", client_id=f"obs-{site}")
    sender = admin(mosquitto.port)
    t = gate.topics
    try:
        assert obs.wait_for(lambda o: o.latest(t.availability) == "online")
        send(sender, t.command("open"), {"request_id": "plain-1"})
        at = time.time()
        body = {"request_id": "signed-1", "at": at}
        send(sender, t.command("open"), {**body, "sig": sign(b"c" * 32, "g1", "open", body)})
        assert obs.wait_for(lambda o: result_for(o, t, "plain-1") and result_for(o, t, "signed-1"))
        assert result_for(obs, t, "plain-1")["reason"] == "unauthorised"
        assert result_for(obs, t, "signed-1")["reason"] == "done"
        assert gate.rises() == 1
    finally:
        sender.loop_stop()
        obs.close()
        gate.close()


def test_a_signed_open_replayed_after_a_restart_is_refused(tmp_path, keys, mosquitto, site):
    secret = tmp_path / "command.secret"
    secret.write_bytes(b"c" * 32)
    obs = MqttObserver("127.0.0.1", mosquitto.port, f"qrgate/{site}/#", client_id=f"obs-{site}")
    sender = admin(mosquitto.port)
    body = {"request_id": "captured-1", "by": "admin", "at": time.time()}
    captured = json.dumps({**body, "sig": sign(b"c" * 32, "g1", "open", body)})
    gate = MqttGate(tmp_path, keys, mosquitto.port, site, command_secret_file=str(secret))
    t = gate.topics
    try:
        # the gate subscribes to its commands before it first publishes its state
        assert obs.wait_for(lambda o: o.on_topic(t.state))
        send(sender, t.command("open"), captured)
        assert obs.wait_for(lambda o: result_for(o, t, "captured-1"))
        assert result_for(obs, t, "captured-1")["reason"] == "done" and gate.rises() == 1
        gate.close()
        states_before = len(obs.on_topic(t.state))
        gate = MqttGate(tmp_path, keys, mosquitto.port, site, command_secret_file=str(secret))  # same ledger
        assert obs.wait_for(lambda o: len(o.on_topic(t.state)) > states_before)
        send(sender, t.command("open"), captured)  # the same bytes, well within the 30 s max age
        assert obs.wait_for(lambda o: [b for b in o.on_topic(t.result)
                                       if b.get("request_id") == "captured-1" and b["reason"] == "duplicate"])
        assert gate.rises() == 0
    finally:
        sender.loop_stop()
        obs.close()
        gate.close()


FLOOD = 1000  # malformed commands: far past the 20 logged one by one


def test_a_flood_of_malformed_commands_writes_a_few_rows_and_a_summary(tmp_path, keys, mosquitto, site):
    gate = MqttGate(tmp_path, keys, mosquitto.port, site)
    obs = MqttObserver("127.0.0.1", mosquitto.port, f"qrgate/{site}/#", client_id=f"obs-{site}")
    sender = admin(mosquitto.port)
    t = gate.topics
    try:
        assert obs.wait_for(lambda o: o.on_topic(t.state))
        started = time.monotonic()
        for i in range(FLOOD):
            info = sender.publish(t.command("open"), b"{oops %d" % i, qos=1)
        info.wait_for_publish(30)
        send(sender, t.command("open"), {"request_id": "after-the-flood", "by": "admin"})
        # the gate takes 3 s for the flood alone, but once took over 60 s with the other test worker busy
        assert obs.wait_for(lambda o: result_for(o, t, "after-the-flood"), timeout=90)
        elapsed = time.monotonic() - started
        assert gate.rises() == 1  # a good command still acts during a flood
    finally:
        sender.loop_stop()
        obs.close()
        gate.close()
    from qrgate.ledger import Ledger

    ledger = Ledger(tmp_path / "g1.db")
    try:
        refused = [e for e in ledger.events() if e.type == "command_refused"]
        single = [e for e in refused if e.reason == "malformed"]
        summaries = [ledger.details(e.id) for e in refused if e.reason == "rate_limited"]
    finally:
        ledger.close()
    assert 20 <= len(single) <= 20 + elapsed + 2, (len(single), elapsed)
    # the broker itself may drop some of a flood a slow client cannot take (its queue limit): every
    # refusal the gate saw is either one row or counted in a summary, never more than were sent
    dropped = sum(s["dropped"] for s in summaries)
    assert summaries and FLOOD // 3 <= dropped <= FLOOD - len(single)
