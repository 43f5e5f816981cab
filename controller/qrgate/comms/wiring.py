"""One call that gives a gate its MQTT side: a reporter wired to the gate.

GateApp calls connect_gate() with itself and the [mqtt] settings; the simulator and the
tests call it the same way, so every gate is wired alike. The reporter only translates:
gate changes into messages, and command messages into `gate.perform(Action)` calls.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Iterable

from ..errors import ConfigError
from .client import BrokerSettings
from .commands import CommandPolicy
from .mqtt import GateView, MqttReporter
from .topics import COMMAND_NAMES, RESERVED_GATE_IDS, GateTopics, check_level


def command_policy(commands: Iterable[str], secret_file: str | None) -> CommandPolicy:
    """The gate's allow-list and optional signing secret, checked with the config key paths."""
    allowed = frozenset(commands)
    unknown = sorted(allowed - set(COMMAND_NAMES))
    if unknown:
        raise ConfigError(f"mqtt.commands: unknown command(s) {', '.join(unknown)}; "
                          f"known: {', '.join(COMMAND_NAMES)}")
    secret = None
    if secret_file:
        try:
            secret = Path(secret_file).read_bytes().strip()
        except OSError as exc:
            raise ConfigError(f"mqtt.command_secret_file: cannot read {secret_file} ({exc.strerror})") from None
        if len(secret) < 16:
            raise ConfigError(f"mqtt.command_secret_file: {secret_file} holds {len(secret)} bytes; "
                              "use at least 16")
    return CommandPolicy(allowed=allowed, secret=secret)


def connect_gate(*, gate: GateView, topics: GateTopics, broker: BrokerSettings,
                 clock: Callable[[], float] = time.time, discovery_prefix: str | None = "homeassistant",
                 commands: Iterable[str] = COMMAND_NAMES, command_secret_file: str | None = None,
                 site_aggregator: bool = False) -> MqttReporter:
    """A reporter (started later) for `gate`, taking the commands it allows."""
    for kind, value in (("site.id", topics.site), ("gate.id", topics.gate)):
        try:
            check_level(kind, value)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
    if topics.gate in RESERVED_GATE_IDS:
        raise ConfigError(f"gate.id {topics.gate!r}: that topic level is the site's own; "
                          f"pick another name (not {' or '.join(RESERVED_GATE_IDS)})")
    policy = command_policy(commands, command_secret_file)
    return MqttReporter(ledger=gate.ledger, topics=topics, broker=broker, gate=gate, clock=clock,
                        command_policy=policy, discovery_prefix=discovery_prefix or None,
                        site_aggregator=site_aggregator)
