"""qrgate ha remove: make Home Assistant forget a gate that is taken out of service.

Publishes empty retained payloads on every discovery topic the gate announced (and the
site's, when it was the site aggregator), and on its retained state topics, as Home
Assistant's MQTT discovery documents; Home Assistant then removes the device.
"""

from __future__ import annotations

import threading

from .. import config
from ..comms.client import make_client
from ..comms.discovery import discovery_messages, removal_messages, site_discovery_messages
from ..comms.topics import GateTopics
from ..errors import BrokerError
from .output import emit

CONNECT_SECONDS = 10.0


def add_parser(sub) -> None:
    ha = sub.add_parser("ha", help="Home Assistant: remove a gate's entities")
    ha_sub = ha.add_subparsers(dest="ha_command", required=True)
    remove = ha_sub.add_parser("remove", help="clear the gate's retained discovery and state on the broker")
    remove.add_argument("--config", required=True, help="the gate's TOML config (its broker and ids)")
    remove.add_argument("--json", action="store_true")
    remove.set_defaults(handler=run_remove)


def retained_topics(cfg) -> list[str]:
    topics = GateTopics(cfg.mqtt.topic_prefix, cfg.site.id, cfg.gate.id)
    found = [topic for topic, _ in discovery_messages(topics, cfg.mqtt.discovery_prefix)] \
        if cfg.mqtt.discovery_prefix else []
    if cfg.mqtt.site_aggregator and cfg.mqtt.discovery_prefix:
        found += [topic for topic, _ in site_discovery_messages(topics, cfg.mqtt.discovery_prefix)]
    return found + [topics.state, topics.counts, topics.alarms, topics.availability]


def run_remove(args) -> int:
    cfg = config.load(args.config)
    m = cfg.mqtt
    client = make_client(f"qrgate-{cfg.site.id}-{cfg.gate.id}-remove", m)
    connected = threading.Event()
    client.on_connect = lambda c, u, f, reason, p: reason.is_failure or connected.set()
    try:
        client.connect(m.host, m.port)
    except OSError as exc:
        raise BrokerError(f"cannot reach the broker at {m.host}:{m.port} ({exc})") from None
    client.loop_start()
    try:
        if not connected.wait(CONNECT_SECONDS):
            raise BrokerError(f"the broker at {m.host}:{m.port} did not accept the connection "
                              f"within {CONNECT_SECONDS:g} s (check mqtt.username and the ACL)")
        topics = retained_topics(cfg)
        for topic, payload in removal_messages([(t, "") for t in topics]):
            client.publish(topic, payload, qos=1, retain=True).wait_for_publish(CONNECT_SECONDS)
    finally:
        client.disconnect()
        client.loop_stop()
    emit(args, {"cleared": len(topics), "gate": cfg.gate.id, "site": cfg.site.id},
         f"cleared {len(topics)} retained topics of gate {cfg.site.id}/{cfg.gate.id}; Home Assistant removes it")
    return 0
