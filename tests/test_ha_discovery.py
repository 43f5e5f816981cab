"""Home Assistant MQTT discovery: every payload checked against the keys HA documents.

The tables below are ours, written from Home Assistant's MQTT docs:
https://www.home-assistant.io/integrations/sensor.mqtt/, .../binary_sensor.mqtt/,
.../button.mqtt/, .../switch.mqtt/, .../lock.mqtt/, .../event.mqtt/, and the `device` and
`origin` blocks described on each of them
(https://www.home-assistant.io/integrations/mqtt/#discovery-messages). Full key names only:
we never use HA's abbreviations, so an abbreviation in a payload fails here too.
"""

from __future__ import annotations

import json
import re
import time
import uuid

import paho.mqtt.client as paho
import pytest

from gatesim.observer import MqttObserver
from qrgate.comms import commands
from qrgate.comms.discovery import (DeviceInfo, discovery_messages, removal_messages, site_discovery_messages,
                                    site_node_id)
from conftest import mock_gate_app
from qrgate.comms.mqtt import BrokerSettings, MqttReporter
from qrgate.comms.topics import GateTopics

# keys every MQTT entity may carry
COMMON = {"availability", "availability_mode", "availability_template", "availability_topic", "device",
          "enabled_by_default", "encoding", "entity_category", "entity_picture", "icon",
          "json_attributes_template", "json_attributes_topic", "name", "object_id", "default_entity_id",
          "origin", "payload_available", "payload_not_available", "platform", "qos", "unique_id"}
# per entity type: (allowed keys of its own, required keys)
ENTITY = {
    "sensor": ({"device_class", "expire_after", "force_update", "last_reset_value_template",
                "suggested_display_precision", "state_class", "state_topic", "unit_of_measurement",
                "value_template"}, {"state_topic"}),
    "binary_sensor": ({"device_class", "expire_after", "force_update", "off_delay", "payload_off", "payload_on",
                       "state_topic", "value_template"}, {"state_topic"}),
    "button": ({"command_template", "command_topic", "device_class", "payload_press", "retain"}, {"command_topic"}),
    "switch": ({"command_template", "command_topic", "device_class", "optimistic", "payload_off", "payload_on",
                "retain", "state_off", "state_on", "state_topic", "value_template"}, {"command_topic"}),
    "lock": ({"code_format", "command_template", "command_topic", "optimistic", "payload_lock", "payload_open",
              "payload_reset", "payload_unlock", "retain", "state_jammed", "state_locked", "state_locking",
              "state_topic", "state_unlocked", "state_unlocking", "value_template"}, {"command_topic"}),
    "event": ({"device_class", "event_types", "state_topic", "value_template"}, {"state_topic", "event_types"}),
}
ORIGIN_KEYS = {"name", "sw_version", "support_url"}
DEVICE_KEYS = {"configuration_url", "connections", "hw_version", "identifiers", "manufacturer", "model",
               "model_id", "name", "serial_number", "suggested_area", "sw_version", "via_device"}
DEVICE_CLASSES = {
    "binary_sensor": {"battery", "battery_charging", "carbon_monoxide", "cold", "connectivity", "door",
                      "garage_door", "gas", "heat", "light", "lock", "moisture", "motion", "moving", "occupancy",
                      "opening", "plug", "power", "presence", "problem", "running", "safety", "smoke", "sound",
                      "tamper", "update", "vibration", "window"},
    "button": {"identify", "restart", "update"},
    "switch": {"outlet", "switch"},
    "sensor": {"enum", "timestamp", "duration"},
    "event": {"button", "doorbell", "motion"},
}
STATE_CLASSES = {"measurement", "total", "total_increasing"}
ENTITY_CATEGORIES = {"config", "diagnostic"}

TOPICS = GateTopics("qrgate", "s1", "g1")
INFO = DeviceInfo(hw_version="Raspberry Pi GPIO", serial_number="10000000abcdef", suggested_area="Lobby",
                  configuration_url="http://127.0.0.1:8080/console", support_url="http://127.0.0.1:8080/help")
MESSAGES = discovery_messages(TOPICS, "homeassistant", info=INFO)
SITE_MESSAGES = site_discovery_messages(TOPICS, "homeassistant", info=INFO)
TOPIC_RE = re.compile(
    r"^homeassistant/(sensor|binary_sensor|button|switch|lock|event)/([A-Za-z0-9_-]+)/([A-Za-z0-9_-]+)/config$")


def by_component() -> dict[str, dict[str, dict]]:
    found: dict[str, dict[str, dict]] = {}
    for topic, payload in MESSAGES:
        component, _node, object_id = TOPIC_RE.match(topic).groups()
        found.setdefault(component, {})[object_id] = json.loads(payload)
    return found


@pytest.mark.parametrize("topic, payload", MESSAGES + SITE_MESSAGES,
                         ids=[t.split("/", 1)[1] for t, _ in MESSAGES + SITE_MESSAGES])
def test_each_payload_uses_only_documented_keys(topic, payload):
    match = TOPIC_RE.match(topic)
    assert match, f"not a discovery topic: {topic}"
    component, node, _object_id = match.groups()
    assert node in (TOPICS.node_id, site_node_id(TOPICS))
    config = json.loads(payload)
    own, required = ENTITY[component]
    assert set(config) <= COMMON | own, f"undocumented keys: {set(config) - COMMON - own}"
    assert required <= set(config)
    assert config["unique_id"] and config["name"]
    assert config["qos"] == 1, "the gate publishes at QoS 1; HA must subscribe at 1"
    assert set(config["origin"]) <= ORIGIN_KEYS and config["origin"]["name"] == "qrgate"
    device = config["device"]
    assert set(device) <= DEVICE_KEYS and device["identifiers"] == [node]
    if node == TOPICS.node_id:
        assert device["via_device"] == site_node_id(TOPICS) and device["configuration_url"] == INFO.configuration_url
    if config.get("device_class") == "enum":
        assert "options" not in config and "unit_of_measurement" not in config  # HA 2024.3 takes no options
    if "device_class" in config:
        assert config["device_class"] in DEVICE_CLASSES.get(component, set())
    if "state_class" in config:
        assert config["state_class"] in STATE_CLASSES
    assert "entity_category" in config or component in ("sensor", "binary_sensor", "button", "switch", "lock",
                                                          "event")
    if "entity_category" in config:
        assert config["entity_category"] in ENTITY_CATEGORIES
    if "availability_topic" in config:
        assert config["availability_topic"] == TOPICS.availability
        assert (config["payload_available"], config["payload_not_available"]) == ("online", "offline")
    for key in ("state_topic", "command_topic"):
        if key in config and node == TOPICS.node_id:
            assert config[key].startswith(TOPICS.base + "/")


def test_one_device_with_every_entity_the_dashboard_needs():
    found = by_component()
    assert set(found["sensor"]) == {"occupancy", "entries_today", "exits_today", "denials_today", "entries_total",
                                    "exits_total", "denials_total", "last_denial_reason", "last_denial_at", "mode",
                                    "camera", "io_link", "storage", "clock", "version"}
    assert {"door", "online"} | {f"alarm_{a}" for a in commands.ALARM_NAMES} == set(found["binary_sensor"])
    assert set(found["button"]) == {"open", "ack_alarms", "reset_counts"}
    assert set(found["switch"]) == {"lockdown", "free_exit"} and set(found["lock"]) == {"door_lock"}
    assert set(found["event"]) == {"scan", "command_result"}
    assert found["event"]["scan"]["event_types"] == ["granted", "denied", "override", "alarm"]
    reason = found["sensor"]["last_denial_reason"]
    assert reason["device_class"] == "enum" and reason["state_topic"] == TOPICS.last_denial
    assert found["sensor"]["last_denial_at"]["device_class"] == "timestamp"
    for key in ("mode", "camera", "io_link", "storage", "clock", "version"):
        assert found["sensor"][key]["entity_category"] == "diagnostic"
    assert found["button"]["reset_counts"]["entity_category"] == "config"
    unique_ids = [json.loads(p)["unique_id"] for _t, p in MESSAGES + SITE_MESSAGES]
    assert len(unique_ids) == len(set(unique_ids))
    assert len({json.dumps(json.loads(p)["device"], sort_keys=True) for _t, p in MESSAGES}) == 1


def test_the_site_device_has_occupancy_cap_free_places_and_gates_online():
    keys = {json.loads(p)["unique_id"].rsplit("_", 1)[-1] for _t, p in SITE_MESSAGES}
    assert {"occupancy", "cap", "free", "online"} <= keys | {"online"} and len(SITE_MESSAGES) == 4
    assert all(json.loads(p)["state_topic"] == TOPICS.site_occupancy for _t, p in SITE_MESSAGES)


def test_removal_clears_every_retained_config():
    removal = removal_messages(MESSAGES)
    assert [t for t, _ in removal] == [t for t, _ in MESSAGES] and {p for _, p in removal} == {""}


def test_what_home_assistant_sends_is_a_command_the_gate_accepts():
    for component in ("button", "switch", "lock"):
        for object_id, config in by_component()[component].items():
            name = TOPICS.command_name(config["command_topic"])
            words = {"button": lambda c: [c["payload_press"]],
                     "switch": lambda c: [c["payload_on"], c["payload_off"]],
                     "lock": lambda c: [c["payload_open"], c["payload_unlock"]]}[component](config)
            for word in words:
                parsed = commands.parse(name, word.encode(), gate="g1", retained=False, now=1e9)
                assert isinstance(parsed, commands.Command), (object_id, word, parsed)
    lock = by_component()["lock"]["door_lock"]
    refused = commands.parse("open", lock["payload_lock"].encode(), gate="g1", retained=False, now=1e9)
    assert isinstance(refused, commands.Refusal) and refused.reason == "locks_itself"


def template_paths(template: str) -> list[list[str]]:
    return [m.split(".") for m in re.findall(r"value_json((?:\.[A-Za-z_]+)+)", template)]


def resolve(payload: dict, path: list[str]):
    value = payload
    for key in path[1:]:
        assert isinstance(value, dict) and key in value, f"{'.'.join(path)} is not in {payload}"
        value = value[key]
    return value


def test_templates_read_fields_the_gate_really_publishes(tmp_path, keys, mosquitto, now):
    """A live gate on Mosquitto; every value_template path must exist in the retained payload it reads."""
    site = f"d{uuid.uuid4().hex[:8]}"
    topics = GateTopics("qrgate", site, "g1")
    app, _pins = mock_gate_app(tmp_path, keys["trust"], site=site, gate="g1")
    ledger = app.ledger
    prefix = f"ha{site}"
    reporter = MqttReporter(ledger=ledger, topics=topics, broker=BrokerSettings(host="127.0.0.1", port=mosquitto.port),
                            gate=app, discovery_prefix=prefix)
    ledger.record(at=now, gate_id="g1", type="denied", reason="expired")
    # subscribed before the gate publishes: an event is not retained, so a late observer misses it
    ha = MqttObserver("127.0.0.1", mosquitto.port, f"{prefix}/#", client_id=f"ha-{site}")
    gate = MqttObserver("127.0.0.1", mosquitto.port, f"qrgate/{site}/#", client_id=f"dash-{site}")
    reporter.start()
    try:
        expected = len(discovery_messages(topics, prefix))
        configs = lambda o: [t for t, _p, _r in o.messages if t.endswith("/config")]  # noqa: E731
        assert ha.wait_for(lambda o: len(set(configs(o))) == expected)
        assert gate.wait_for(lambda o: all(o.latest(t) for t in (topics.counts, topics.state, topics.alarms)))
        assert gate.wait_for(lambda o: o.events)
        for topic in set(configs(ha)):
            config = ha.latest(topic)
            state_topic = config.get("state_topic", "")
            if state_topic == topics.events:  # the scan event entity reads each event message
                source = next(iter(gate.events.values()))
            elif state_topic == topics.result:  # the command-result entity: checked in test_mqtt_commands
                continue
            else:
                source = gate.latest(state_topic)
            for path in template_paths(config.get("value_template", "")):
                resolve(source, path)
        assert gate.latest(topics.counts)["last_denial"]["reason"] == "expired"
        assert gate.latest(topics.last_denial)["reason"] == "expired"

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
        app.stop()


def test_ha_remove_clears_what_the_gate_announced(tmp_path, keys, mosquitto):
    """`qrgate ha remove` on a real broker: afterwards a new subscriber finds no retained config or state."""
    from qrgate.cli.main import main

    site = f"r{uuid.uuid4().hex[:8]}"
    app, _pins = mock_gate_app(tmp_path, keys["trust"], site=site, gate="g1")
    topics = app.topics
    reporter = MqttReporter(ledger=app.ledger, topics=topics, broker=BrokerSettings(host="127.0.0.1", port=mosquitto.port),
                            gate=app, discovery_prefix=f"ha{site}")
    reporter.start()
    ha = MqttObserver("127.0.0.1", mosquitto.port, f"ha{site}/#", client_id=f"ha-{site}")
    try:
        assert ha.wait_for(lambda o: len({t for t, _p, _r in o.messages}) == len(MESSAGES))
    finally:
        ha.close()
        reporter.stop()
        app.stop()
    config = tmp_path / "gate.toml"
    config.write_text(f'[site]\nid = "{site}"\nsecret_file = "{tmp_path}/site.secret"\n[gate]\nid = "g1"\n'
                      f'[[readers]]\nkind = "camera"\n'
                      f'[trust]\nfiles = ["{keys["trust"]}"]\n[ledger]\npath = "{tmp_path}/g1.db"\n'
                      f'[mqtt]\nport = {mosquitto.port}\ndiscovery_prefix = "ha{site}"\n')
    assert main(["ha", "remove", "--config", str(config)]) == 0
    after = MqttObserver("127.0.0.1", mosquitto.port, f"ha{site}/#", client_id=f"ha2-{site}")
    state = MqttObserver("127.0.0.1", mosquitto.port, f"qrgate/{site}/#", client_id=f"st-{site}")
    try:
        time.sleep(1.0)  # retained messages arrive at once on subscribe; none must come
        assert [t for t, p, _r in after.messages if p] == [] and [t for t, p, _r in state.messages if p] == []
    finally:
        after.close()
        state.close()


def test_ha_remove_names_an_unreachable_broker(tmp_path, keys, capsys):
    from qrgate.cli.main import main

    config = tmp_path / "gate.toml"
    config.write_text(f'[site]\nsecret_file = "{tmp_path}/site.secret"\n[[readers]]\nkind = "camera"\n'
                      f'[trust]\nfiles = ["{keys["trust"]}"]\n'
                      f'[ledger]\npath = "{tmp_path}/g1.db"\n[mqtt]\nport = 1\n')
    assert main(["ha", "remove", "--config", str(config)]) == 2
    assert "cannot reach the broker at 127.0.0.1:1" in capsys.readouterr().err


def test_the_node_red_example_drops_a_repeated_event_id():
    """The documented flow's function, run as written (node), passes an id once."""
    import shutil
    import subprocess
    from pathlib import Path

    flow = json.loads((Path(__file__).resolve().parents[1] / "docs/examples/node-red-dedupe.json").read_text())
    [function] = [n for n in flow if n["type"] == "function"]
    node = shutil.which("node")
    assert node, "node is needed to run the Node-RED example's function"
    script = ("const store = {}; const flow = {get: k => store[k], set: (k, v) => { store[k] = v; }};\n"
              f"const run = (msg) => {{ {function['func']} }};\n"
              "const out = [{payload: {id: 'a'}}, {payload: {id: 'a'}}, {payload: {id: 'b'}}].map(run);\n"
              "console.log(JSON.stringify(out.map(m => m && m.payload.id)));")
    done = subprocess.run([node, "-e", script], capture_output=True, text=True, timeout=30)
    assert json.loads(done.stdout) == ["a", None, "b"], done.stderr


def test_each_reader_and_the_site_link_are_diagnostics():
    info = DeviceInfo(readers=("camera entry", "serial exit"), site_sync=True)
    found = {json.loads(p)["unique_id"]: json.loads(p) for _t, p in discovery_messages(TOPICS, "homeassistant",
                                                                                       info=info)}
    readers = [c for uid, c in found.items() if uid.startswith(f"{TOPICS.node_id}_reader_")]
    assert [c["name"] for c in readers] == ["Reader 1 (camera entry)", "Reader 2 (serial exit)"]
    assert all(c["entity_category"] == "diagnostic" and c["device_class"] == "problem" for c in readers)
    assert "value_json.readers[1].ok" in readers[1]["value_template"]
    link = found[f"{TOPICS.node_id}_site_link"]
    assert link["entity_category"] == "diagnostic" and "site_link" in link["value_template"]
    without = discovery_messages(TOPICS, "homeassistant", info=DeviceInfo())
    assert not [t for t, _p in without if t.endswith(("/site_link/config", "/reader_0/config"))]
