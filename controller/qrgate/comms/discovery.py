"""Home Assistant MQTT discovery: one device per gate, its entities read the gate's own topics.

Pure: returns (topic, payload) pairs; the reporter publishes them (retained) on connect and
again whenever Home Assistant announces `<discovery prefix>/status` "online".
Keys follow HA's MQTT discovery docs for sensor, binary_sensor, button, switch and device;
tests/test_ha_discovery.py checks them against a table of those documented keys.
"""

from __future__ import annotations

import json

from importlib import metadata

from ..state.alarms import REGISTRY
from .topics import GateTopics

ALARM_CLASSES = {name: spec.device_class for name, spec in REGISTRY.items()}
_ON_OFF = "{{{{ 'ON' if {expr} else 'OFF' }}}}"


def _version() -> str:
    try:
        return metadata.version("qrgate")
    except metadata.PackageNotFoundError:
        return "unknown"


def status_topic(discovery_prefix: str) -> str:
    """Where Home Assistant says "online" after it starts, asking devices to announce again."""
    return f"{discovery_prefix}/status"


def discovery_messages(topics: GateTopics, discovery_prefix: str = "homeassistant") -> list[tuple[str, str]]:
    node = topics.node_id
    device = {"identifiers": [node], "name": f"qrgate {topics.site}/{topics.gate}", "manufacturer": "qrgate",
              "model": "QR entry gate", "sw_version": _version()}
    common = {"availability_topic": topics.availability, "payload_available": "online",
              "payload_not_available": "offline", "device": device}

    def entity(component: str, key: str, name: str, **fields) -> tuple[str, str]:
        payload = {"name": name, "unique_id": f"{node}_{key}", **common, **fields}
        return f"{discovery_prefix}/{component}/{node}/{key}/config", json.dumps(payload, sort_keys=True)

    counts = topics.counts
    messages = [
        entity("sensor", "occupancy", "Occupancy", state_topic=counts, state_class="measurement",
               unit_of_measurement="people", icon="mdi:account-group", value_template="{{ value_json.occupancy }}"),
        *(entity("sensor", f"{kind}_today", f"{kind.capitalize()} today", state_topic=counts,
                 state_class="total_increasing", icon=icon, value_template=f"{{{{ value_json.today.{kind} }}}}")
          for kind, icon in (("entries", "mdi:login"), ("exits", "mdi:logout"), ("denials", "mdi:cancel"))),
        entity("sensor", "last_denial_reason", "Last denial reason", state_topic=counts,
               icon="mdi:alert-circle-outline", value_template="{{ value_json.last_denial.reason }}"),
        entity("binary_sensor", "door", "Door", state_topic=topics.state, device_class="door",
               value_template=_ON_OFF.format(expr="value_json.door == 'open'")),
        # "online" reads the availability topic itself, so it carries no availability of its own
        _online(discovery_prefix, node, device, topics),
        *(entity("binary_sensor", f"alarm_{name}", f"Alarm {name.replace('_', ' ')}", state_topic=topics.alarms,
                 device_class=cls, value_template=_ON_OFF.format(expr=f"value_json.{name}.on"))
          for name, cls in ALARM_CLASSES.items()),
        entity("button", "open", "Open gate", command_topic=topics.command("open"), payload_press="PRESS",
               icon="mdi:door-open", qos=1),
        entity("button", "ack_alarms", "Acknowledge alarms", command_topic=topics.command("ack_alarm"),
               payload_press="all", icon="mdi:bell-check", qos=1),
        entity("switch", "lockdown", "Lockdown", command_topic=topics.command("lockdown"), state_topic=topics.state,
               payload_on="ON", payload_off="OFF", value_template=_ON_OFF.format(expr="value_json.lockdown"),
               icon="mdi:lock-alert", qos=1),
        entity("switch", "free_exit", "Free exit", command_topic=topics.command("free_exit"), state_topic=topics.state,
               payload_on="ON", payload_off="OFF", value_template=_ON_OFF.format(expr="value_json.free_exit"),
               icon="mdi:exit-run", qos=1),
    ]
    return messages


def _online(discovery_prefix: str, node: str, device: dict, topics: GateTopics) -> tuple[str, str]:
    payload = {"name": "Online", "unique_id": f"{node}_online", "device": device, "state_topic": topics.availability,
               "payload_on": "online", "payload_off": "offline", "device_class": "connectivity",
               "entity_category": "diagnostic"}
    return f"{discovery_prefix}/binary_sensor/{node}/online/config", json.dumps(payload, sort_keys=True)
