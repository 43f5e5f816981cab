"""One call that gives a gate its MQTT side: the reporter and the command target, wired.

GateApp calls connect_gate() with its parts and the [mqtt] settings; the simulator and
the tests call it the same way, so every gate is wired alike.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Iterable

from ..config.mqtt import read_command_secret
from ..errors import ConfigError
from .alarm_store import AlarmStore
from .client import BrokerSettings
from .commands import CommandPolicy
from .gate_target import GateTarget
from .mqtt import MqttReporter
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


def connect_gate(*, controller, ledger_path: str | Path, topics: GateTopics, broker: BrokerSettings,
                 state: Callable[[], dict], clock: Callable[[], float] = time.time,
                 unlock: Callable[[float, float], None] | None = None,
                 discovery_prefix: str | None = "homeassistant", commands: Iterable[str] = COMMAND_NAMES,
                 command_secret_file: str | None = None,
                 site_aggregator: bool = False) -> tuple[MqttReporter, GateTarget]:
    """A started-later reporter and an attached command target for `controller`'s gate."""
    policy = command_policy(commands, command_secret_file)
    target = GateTarget(controller, AlarmStore(ledger_path), clock=clock, unlock=unlock).attach()
    reporter = MqttReporter(ledger=controller.ledger, topics=topics, broker=broker, state=state, clock=clock,
                            control=target, command_policy=policy, discovery_prefix=discovery_prefix or None,
                            site_aggregator=site_aggregator)
    return reporter, target
