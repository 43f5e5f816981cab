"""Signed revocation lists and trust updates for every gate of a site, over MQTT.

The site's admin publishes them retained on `<prefix>/<site>/site/revocations` and
`<prefix>/<site>/site/trust` (hardware/mosquitto/acl lets only the admin identity write
there), so a gate gets the newest one when it connects and at once while it runs. This
module only listens, on the reporter's one connection, and hands each document to the gate
(`GateApp.receive_trust`), which verifies its signature against the keys it already trusts
and refuses an older version. Transport only: nothing here decides what to trust.
"""

from __future__ import annotations

import json
import logging
from typing import Protocol

from ..actions import ActionResult
from .mqtt import MqttReporter
from .topics import GateTopics

log = logging.getLogger(__name__)

MAX_DOCUMENT = 4 * 1024 * 1024  # a revocation list of ~200,000 pass ids


class TrustReceiver(Protocol):
    def receive_trust(self, doc: object, source: str = "mqtt") -> ActionResult: ...


def listen_for_trust(reporter: MqttReporter, topics: GateTopics, gate: TrustReceiver) -> None:
    def handle(topic: str, payload: bytes, retained: bool) -> None:
        if not payload:
            return  # the retained document was cleared: the gate keeps what it has
        if len(payload) > MAX_DOCUMENT:
            log.warning("ignored %s: %d bytes, more than %d", topic, len(payload), MAX_DOCUMENT)
            return
        try:
            doc = json.loads(payload)
        except ValueError as exc:
            log.warning("ignored %s: not JSON (%s)", topic, exc)
            return
        gate.receive_trust(doc, source=f"mqtt {topic}")

    reporter.subscribe(topics.site_revocations, handle)
    reporter.subscribe(topics.site_trust, handle)
