"""One validated config tree, read from TOML.

Every field has a default and a description (shown by `qrgate config describe`);
unknown keys and wrong types are refused with the key path, e.g. `gate.relay_seconds`.
"""

from __future__ import annotations

import dataclasses
import difflib
import tomllib
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .configfield import setting
from .errors import ConfigError
from .gate.pins import DEFAULT_PINS
from .policy.config import PolicyConfig
from .site.config import SiteSyncConfig


@dataclass
class SiteConfig:
    id: str = setting("site1", "Site name used in MQTT topics and on passes' site binding")
    secret_file: str = setting("/var/lib/qrgate/site.secret",
                               "Secret that keys holder pseudonyms in the log, the same at every gate of the "
                               "site (qrgate site secret export|import); made on first start")
    sync: SiteSyncConfig = setting(SiteSyncConfig(), "Shared presence with the site's other gates (docs/site.md)")


@dataclass
class GateConfig:
    id: str = setting("gate1", "Gate name, unique within the site")
    backend: str = setting("gpio", "Gate I/O hardware: the Pi's own pins or an OSDP I/O board",
                           choices=("gpio", "osdp"))
    relay_seconds: float = setting(3.0, "How long the lock relay stays energised after a grant", minimum=0.1)
    max_relay_seconds: float = setting(10.0, "The relay is never held longer than this", minimum=0.1)
    door_held_seconds: float = setting(30.0, "A door open longer than this raises the held-open alarm",
                                       minimum=1.0)
    exit_button_seconds: float = setting(5.0, "How long the exit button releases the lock", minimum=0.1)
    clock_check: str = setting("off", "kernel: time-bound passes fail closed, with an alarm, while the kernel "
                               "says the clock is not synchronised (use it on a Pi, which has no battery "
                               "clock); off: trust the clock", choices=("kernel", "off"))
    pins: dict[str, int] = setting(dict(DEFAULT_PINS), "BCM pin numbers for the gpio backend")
    osdp_port: str = setting("/dev/ttyUSB0", "Serial device of the OSDP I/O board")
    osdp_address: int = setting(0, "OSDP address of the I/O board", minimum=0)
    osdp_scbk: str | None = setting(None, "Secure channel base key (32 hex digits); none: plain link")
    osdp_baud: int = setting(115200, "Serial speed of the OSDP link", minimum=1200)
    osdp_relay_output: int = setting(0, "The board's output number that drives the lock relay", minimum=0)
    osdp_door_input: int = setting(0, "The board's input number of the door contact", minimum=0)
    osdp_exit_input: int = setting(1, "The board's input number of the exit button", minimum=0)
    osdp_tamper_input: int = setting(2, "The board's input number of the tamper switch", minimum=0)


@dataclass
class CameraConfig:
    direction: str = setting("entry", "Scans at this camera are entries, exits, or auto: one camera "
                             "for both ways, where a holder inside is leaving", choices=("entry", "exit", "auto"))
    source: str = setting("opencv", "Where frames come from: a V4L2/USB camera, the Pi camera, or a replay "
                          "of image files or a video file", choices=("opencv", "picamera2", "files", "video"))
    device: str = setting("0", "OpenCV device index or path (opencv source)")
    width: int = setting(1280, "Capture width in pixels", minimum=160)
    height: int = setting(720, "Capture height in pixels", minimum=120)
    fps: int = setting(30, "Capture frame rate", minimum=1)
    files: list[str] = setting([], "Image files to replay (files source), or one video file (video source)")
    lost_after: float = setting(1.0, "Seconds without a frame before the camera counts as lost", minimum=0.1)


@dataclass
class DecoderConfig:
    try_rotate: bool = setting(False, "Also search for codes turned 90/270 degrees (slower)")
    try_invert: bool = setting(False, "Also search for light-on-dark codes (slower)")
    try_downscale: bool = setting(False, "Also search downscaled copies of the frame (slower)")
    binarizer: str = setting("global_histogram", "First pass, on every frame (docs/vision.md has the measurement)",
                             choices=("global_histogram", "local_average", "fixed_threshold"))
    fallback_binarizer: str | None = setting("local_average", "Second pass when the first reads nothing; "
                                             "none: one pass only",
                                             choices=("global_histogram", "local_average", "fixed_threshold"))
    fallback_every: int = setting(3, "In a stream, the second pass runs on every n-th frame without a code "
                                     "(and on any frame where the first pass saw a code it could not read)",
                                  minimum=1)
    gone_after: float = setting(0.5, "Seconds unseen after which a code has left the view", minimum=0.0)
    repeat_after: float = setting(10.0, "Seconds after which a code held in view scans again", minimum=0.0)


@dataclass
class TrustConfig:
    files: list[str] = setting([], "Trust files: qrgate key trust.json, certificate bundles, DCC trust lists")
    dcc_schema_dir: str | None = setting(None, "Folder of DCC JSON schemas, one subfolder per release")


@dataclass
class LedgerConfig:
    path: str = setting("/var/lib/qrgate/ledger.sqlite3", "SQLite file of the durable event log")
    retention_days: float = setting(30.0, "Days events are kept; older rows are purged", minimum=1)


@dataclass
class MqttConfig:
    enabled: bool = setting(True, "Report to an MQTT broker")
    host: str = setting("127.0.0.1", "Broker host")
    port: int = setting(1883, "Broker port", minimum=1)
    username: str | None = setting(None, "Broker user name")
    password: str | None = setting(None, "Broker password")
    ca_file: str | None = setting(None, "CA certificate for TLS")
    cert_file: str | None = setting(None, "Client certificate for TLS")
    key_file: str | None = setting(None, "Client key for TLS")
    topic_prefix: str = setting("qrgate", "First level of every topic")
    discovery_prefix: str | None = setting("homeassistant", "Home Assistant discovery prefix; none: no discovery")
    commands: list[str] = setting(["open", "lockdown", "free_exit", "ack_alarm", "reset_counts"],
                                  "Commands this gate takes on its cmd topics (the broker ACL decides who may send)")
    command_secret_file: str | None = setting(None, "Shared secret; when set, commands must be signed "
                                              "(docs/mqtt.md)")
    site_aggregator: bool = setting(False, "This gate publishes <prefix>/<site>/occupancy from every gate's counts")


@dataclass
class Config:
    site: SiteConfig = setting(SiteConfig(), "The facility")
    gate: GateConfig = setting(GateConfig(), "This gate's hardware")
    cameras: list[CameraConfig] = setting([], "Cameras of this gate, each for entries or exits")
    decoder: DecoderConfig = setting(DecoderConfig(), "QR decoding and debouncing")
    policy: PolicyConfig = setting(PolicyConfig(), "Who may enter")
    trust: TrustConfig = setting(TrustConfig(), "What credentials the gate trusts")
    ledger: LedgerConfig = setting(LedgerConfig(), "The local event log")
    mqtt: MqttConfig = setting(MqttConfig(), "Reporting to dashboards")


def _type_name(tp) -> str:
    return getattr(tp, "__name__", str(tp).replace("typing.", ""))


def _convert(value: Any, tp, path: str, meta: dict) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None or (isinstance(value, str) and value.lower() == "none" and type(None) in args):
            return None
        inner = [a for a in args if a is not type(None)][0]
        return _convert(value, inner, path, meta)
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ConfigError(f"{path}: expected a table, got {type(value).__name__}")
        return build(tp, value, path)
    if origin is tuple:  # tuple[str, ...] in TOML is a list
        item = typing.get_args(tp)[0]
        if not isinstance(value, list):
            raise ConfigError(f"{path}: expected a list, got {type(value).__name__}")
        return tuple(_convert(v, item, f"{path}[{i}]", {}) for i, v in enumerate(value))
    if origin is list:
        (item,) = typing.get_args(tp)
        if not isinstance(value, list):
            raise ConfigError(f"{path}: expected a list, got {type(value).__name__}")
        return [_convert(v, item, f"{path}[{i}]", {}) for i, v in enumerate(value)]
    if origin is dict:
        key_tp, val_tp = typing.get_args(tp)
        if not isinstance(value, dict):
            raise ConfigError(f"{path}: expected a table, got {type(value).__name__}")
        return {k: _convert(v, val_tp, f"{path}.{k}", {}) for k, v in value.items()}
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if tp is str and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, tp) or (tp is int and isinstance(value, bool)):
        raise ConfigError(f"{path}: expected {_type_name(tp)}, got {type(value).__name__} {value!r}")
    choices = meta.get("choices")
    if choices and value not in choices:
        raise ConfigError(f"{path}: {value!r} is not one of {', '.join(map(repr, choices))}")
    minimum = meta.get("minimum")
    if minimum is not None and value < minimum:
        raise ConfigError(f"{path}: {value!r} is below the minimum {minimum}")
    return value


def build(cls, data: dict, path: str = ""):
    """A `cls` instance from a TOML table, refusing unknown keys and wrong types."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    for key in data:
        if key not in fields:
            hint = difflib.get_close_matches(key, fields, n=1)
            suggestion = f"; did you mean {hint[0]!r}?" if hint else f"; known keys: {', '.join(fields)}"
            raise ConfigError(f"{path + '.' if path else ''}{key}: unknown key{suggestion}")
    values = {name: _convert(data[name], hints[name], f"{path + '.' if path else ''}{name}", dict(f.metadata))
              for name, f in fields.items() if name in data}
    return cls(**values)


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
    config = build(Config, read_toml(path))
    if config.gate.relay_seconds > config.gate.max_relay_seconds:
        raise ConfigError("gate.relay_seconds: longer than gate.max_relay_seconds")
    for i, camera in enumerate(config.cameras):
        if camera.source in ("files", "video") and not camera.files:
            raise ConfigError(f"cameras[{i}].files: a {camera.source} source needs its files")
    return config


def describe(cls=Config, prefix: str = "") -> list[tuple[str, str, str]]:
    """(key path, default, description) of every setting, for docs and `qrgate config describe`."""
    rows = []
    for f in dataclasses.fields(cls):
        tp = typing.get_type_hints(cls)[f.name]
        key = f"{prefix}{f.name}"
        if dataclasses.is_dataclass(tp):
            rows += describe(tp, key + ".")
            continue
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        rows.append((key, repr(default), f.metadata.get("doc") or f.metadata.get("description", "")))
    return rows
