"""Home Assistant MQTT discovery: every payload checked against the keys HA documents.

The tables below are ours, written from Home Assistant's MQTT docs:
https://www.home-assistant.io/integrations/sensor.mqtt/, .../binary_sensor.mqtt/,
.../button.mqtt/, .../switch.mqtt/, and the `device` block described on each of them
(https://www.home-assistant.io/integrations/mqtt/#discovery-messages). Full key names only:
we never use HA's abbreviations, so an abbreviation in a payload fails here too.
"""

from __future__ import annotations

import json
import re
import uuid

import paho.mqtt.client as paho
import pytest
from gpiozero.pins.mock import MockFactory

from gatesim.observer import MqttObserver
from qrgate.comms import commands
from qrgate.comms.alarm_store import AlarmStore
from qrgate.comms.discovery import discovery_messages
from qrgate.comms.gate_target import GateTarget
from qrgate.comms.mqtt import BrokerSettings, MqttReporter
from qrgate.comms.topics import GateTopics
from qrgate.policy.decide import Policy
from qrgate.gate.gpio import GpioGateIO
from qrgate.gate.pins import DEFAULT_PINS
from qrgate.ledger import Ledger
from qrgate.pipeline import GateController

# keys every MQTT entity may carry
COMMON = {"availability", "availability_mode", "availability_template", "availability_topic", "device",
          "enabled_by_default", "encoding", "entity_category", "entity_picture", "icon",
          "json_attributes_template", "json_attributes_topic", "name", "object_id", "default_entity_id",
          "origin", "payload_available", "payload_not_available", "platform", "qos", "unique_id"}
# per entity type: (allowed keys of its own, required keys)
ENTITY = {
    "sensor": ({"device_class", "expire_after", "force_update", "last_reset_value_template", "options",
                "suggested_display_precision", "state_class", "state_topic", "unit_of_measurement",
                "value_template"}, {"state_topic"}),
    "binary_sensor": ({"device_class", "expire_after", "force_update", "off_delay", "payload_off", "payload_on",
                       "state_topic", "value_template"}, {"state_topic"}),
    "button": ({"command_template", "command_topic", "device_class", "payload_press", "retain"}, {"command_topic"}),
    "switch": ({"command_template", "command_topic", "device_class", "optimistic", "payload_off", "payload_on",
                "retain", "state_off", "state_on", "state_topic", "value_template"}, {"command_topic"}),
}
DEVICE_KEYS = {"configuration_url", "connections", "hw_version", "identifiers", "manufacturer", "model",
               "model_id", "name", "serial_number", "suggested_area", "sw_version", "via_device"}
DEVICE_CLASSES = {
    "binary_sensor": {"battery", "battery_charging", "carbon_monoxide", "cold", "connectivity", "door",
                      "garage_door", "gas", "heat", "light", "lock", "moisture", "motion", "moving", "occupancy",
                      "opening", "plug", "power", "presence", "problem", "running", "safety", "smoke", "sound",
                      "tamper", "update", "vibration", "window"},
    "button": {"identify", "restart", "update"},
    "switch": {"outlet", "switch"},
}
STATE_CLASSES = {"measurement", "total", "total_increasing"}
ENTITY_CATEGORIES = {"config", "diagnostic"}

TOPICS = GateTopics("qrgate", "s1", "g1")
MESSAGES = discovery_messages(TOPICS, "homeassistant")
TOPIC_RE = re.compile(r"^homeassistant/(sensor|binary_sensor|button|switch)/([A-Za-z0-9_-]+)/([A-Za-z0-9_-]+)/config$")


def by_component() -> dict[str, dict[str, dict]]:
    found: dict[str, dict[str, dict]] = {}
    for topic, payload in MESSAGES:
        component, _node, object_id = TOPIC_RE.match(topic).groups()
        found.setdefault(component, {})[object_id] = json.loads(payload)
    return found


@pytest.mark.parametrize("topic, payload", MESSAGES, ids=[t.split("/", 1)[1] for t, _ in MESSAGES])
def test_each_payload_uses_only_documented_keys(topic, payload):
    match = TOPIC_RE.match(topic)
    assert match, f"not a discovery topic: {topic}"
    component, node, _object_id = match.groups()
    assert node == TOPICS.node_id
    config = json.loads(payload)
    own, required = ENTITY[component]
    assert set(config) <= COMMON | own, f"undocumented keys: {set(config) - COMMON - own}"
    assert required <= set(config)
    assert config["unique_id"] and config["name"]
    device = config["device"]
    assert set(device) <= DEVICE_KEYS and device["identifiers"] == [TOPICS.node_id]
    if "device_class" in config:
        assert config["device_class"] in DEVICE_CLASSES.get(component, set())
    if "state_class" in config:
        assert config["state_class"] in STATE_CLASSES
    if "entity_category" in config:
        assert config["entity_category"] in ENTITY_CATEGORIES
    if "availability_topic" in config:
        assert config["availability_topic"] == TOPICS.availability
        assert (config["payload_available"], config["payload_not_available"]) == ("online", "offline")
    for key in ("state_topic", "command_topic"):
        if key in config:
            assert config[key].startswith(TOPICS.base + "/")


def test_one_device_with_every_entity_the_dashboard_needs():
    found = by_component()
    assert set(found["sensor"]) == {"occupancy", "entries_today", "exits_today", "denials_today",
                                    "last_denial_reason"}
    assert {"door", "online"} | {f"alarm_{a}" for a in commands.ALARM_NAMES} == set(found["binary_sensor"])
    assert "open" in found["button"] and "lockdown" in found["switch"]
    unique_ids = [json.loads(p)["unique_id"] for _t, p in MESSAGES]
    assert len(unique_ids) == len(set(unique_ids))
    assert len({json.dumps(json.loads(p)["device"], sort_keys=True) for _t, p in MESSAGES}) == 1


def test_what_home_assistant_sends_is_a_command_the_gate_accepts():
    for component in ("button", "switch"):
        for object_id, config in by_component()[component].items():
            name = TOPICS.command_name(config["command_topic"])
            words = [config["payload_press"]] if component == "button" else [config["payload_on"],
                                                                               config["payload_off"]]
            for word in words:
                parsed = commands.parse(name, word.encode(), gate="g1", retained=False, now=1e9)
                assert isinstance(parsed, commands.Command), (object_id, word, parsed)


def template_paths(template: str) -> list[list[str]]:
    return [m.split(".") for m in re.findall(r"value_json((?:\.[A-Za-z_]+)+)", template)]


def resolve(payload: dict, path: list[str]):
    value = payload
    for key in path[1:]:
        assert isinstance(value, dict) and key in value, f"{'.'.join(path)} is not in {payload}"
        value = value[key]
    return value


def test_templates_read_fields_the_gate_really_publishes(tmp_path, trust, mosquitto, now):
    """A live gate on Mosquitto; every value_template path must exist in the retained payload it reads."""
    site = f"d{uuid.uuid4().hex[:8]}"
    topics = GateTopics("qrgate", site, "g1")
    pins = MockFactory()
    io = GpioGateIO(pin_factory=pins)
    pins.pin(DEFAULT_PINS["door_contact"]).drive_low()
    pins.pin(DEFAULT_PINS["tamper"]).drive_low()
    ledger = Ledger(tmp_path / "l.db")
    store = AlarmStore(tmp_path / "l.db")
    controller = GateController(gate_id="g1", trust=trust, policy=Policy(), ledger=ledger, io=io,
                                site_secret=b"k" * 32)
    target = GateTarget(controller, store).attach()
    prefix = f"ha{site}"
    reporter = MqttReporter(ledger=ledger, topics=topics, broker=BrokerSettings(host="127.0.0.1", port=mosquitto.port),
                            state=lambda: {"door": "closed", "camera": "ok", "io_link": "online"},
                            control=target, discovery_prefix=prefix)
    ledger.record(at=now, gate_id="g1", type="denied", reason="expired")
    reporter.start()
    ha = MqttObserver("127.0.0.1", mosquitto.port, f"{prefix}/#", client_id=f"ha-{site}")
    gate = MqttObserver("127.0.0.1", mosquitto.port, f"qrgate/{site}/#", client_id=f"dash-{site}")
    try:
        expected = len(discovery_messages(topics, prefix))
        configs = lambda o: [t for t, _p, _r in o.messages if t.endswith("/config")]  # noqa: E731
        assert ha.wait_for(lambda o: len(set(configs(o))) == expected)
        assert gate.wait_for(lambda o: all(o.latest(t) for t in (topics.counts, topics.state, topics.alarms)))
        for topic in set(configs(ha)):
            config = ha.latest(topic)
            source = gate.latest(config.get("state_topic", ""))
            for path in template_paths(config.get("value_template", "")):
                resolve(source, path)
        assert gate.latest(topics.counts)["last_denial"]["reason"] == "expired"

        # Home Assistant restarts and says so: the gate announces itself again
        before = len(configs(ha))
        announcer = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"hass-{site}")
        announcer.connect("127.0.0.1", mosquitto.port)
        announcer.loop_start()
        announcer.publish(f"{prefix}/status", "online", qos=1).wait_for_publish(5)
        assert ha.wait_for(lambda o: len(configs(o)) >= before + expected)
        announcer.loop_stop()
    finally:
        reporter.stop()
        ha.close()
        gate.close()
        target.close()
        io.close()
        store.close()
        ledger.close()
