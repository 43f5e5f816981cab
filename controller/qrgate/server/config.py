"""The site server's config tree (site.toml): one validated pydantic model, unknown keys refused.

```toml
[database]
url = "sqlite:////var/lib/qrgate/site.db"    # or "postgresql://user@host/qrgate"
[mqtt]
host = "127.0.0.1"
topic_prefix = "qrgate"
[http]
host = "127.0.0.1"
port = 8470
[[sites]]
id = "site1"
secret_file = "/var/lib/qrgate/site.secret"
tz = "Asia/Ho_Chi_Minh"
zones = { lab = ["g3", "g4"] }
```
"""

from __future__ import annotations

import zoneinfo
from pathlib import Path

from pydantic import Field, field_validator, model_validator

from ..config.base import ConfigModel, fail
from ..config.messages import validate
from ..config.mqtt import BrokerConfig, _topic_prefix
from ..config.site import topic_level
from ..config.tree import read_toml
from .declaration.settings import DeclarationSettings


class DatabaseConfig(ConfigModel):
    url: str = Field("sqlite:///site.db", description="sqlite:///PATH (the default, embedded) or "
                                                       "postgresql://USER@HOST[:PORT]/NAME (psycopg 3)")
    pool_size: int = Field(5, ge=1, le=100, description="Connections kept open to PostgreSQL")

    @field_validator("url")
    @classmethod
    def _known_engine(cls, value: str) -> str:
        if not (value.startswith("sqlite:///") or value.startswith("postgresql://")
                or value.startswith("postgresql+psycopg://")):
            fail(f"{value!r}: use sqlite:///PATH or postgresql://USER@HOST/NAME")
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")


class ServerMqttConfig(BrokerConfig):
    topic_prefix: str = Field("qrgate", description="First level of every topic, as the gates' mqtt.topic_prefix")
    client_id: str = Field("qrgate-site-server", min_length=1, max_length=64,
                           description="MQTT client id; kept across restarts so the broker holds the "
                                       "server's QoS 1 events while it is down (persistent session); also "
                                       "the server's name in the site exchange (sync/<client_id>/req), so "
                                       "1-64 letters, digits, '_' or '-', and no gate's id")
    batch_size: int = Field(500, ge=1, le=10000, description="Events written to the database in one insert")
    batch_seconds: float = Field(0.2, gt=0, le=10, description="Longest wait before a partial batch is written")

    @field_validator("topic_prefix")
    @classmethod
    def _one_level(cls, value: str) -> str:
        return _topic_prefix(value)

    @field_validator("client_id")
    @classmethod
    def _a_level(cls, value: str) -> str:
        return topic_level(value)


class HttpConfig(ConfigModel):
    host: str = Field("127.0.0.1", min_length=1, description="Address to listen on; loopback unless you mean it")
    port: int = Field(8470, ge=1, le=65535, description="TCP port of the API and pages")
    ssl_certfile: str | None = Field(None, description="Certificate (PEM) for TLS served by uvicorn itself")
    ssl_keyfile: str | None = Field(None, description="Private key of ssl_certfile")

    @model_validator(mode="after")
    def _tls_pair(self) -> "HttpConfig":
        if (self.ssl_certfile is None) != (self.ssl_keyfile is None):
            fail("set ssl_certfile and ssl_keyfile together", "ssl_keyfile")
        for key in ("ssl_certfile", "ssl_keyfile"):
            name = getattr(self, key)
            if name is not None and not Path(name).is_file():
                fail(f"no such file {name}", key)
        return self


class AuthConfig(ConfigModel):
    session_minutes: int = Field(480, ge=1, le=10080, description="A login lasts this long")
    idle_minutes: int = Field(60, ge=1, le=10080, description="A session unused this long ends")
    login_attempts: int = Field(5, ge=1, le=1000, description="Failed logins allowed per name and address "
                                                              "within login_window_seconds")
    login_window_seconds: int = Field(300, ge=1, le=86400, description="Window of the login rate limit")
    secure_cookies: bool = Field(False, description="Mark cookies Secure (set when served over HTTPS)")


class RetentionConfig(ConfigModel):
    movement_days: int = Field(21, ge=1, le=3650, description="Events older than this are purged")
    trace_log_days: int = Field(365, ge=1, le=36500, description="The trace and re-identification log is kept "
                                                                 "this long")
    purge_every_minutes: int = Field(60, ge=1, le=10080, description="How often the server purges")


class RegisterConfig(ConfigModel):
    path: str | None = Field(None, description="The pass office's register (qrgate pass issue --register); "
                                               "none: no re-identification")
    key_file: str | None = Field(None, description="The site's X25519 private key that opens the register "
                                                   "(made by qrgate site register-init); only tracers use it, through the API")

    @model_validator(mode="after")
    def _both(self) -> "RegisterConfig":
        if (self.path is None) != (self.key_file is None):
            fail("set path and key_file together", "key_file")
        return self


class KeysConfig(ConfigModel):
    pass_key: str | None = Field(None, description="The site's pass-signing private key (qrgate keys new), for "
                                                   "what the server issues (day passes of the declaration form)")

    @field_validator("pass_key")
    @classmethod
    def _exists(cls, value: str | None) -> str | None:
        if value is not None and not Path(value).is_file():
            fail(f"no such file {value}")
        return value


class ServedSiteConfig(ConfigModel):
    id: str = Field(..., description="Site id, as the gates' site.id (an MQTT topic level)")
    secret_file: str | None = Field(None, description="The site's pseudonym secret (as the gates'); lets a "
                                                      "trace start from a pass id")
    tz: str = Field("UTC", description="IANA time zone of the site: days and hours of counts are its own")
    zones: dict[str, list[str]] = Field(default_factory=dict,
                                        description="Zone name -> gate ids; with zones, a trace matches "
                                                    "people in the same zone, not merely on site")
    max_stay_hours: float = Field(24, gt=0, le=720, description="A stay with no exit ends after this long")

    @field_validator("id")
    @classmethod
    def _level(cls, value: str) -> str:
        return topic_level(value)

    @field_validator("tz")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            fail(f"{value!r}: not an IANA time zone (e.g. Asia/Ho_Chi_Minh)")
        return value

    @model_validator(mode="after")
    def _gate_in_one_zone(self) -> "ServedSiteConfig":
        seen: dict[str, str] = {}
        for zone, gates in self.zones.items():
            for gate in gates:
                if gate in seen:
                    fail(f"gate {gate!r} is in zones {seen[gate]!r} and {zone!r}", f"zones.{zone}")
                seen[gate] = zone
        return self

    def zone_of(self, gate: str) -> str | None:
        for zone, gates in self.zones.items():
            if gate in gates:
                return zone
        return None


class ServerConfig(ConfigModel):
    database: DatabaseConfig = Field(default_factory=DatabaseConfig, description="Where events are kept")
    mqtt: ServerMqttConfig = Field(default_factory=ServerMqttConfig, description="The broker the gates publish to")
    http: HttpConfig = Field(default_factory=HttpConfig, description="The API and the managers' pages")
    auth: AuthConfig = Field(default_factory=AuthConfig, description="Logins and sessions")
    retention: RetentionConfig = Field(default_factory=RetentionConfig, description="How long rows are kept")
    pass_register: RegisterConfig = Field(default_factory=RegisterConfig, description="Re-identification "
                                          "from the pass office's sealed register")
    keys: KeysConfig = Field(default_factory=KeysConfig, description="The site's own keys")
    sites: list[ServedSiteConfig] = Field(default_factory=lambda: [ServedSiteConfig(id="site1")],
                                          description="The sites whose gates this server ingests")
    declaration: DeclarationSettings = Field(default_factory=DeclarationSettings,
                                             description="The QR health declaration form (docs/vietnam.md)")

    @model_validator(mode="after")
    def _unique_sites(self) -> "ServerConfig":
        ids = [s.id for s in self.sites]
        if not ids:
            fail("list at least one [[sites]] table", "sites")
        for i, sid in enumerate(ids):
            if sid in ids[:i]:
                fail(f"site {sid!r} is listed twice", f"sites[{i}].id")
        return self

    def site(self, site_id: str) -> ServedSiteConfig | None:
        return next((s for s in self.sites if s.id == site_id), None)


def load_server_config(path: str | Path) -> ServerConfig:
    """site.toml as a ServerConfig; a ConfigError names the file's first wrong key."""
    return validate(ServerConfig, read_toml(path, "site server config"))
