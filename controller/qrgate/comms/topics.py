"""The MQTT topic scheme, in one place (docs/mqtt.md describes each topic)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GateTopics:
    prefix: str
    site: str
    gate: str

    @property
    def base(self) -> str:
        return f"{self.prefix}/{self.site}/{self.gate}"

    @property
    def availability(self) -> str:  # retained "online"/"offline", last will
        return f"{self.base}/availability"

    @property
    def state(self) -> str:  # retained JSON
        return f"{self.base}/state"

    @property
    def counts(self) -> str:  # retained JSON
        return f"{self.base}/counts"

    @property
    def events(self) -> str:  # QoS 1 JSON, one message per event
        return f"{self.base}/events"
