"""One call that gives a gate its MQTT side: a reporter wired to the gate.

GateApp calls connect_gate() with itself and the [mqtt] settings; the simulator and the
tests call it the same way, so every gate is wired alike. The reporter only translates:
gate changes into messages, and command messages into `gate.perform(Action)` calls.
"""

from __future__ import annotations

import time
from typing import Callable, Iterable

from ..config.mqtt import read_command_secret
from ..errors import ConfigError
from .client import BrokerSettings
from .commands import CommandPolicy
from .discovery import DeviceInfo
from .mqtt import GateView, MqttReporter
from .topics import COMMAND_NAMES, GateTopics


def command_policy(commands: Iterable[str], secret_file: str | None) -> CommandPolicy:
    """The gate's allow-list and optional signing secret (the [mqtt] config has checked both)."""
    secret = None
    if secret_file:
        try:
            secret = read_command_secret(secret_file)
        except ValueError as exc:  # the file changed since the config was checked
            raise ConfigError(f"mqtt.command_secret_file: {exc}") from None
    return CommandPolicy(allowed=frozenset(commands), secret=secret)


def connect_gate(*, gate: GateView, topics: GateTopics, broker: BrokerSettings,
                 clock: Callable[[], float] = time.time, discovery_prefix: str | None = "homeassistant",
                 commands: Iterable[str] = COMMAND_NAMES, command_secret_file: str | None = None,
                 site_aggregator: bool = False, device_info: DeviceInfo = DeviceInfo(), language: str = "en",
                 site_cap: int | None = None) -> MqttReporter:
    """A reporter (started later) for `gate`, taking the commands it allows."""
    policy = command_policy(commands, command_secret_file)
    return MqttReporter(ledger=gate.ledger, topics=topics, broker=broker, gate=gate, clock=clock,
                        command_policy=policy, discovery_prefix=discovery_prefix or None,
                        site_aggregator=site_aggregator, device_info=device_info, language=language,
                        site_cap=site_cap)
