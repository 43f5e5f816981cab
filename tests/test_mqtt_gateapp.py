"""The production GateApp, configured from [mqtt], on a real Mosquitto: lockdown from a dashboard
changes decisions, a remote open is not a forced door, and a lockdown outlives a restart.
"""

from __future__ import annotations

import json
import time
import uuid

import paho.mqtt.client as paho
from gpiozero.pins.mock import MockFactory

from gatesim.observer import MqttObserver
from qrgate.app import GateApp
from qrgate.config import (CameraReaderConfig, Config, GateConfig, LedgerConfig, MqttConfig, SiteConfig, TrustConfig,
                           validate)
from qrgate.gate.gpio import GpioGateIO
from qrgate.gate.pins import DEFAULT_PINS
from qrgate.model import Direction, Scan

HOUR = 3600


def make_app(tmp_path, keys, port, site):
    mqtt = validate(MqttConfig, {"host": "127.0.0.1", "port": port, "discovery_prefix": f"ha{site}"}, "mqtt")
    cfg = Config(site=SiteConfig(id=site, secret_file=str(tmp_path / "site.secret")),
                 gate=GateConfig(id="g1", relay_seconds=0.2), readers=[CameraReaderConfig()],
                 trust=TrustConfig(files=[keys["trust"]]), ledger=LedgerConfig(path=str(tmp_path / "l.db")),
                 mqtt=mqtt)
    pins = MockFactory()
    io = GpioGateIO(pin_factory=pins)
    pins.pin(DEFAULT_PINS["door_contact"]).drive_low()
    pins.pin(DEFAULT_PINS["tamper"]).drive_low()
    return GateApp(cfg, io=io).start(cameras=False), pins


def command(port, topic, body):
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"admin-{uuid.uuid4().hex[:6]}")
    client.connect("127.0.0.1", port)
    client.loop_start()
    client.publish(topic, json.dumps(body), qos=1).wait_for_publish(5)
    client.disconnect()
    client.loop_stop()


def test_dashboard_commands_reach_the_decisions_of_a_running_gate(tmp_path, keys, office, mosquitto):
    site = f"w{uuid.uuid4().hex[:8]}"
    app, pins = make_app(tmp_path, keys, mosquitto.port, site)
    obs = MqttObserver("127.0.0.1", mosquitto.port, f"qrgate/{site}/#", client_id=f"obs-{site}")
    ha = MqttObserver("127.0.0.1", mosquitto.port, f"ha{site}/#", client_id=f"ha-{site}")
    t = app.topics
    now = time.time()
    try:
        assert ha.wait_for(lambda o: any(topic.endswith("/lockdown/config") for topic, _p, _r in o.messages))
        command(mosquitto.port, t.command("lockdown"), {"request_id": "l-1", "value": True})
        assert obs.wait_for(lambda o: (o.latest(t.state) or {}).get("mode") == "lockdown")
        scan = Scan(office.issue("v1", now - HOUR, now + HOUR), "g1", Direction.ENTRY, now)
        outcome = app.controller.handle_scan(scan)
        assert (outcome.decision.granted, outcome.decision.reason) == (False, "lockdown")

        command(mosquitto.port, t.command("lockdown"), {"request_id": "l-2", "value": False})
        assert obs.wait_for(lambda o: (o.latest(t.state) or {}).get("mode") == "normal")
        command(mosquitto.port, t.command("open"), {"request_id": "o-1", "by": "admin"})
        assert obs.wait_for(lambda o: any(b.get("request_id") == "o-1" for b in o.on_topic(t.result)))
        pins.pin(DEFAULT_PINS["door_contact"]).drive_high()  # walked through after the remote open
        pins.pin(DEFAULT_PINS["door_contact"]).drive_low()
        assert [e.type for e in app.ledger.events()].count("alarm") == 0
        command(mosquitto.port, t.command("lockdown"), {"request_id": "l-3", "value": True})
        assert obs.wait_for(lambda o: (o.latest(t.state) or {}).get("mode") == "lockdown")
    finally:
        obs.close()
        ha.close()
        app.stop()

    again, _pins = make_app(tmp_path, keys, mosquitto.port, site)  # restart: the lockdown holds
    try:
        later = time.time()
        scan = Scan(office.issue("v2", later - HOUR, later + HOUR), "g1", Direction.ENTRY, later)
        assert again.controller.handle_scan(scan).decision.reason == "lockdown"
    finally:
        again.stop()
