"""[mqtt]: reporting to dashboards and taking commands, over the site's broker.

BrokerConfig is the part every MQTT client of qrgate needs (the gate, the simulator, the
tests); comms.client takes it as its BrokerSettings, so the broker's fields are declared once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from ..comms.topics import COMMAND_NAMES
from ..pseudonym import MIN_SECRET_BYTES
from .base import ConfigModel, fail



class BrokerConfig(ConfigModel):
    host: str = Field("127.0.0.1", min_length=1, description="Broker host")
    port: int = Field(1883, ge=1, le=65535, description="Broker port")
    username: str | None = Field(None, description="Broker user name; none: connect anonymously")
    password: str | None = Field(None, description="Broker password")
    ca_file: str | None = Field(None, description="CA certificate; when set, the broker is reached over TLS and "
                                                  "must present a certificate from this CA")
    cert_file: str | None = Field(None, description="Client certificate for TLS, for brokers that require one")
    key_file: str | None = Field(None, description="Private key of the client certificate")
    keepalive: int = Field(30, ge=1, le=3600, description="Seconds between pings; the broker publishes the "
                                                          "last will after 1.5 times this without one")

    @property
    def tls(self) -> bool:
        return bool(self.ca_file or self.cert_file)


def _topic_prefix(value: str | None) -> str | None:
    if value is not None and (not value or any(c in value for c in "+#/\0") or value != value.strip()):
        fail(f"{value!r}: one topic level, without '+', '#', '/' or surrounding spaces")
    return value


class MqttConfig(BrokerConfig):
    enabled: bool = Field(True, description="Report to an MQTT broker")
    topic_prefix: str = Field("qrgate", description="First level of every topic")
    discovery_prefix: str | None = Field("homeassistant",
                                         description="Home Assistant discovery prefix; none: no discovery")
    commands: list[Literal[COMMAND_NAMES]] = Field(
        default_factory=lambda: list(COMMAND_NAMES),
        description="Commands this gate takes on its cmd topics (the broker ACL decides who may send)")
    command_secret_file: str | None = Field(None, description="Shared secret (at least 16 bytes); when set, "
                                                              "commands must be signed (docs/mqtt.md)")
    site_aggregator: bool = Field(False, description="This gate publishes <prefix>/<site>/occupancy from every "
                                                     "gate's counts")

    @field_validator("topic_prefix", "discovery_prefix")
    @classmethod
    def _one_topic_level(cls, value: str | None) -> str | None:
        return _topic_prefix(value)

    @model_validator(mode="after")
    def _files_readable(self) -> "MqttConfig":
        if not self.enabled:
            return self
        for key in ("ca_file", "cert_file", "key_file"):
            name = getattr(self, key)
            if name is not None and not Path(name).is_file():
                fail(f"no such file {name}", key)
        if self.key_file is not None and self.cert_file is None:
            fail("set without mqtt.cert_file", "key_file")
        if self.command_secret_file is not None:
            try:
                read_command_secret(self.command_secret_file)
            except ValueError as exc:
                fail(str(exc), "command_secret_file")
        return self


def read_command_secret(path: str) -> bytes:
    """The secret that signs commands; ValueError says why a file cannot be one."""
    try:
        secret = Path(path).read_bytes().strip()
    except OSError as exc:
        raise ValueError(f"cannot read {path} ({exc.strerror})") from None
    if len(secret) < MIN_SECRET_BYTES:
        raise ValueError(f"{path} holds {len(secret)} bytes; it needs at least {MIN_SECRET_BYTES}")
    return secret
