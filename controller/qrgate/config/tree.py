"""The whole config of one gate, and load(): a TOML file in, a checked Config out.

Everything `qrgate run` would refuse is refused here, so `qrgate config check` and `run`
agree: ranges and names per field, cross-field rules in each table's validators, and
the files the gate reads (trust files, replayed images and videos, the command secret).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import Field, model_validator

from ..errors import ConfigError
from ..policy.config import PolicyConfig
from .base import ConfigModel, fail
from .decoder import DecoderConfig
from .gate import GateConfig
from .ledger import LedgerConfig
from .messages import validate
from .mqtt import MqttConfig
from .readers import ReaderConfig
from .site import SiteConfig
from .trust import TrustConfig
from ..web.config import WebConfig


class Config(ConfigModel):
    site: SiteConfig = Field(default_factory=SiteConfig, description="The facility")
    gate: GateConfig = Field(default_factory=GateConfig, description="This gate's name and I/O hardware")
    readers: list[ReaderConfig] = Field(
        default_factory=list, description="What reads the codes: at least one [[readers]] table, each a camera, "
                                          "a serial scanner module or a USB (hid) scanner, for entries or exits")
    decoder: DecoderConfig = Field(default_factory=DecoderConfig, description="QR decoding and debouncing")
    policy: PolicyConfig = Field(default_factory=PolicyConfig, description="Who may enter")
    trust: TrustConfig = Field(default_factory=TrustConfig, description="What credentials the gate trusts")
    ledger: LedgerConfig = Field(default_factory=LedgerConfig, description="The local event log")
    mqtt: MqttConfig = Field(default_factory=MqttConfig, description="Reporting to dashboards, and commands")
    web: WebConfig = Field(default_factory=WebConfig, description="The visitor's screen and the guard's console")

    @model_validator(mode="after")
    def _gate_id_not_the_sync_level(self) -> "Config":
        if self.site.sync.enabled and self.mqtt.enabled and self.gate.id == "sync":
            fail("'sync' names the site's sync topics (docs/site.md); choose another gate id", "gate.id")
        return self

    @model_validator(mode="after")
    def _has_a_reader(self) -> "Config":
        if not self.readers:
            fail("a gate needs at least one [[readers]] table (kind = \"camera\", \"serial\" or \"hid\")", "readers")
        return self


def read_toml(path: str | Path, what: str = "config") -> dict:
    """A TOML file as a dict, or a ConfigError that says which file and what is wrong with it."""
    path = Path(path)
    try:
        return tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such {what} file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None


def load(path: str | Path) -> Config:
    """The gate's config from a TOML file; a ConfigError names the first wrong key."""
    return validate(Config, read_toml(path))
