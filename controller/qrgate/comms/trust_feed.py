"""Signed revocation lists and trust updates for every gate of a site, over MQTT.

The site's admin publishes them retained on `<prefix>/<site>/site/revocations` and
`<prefix>/<site>/site/trust` (hardware/mosquitto/acl lets only the admin identity write
there), so a gate gets the newest one when it connects and at once while it runs. This
module only listens, as an extension of the reporter's one connection, and hands each
document to the gate (`GateApp.receive_trust`), which verifies its signature against the
keys it already trusts and refuses an older version. Transport only: nothing here decides
what to trust.
"""

from __future__ import annotations

import json
import logging
from typing import Callable, Protocol

from ..actions import ActionResult
from .topics import GateTopics

log = logging.getLogger(__name__)

MAX_DOCUMENT = 4 * 1024 * 1024  # a revocation list of ~200,000 pass ids


class TrustReceiver(Protocol):
    def receive_trust(self, doc: object, source: str = "mqtt") -> ActionResult: ...


class TrustFeed:
    """A reporter extension (comms.mqtt.Extension): subscribes to the site's two trust topics."""

    def __init__(self, topics: GateTopics, gate: TrustReceiver):
        self.topics = (topics.site_revocations, topics.site_trust)
        self.gate = gate

    def subscriptions(self) -> list[tuple[str, int]]:
        return [(topic, 1) for topic in self.topics]

    def connected(self, publish: Callable[..., bool]) -> None:
        pass  # the broker hands over the retained documents by itself

    def disconnected(self) -> None:
        pass

    def pump(self, publish: Callable[..., bool]) -> None:
        pass

    def handle(self, topic: str, payload: bytes, retained: bool, publish: Callable[..., bool]) -> bool:
        if topic not in self.topics:
            return False
        if not payload:
            return True  # the retained document was cleared: the gate keeps what it has
        if len(payload) > MAX_DOCUMENT:
            log.warning("ignored %s: %d bytes, more than %d", topic, len(payload), MAX_DOCUMENT)
            return True
        try:
            doc = json.loads(payload)
        except ValueError as exc:
            log.warning("ignored %s: not JSON (%s)", topic, exc)
            return True
        self.gate.receive_trust(doc, source=f"mqtt {topic}")
        return True
