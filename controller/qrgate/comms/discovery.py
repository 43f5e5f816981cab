"""Home Assistant MQTT discovery: a device per gate and one per site, reading the gates' own topics.

Pure: returns (topic, payload) pairs; the reporter publishes them (retained) on connect and
again whenever Home Assistant announces `<discovery prefix>/status` "online". `removal_messages`
gives the empty retained payloads that make Home Assistant forget them.
Keys follow HA's MQTT discovery docs (sensor, binary_sensor, button, switch, lock, event,
device, origin); tests/test_ha_discovery.py checks them against a table of those documented
keys, and `make ha-check` against a real Home Assistant's own schemas.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import metadata

from ..policy.reasons import GUARD_TEXT
from ..state.alarms import REGISTRY
from .topics import GateTopics

ALARM_CLASSES = {name: spec.device_class for name, spec in REGISTRY.items()}
_ON_OFF = "{{{{ 'ON' if {expr} else 'OFF' }}}}"
#: the scan event entity's types, and the ledger event types each one stands for
SCAN_EVENT_TYPES = {"granted": ("entry", "exit"), "denied": ("denied",),
                    "override": ("override", "remote_open"), "alarm": ("alarm",)}
#: the command-result event entity's types
RESULT_EVENT_TYPES = ("done", "refused")
# mode, camera, I/O link, storage, clock: diagnostic enum sensors on the state topic
DIAGNOSTICS = {"mode": ("Mode", ("normal", "lockdown", "free_exit"), "mdi:shield-home"),
               "camera": ("Camera", ("ok", "lost"), "mdi:cctv"),
               "io_link": ("I/O link", ("online", "offline"), "mdi:lan-connect"),
               "storage": ("Storage", ("ok", "fault"), "mdi:sd"),
               "clock": ("Clock", ("synced", "unsynced"), "mdi:clock-check-outline")}


def version() -> str:
    try:
        return metadata.version("qrgate")
    except metadata.PackageNotFoundError:
        return "unknown"


def status_topic(discovery_prefix: str) -> str:
    """Where Home Assistant says "online" after it starts, asking devices to announce again."""
    return f"{discovery_prefix}/status"


@dataclass(frozen=True)
class DeviceInfo:
    """What Home Assistant shows about the gate's device, beyond its name (all optional)."""

    hw_version: str | None = None  # e.g. "Raspberry Pi GPIO" or "OSDP I/O board"
    serial_number: str | None = None
    suggested_area: str | None = None
    configuration_url: str | None = None  # the gate's console page
    support_url: str | None = None  # where the site's own instructions for qrgate live
    readers: tuple[str, ...] = ()  # a name per configured reader, in config order ("camera entry", ...)
    site_sync: bool = False  # the gate shares presence with the site's other gates


def site_node_id(topics: GateTopics) -> str:
    return f"{topics.prefix}_{topics.site}".replace("-", "_")


def _origin(info: DeviceInfo) -> dict:
    origin = {"name": "qrgate", "sw_version": version()}
    if info.support_url:
        origin["support_url"] = info.support_url
    return origin


def _reason_template(language: str) -> str:
    """Jinja that turns a reason code into its text in the HA user's language (the gate's table)."""
    index = 0 if language == "vi" else 1
    table = json.dumps({code: texts[index] for code, texts in GUARD_TEXT.items()}, ensure_ascii=False,
                       sort_keys=True)
    return "{% set texts = " + table + " %}"


def discovery_messages(topics: GateTopics, discovery_prefix: str = "homeassistant", *,
                       info: DeviceInfo = DeviceInfo(), language: str = "en") -> list[tuple[str, str]]:
    """Every entity of one gate's device."""
    node = topics.node_id
    device = {"identifiers": [node], "name": f"qrgate {topics.site}/{topics.gate}", "manufacturer": "qrgate",
              "model": "QR entry gate", "sw_version": version(), "via_device": site_node_id(topics),
              **{k: v for k, v in (("hw_version", info.hw_version), ("serial_number", info.serial_number),
                                   ("suggested_area", info.suggested_area),
                                   ("configuration_url", info.configuration_url)) if v}}
    common = {"availability_topic": topics.availability, "payload_available": "online",
              "payload_not_available": "offline", "device": device, "origin": _origin(info), "qos": 1}
    texts = _reason_template(language)

    def entity(component: str, key: str, name: str, **fields) -> tuple[str, str]:
        payload = {"name": name, "unique_id": f"{node}_{key}", **common, **fields}
        return f"{discovery_prefix}/{component}/{node}/{key}/config", json.dumps(payload, sort_keys=True)

    counts, state = topics.counts, topics.state
    scan_map = {t: kind for kind, types in SCAN_EVENT_TYPES.items() for t in types}
    scan_template = (texts + "{% set kinds = " + json.dumps(scan_map, sort_keys=True) + " %}"
                     "{% set kind = kinds.get(value_json.type) %}"
                     "{% if kind %}{{ {'event_type': kind, 'reason': value_json.reason, "
                     "'reason_text': texts.get(value_json.reason, value_json.reason), "
                     "'direction': value_json.direction, 'credential': value_json.format, "
                     "'gate': value_json.gate} | tojson }}{% endif %}")
    result_template = (texts + "{{ {'event_type': 'done' if value_json.ok else 'refused', "
                       "'command': value_json.command, 'reason': value_json.reason, "
                       "'reason_text': texts.get(value_json.reason, value_json.reason), "
                       "'request_id': value_json.request_id} | tojson }}")
    messages = [
        entity("sensor", "occupancy", "Occupancy", state_topic=counts, state_class="measurement",
               unit_of_measurement="people", icon="mdi:account-group", value_template="{{ value_json.occupancy }}"),
        *(entity("sensor", f"{kind}_today", f"{kind.capitalize()} today", state_topic=counts,
                 state_class="total_increasing", icon=icon, value_template=f"{{{{ value_json.today.{kind} }}}}")
          for kind, icon in (("entries", "mdi:login"), ("exits", "mdi:logout"), ("denials", "mdi:cancel"))),
        *(entity("sensor", f"{kind}_total", f"{kind.capitalize()} in total", state_topic=counts,
                 state_class="total_increasing", icon=icon, entity_category="diagnostic",
                 value_template=f"{{{{ value_json.total.{kind} }}}}")
          for kind, icon in (("entries", "mdi:login"), ("exits", "mdi:logout"), ("denials", "mdi:cancel"))),
        # enum sensors: Home Assistant 2024.3's MQTT sensor takes no `options` key (later releases do);
        # the codes are listed in docs/reasons.md
        # read from a topic the gate fills from its first denial on, so HA shows "unknown" until then
        entity("sensor", "last_denial_reason", "Last denial reason", state_topic=topics.last_denial,
               device_class="enum", icon="mdi:alert-circle-outline", value_template="{{ value_json.reason }}"),
        entity("sensor", "last_denial_at", "Last denial", state_topic=topics.last_denial, device_class="timestamp",
               icon="mdi:clock-alert-outline", value_template="{{ as_datetime(value_json.at) }}"),
        *(entity("sensor", key, name, state_topic=state, device_class="enum", icon=icon,
                 entity_category="diagnostic", value_template=f"{{{{ value_json.{key} }}}}")
          for key, (name, _options, icon) in DIAGNOSTICS.items()),
        entity("sensor", "version", "Software version", state_topic=state, icon="mdi:tag-outline",
               entity_category="diagnostic", value_template="{{ value_json.version }}"),
        *(entity("binary_sensor", f"reader_{i}", f"Reader {i + 1} ({name})", state_topic=state,
                 device_class="problem", entity_category="diagnostic",
                 value_template=_ON_OFF.format(expr=f"not value_json.readers[{i}].ok"))
          for i, name in enumerate(info.readers)),
        *([entity("binary_sensor", "site_link", "Cut off from the site", state_topic=state,
                  device_class="problem", entity_category="diagnostic",
                  value_template=_ON_OFF.format(expr="value_json.site_link == 'cut'"))] if info.site_sync else []),
        entity("binary_sensor", "door", "Door", state_topic=state, device_class="door",
               value_template=_ON_OFF.format(expr="value_json.door == 'open'")),
        # "online" reads the availability topic itself, so it carries no availability of its own
        _online(discovery_prefix, node, device, topics, _origin(info)),
        *(entity("binary_sensor", f"alarm_{name}", f"Alarm: {REGISTRY[name].en}", state_topic=topics.alarms,
                 device_class=cls, entity_category="diagnostic" if cls == "problem" else None,
                 value_template=_ON_OFF.format(expr=f"value_json.{name}.on"),
                 json_attributes_topic=topics.alarms,
                 json_attributes_template=f"{{{{ value_json.{name} | tojson }}}}")
          for name, cls in ALARM_CLASSES.items()),
        entity("lock", "door_lock", "Door lock", command_topic=topics.command("open"), state_topic=state,
               payload_open="OPEN", payload_unlock="UNLOCK", payload_lock="LOCK", state_locked="LOCKED",
               state_unlocked="UNLOCKED", value_template="{{ 'UNLOCKED' if value_json.lock == 'unlocked' "
                                                         "else 'LOCKED' }}", icon="mdi:door-closed-lock"),
        entity("button", "open", "Open gate", command_topic=topics.command("open"), payload_press="PRESS",
               icon="mdi:door-open"),
        entity("button", "ack_alarms", "Acknowledge alarms", command_topic=topics.command("ack_alarm"),
               payload_press="all", icon="mdi:bell-check"),
        entity("button", "reset_counts", "Reset today's counts", command_topic=topics.command("reset_counts"),
               payload_press="PRESS", icon="mdi:counter", entity_category="config"),
        entity("switch", "lockdown", "Lockdown", command_topic=topics.command("lockdown"), state_topic=state,
               payload_on="ON", payload_off="OFF", value_template=_ON_OFF.format(expr="value_json.lockdown"),
               icon="mdi:lock-alert"),
        entity("switch", "free_exit", "Free exit", command_topic=topics.command("free_exit"), state_topic=state,
               payload_on="ON", payload_off="OFF", value_template=_ON_OFF.format(expr="value_json.free_exit"),
               icon="mdi:exit-run"),
        entity("event", "scan", "Scan", state_topic=topics.events, event_types=list(SCAN_EVENT_TYPES),
               value_template=scan_template, icon="mdi:qrcode-scan"),
        entity("event", "command_result", "Command result", state_topic=topics.result,
               event_types=list(RESULT_EVENT_TYPES), value_template=result_template, icon="mdi:console",
               entity_category="diagnostic"),
    ]
    # entity() with entity_category=None must not send the key at all
    return [(topic, json.dumps({k: v for k, v in json.loads(p).items() if v is not None}, sort_keys=True))
            for topic, p in messages]


def site_discovery_messages(topics: GateTopics, discovery_prefix: str = "homeassistant", *,
                            info: DeviceInfo = DeviceInfo()) -> list[tuple[str, str]]:
    """The site's device, published by the site aggregator from `<prefix>/<site>/occupancy`."""
    node = site_node_id(topics)
    device = {"identifiers": [node], "name": f"qrgate site {topics.site}", "manufacturer": "qrgate",
              "model": "QR entry site", "sw_version": version()}
    common = {"device": device, "origin": _origin(info), "qos": 1, "state_topic": topics.site_occupancy}

    def entity(component: str, key: str, name: str, **fields) -> tuple[str, str]:
        payload = {"name": name, "unique_id": f"{node}_{key}", **common, **fields}
        return f"{discovery_prefix}/{component}/{node}/{key}/config", json.dumps(payload, sort_keys=True)

    return [
        entity("sensor", "occupancy", "Site occupancy", state_class="measurement", unit_of_measurement="people",
               icon="mdi:account-group", value_template="{{ value_json.occupancy }}"),
        entity("sensor", "cap", "Site capacity", unit_of_measurement="people", icon="mdi:account-multiple-check",
               value_template="{{ value_json.cap }}"),
        entity("sensor", "free", "Free places", state_class="measurement", unit_of_measurement="people",
               icon="mdi:account-multiple-plus", value_template="{{ value_json.free }}"),
        entity("sensor", "gates_online", "Gates online", state_class="measurement", icon="mdi:gate",
               value_template="{{ value_json.gates_online }}"),
    ]


def removal_messages(messages: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Empty retained payloads on the same topics: Home Assistant then removes the entities."""
    return [(topic, "") for topic, _payload in messages]


def _online(discovery_prefix: str, node: str, device: dict, topics: GateTopics,
            origin: dict) -> tuple[str, str]:
    payload = {"name": "Online", "unique_id": f"{node}_online", "device": device, "state_topic": topics.availability,
               "payload_on": "online", "payload_off": "offline", "device_class": "connectivity",
               "entity_category": "diagnostic", "origin": origin, "qos": 1}
    return f"{discovery_prefix}/binary_sensor/{node}/online/config", json.dumps(payload, sort_keys=True)
