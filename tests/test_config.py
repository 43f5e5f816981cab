"""The config tree: one line per fault naming the key, every setting described, and
`qrgate config check` refusing exactly what `qrgate run` refuses (trust files included)."""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import subprocess
import sys
import typing
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from qrgate import config
from qrgate.config.base import is_union, unwrap
from qrgate.credentials.dcc.issue import make_test_signer
from qrgate.credentials.keys import new_key
from qrgate.credentials.filetypes import REVOCATION_TYPE
from qrgate.errors import ConfigError

DELETE = object()
NOW = 1_767_225_600.0


def to_toml(data: dict) -> str:
    """Top-level keys with inline tables: enough TOML for these configs, NaN and infinity included."""
    def value(v) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, float) and not math.isfinite(v):
            return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
        if isinstance(v, (int, float)):
            return repr(v)
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return "{" + ", ".join(f"{json.dumps(k)} = {value(x)}" for k, x in v.items()) + "}"
    return "".join(f"{key} = {value(v)}\n" for key, v in data.items())


def change(data: dict, path: str, new) -> None:
    """Set `a.b[1].c` in nested dicts and lists (DELETE removes the key)."""
    parts = [int(p) if p.isdigit() else p for p in path.replace("[", ".").replace("]", "").split(".")]
    target = data
    for part in parts[:-1]:
        target = target[part] if isinstance(part, int) else target.setdefault(part, {})
    if new is DELETE:
        del target[parts[-1]]
    else:
        target[parts[-1]] = new


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A config that uses every part the checks look at, and passes them all."""
    tmp_path = tmp_path_factory.mktemp("site")
    keys = new_key(tmp_path / "keys")
    (tmp_path / "pass.png").write_bytes(b"an image the reader would replay")
    (tmp_path / "lobby.mp4").write_bytes(b"a video the reader would replay")
    (tmp_path / "command.secret").write_text("c" * 32)
    return tmp_path, {
        "site": {"id": "hq", "secret_file": str(tmp_path / "site.secret")},
        "gate": {"id": "north", "backend": "mock", "relay_seconds": 3.0, "max_relay_seconds": 10.0,
                 "osdp_address": 5, "osdp_scbk": "000102030405060708090a0b0c0d0e0f", "pins": {"relay": 17}},
        "readers": [{"kind": "camera", "direction": "entry", "source": "files", "files": [str(tmp_path / "pass.png")]},
                    {"kind": "camera", "direction": "exit", "source": "video", "files": [str(tmp_path / "lobby.mp4")]},
                    {"kind": "serial", "direction": "entry", "port": "/dev/ttyACM0", "baud": 9600}],
        "policy": {"anti_passback": "timed", "passback_minutes": 15.0, "timezone": "Asia/Ho_Chi_Minh",
                   "opening_hours": {"mon": "07:00-18:00"}, "health": {"max_test_age_hours": {"LP6464-4": 72.0}}},
        "trust": {"files": [keys["trust"]]},
        "ledger": {"path": str(tmp_path / "ledger.sqlite3"), "retention_days": 30.0},
        "mqtt": {"port": 1883, "topic_prefix": "qrgate", "commands": ["open", "lockdown"],
                 "command_secret_file": str(tmp_path / "command.secret")},
    }


# -- trust files that cryptography or the JSON reader refused with their own exceptions ------
def _certificate(extensions=()) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "synthetic DSC")])
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
               .serial_number(1).not_valid_before(dt.datetime(2025, 1, 1)).not_valid_after(dt.datetime(2035, 1, 1)))
    for ext in extensions:
        builder = builder.add_extension(ext, critical=False)
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def _patched(der: bytes, old: str, new: str) -> bytes:
    assert der.count(bytes.fromhex(old)) == 1, "the bytes to patch must be there once"
    return der.replace(bytes.fromhex(old), bytes.fromhex(new))


def unknown_curve() -> bytes:  # prime256v1 -> prime192v2, a curve cryptography does not support
    return _patched(make_test_signer(NOW - 86400, NOW + 86400).certificate_der,
                    "06082a8648ce3d030107", "06082a8648ce3d030102")


def bad_version() -> bytes:  # X.509 version field 2 (v3) -> 5
    return _patched(_certificate(), "a003020102", "a003020105")


def duplicated_extension() -> bytes:  # two extensions, the second's OID 1.2.3.5 made 1.2.3.4
    unknown = [x509.UnrecognizedExtension(x509.ObjectIdentifier(oid), b"\x05\x00") for oid in ("1.2.3.4", "1.2.3.5")]
    return _patched(_certificate(unknown), "06032a0305", "06032a0304")


def revocation_with_list_kid() -> bytes:
    return json.dumps({"type": REVOCATION_TYPE, "version": 1, "issued_at": 1, "kid": [], "pass_ids": [],
                       "signature": ""}).encode()


def trust_file(name: str, make):
    """A change that adds one made trust file after the gate's own trust.json."""
    def add(directory: Path, data: dict) -> list[str]:
        path = directory / name
        path.write_bytes(make())
        return [*data["trust"]["files"], str(path)]
    return add


def written(name: str, content: str):
    def write(directory: Path, data: dict) -> str:
        (directory / name).write_text(content)
        return str(directory / name)
    return write


def missing(name: str):
    return lambda directory, data: [str(directory / name)]


PREFIX_RULE = "one topic level, without '+', '#', '/' or surrounding spaces"

# (what is wrong, {key path: new value}, the one line `config check` must print)
REFUSED = [
    ("no reader", {"readers": DELETE},
     'readers: a gate needs at least one [[readers]] table (kind = "camera", "serial" or "hid")'),
    ("scbk not hex", {"gate.osdp_scbk": "zz"}, "gate.osdp_scbk: 'zz' is not 32 hex digits (a 16-byte key)"),
    ("osdp address 500", {"gate.osdp_address": 500}, "gate.osdp_address: 500 is above 126"),
    ("osdp address 4000", {"gate.osdp_address": 4000}, "gate.osdp_address: 4000 is above 126"),
    ("unknown command", {"mqtt.commands": ["opn"]},
     "mqtt.commands[0]: 'opn' is not one of 'open', 'lockdown', 'free_exit', 'ack_alarm', 'reset_counts', 'override' or 'mark_left'"),
    ("site id with space and wildcard", {"site.id": "a b/#"},
     "site.id: 'a b/#': use 1-64 letters, digits, '_' or '-' (it becomes an MQTT topic level)"),
    ("site id with a slash", {"site.id": "hq/north"},
     "site.id: 'hq/north': use 1-64 letters, digits, '_' or '-' (it becomes an MQTT topic level)"),
    ("gate id with a wildcard", {"gate.id": "a+b"},
     "gate.id: 'a+b': use 1-64 letters, digits, '_' or '-' (it becomes an MQTT topic level)"),
    ("pin 999", {"gate.pins.relay": 999}, "gate.pins.relay: 999 is above 27"),
    ("misspelled pin", {"gate.pins.relais": 23}, "gate.pins.relais: unknown key; did you mean 'relay'?"),
    ("two jobs on one pin", {"gate.pins.buzzer": 17}, "gate.pins.buzzer: pin 17 is also gate.pins.relay"),
    ("negative test age", {"policy.health.max_test_age_hours": {"LP6464-4": -1.0}},
     "policy.health.max_test_age_hours.LP6464-4: -1.0 is below the minimum 0"),
    ("missing trust file", {"trust.files": missing("gone.json")}, "trust.files[0]: no such file {dir}/gone.json"),
    ("missing image of a replay", {"readers[0].files": missing("gone.png")},
     "readers[0].files[0]: no such file {dir}/gone.png"),
    ("missing video of a replay", {"readers[1].files": missing("gone.mp4")},
     "readers[1].files[0]: no such file {dir}/gone.mp4"),
    ("mqtt port 99999", {"mqtt.port": 99999}, "mqtt.port: 99999 is above 65535"),
    ("unknown time zone", {"policy.timezone": "Mars/Olympus"},
     "policy.timezone: 'Mars/Olympus' is not a time zone name (e.g. 'Asia/Ho_Chi_Minh', 'UTC')"),
    ("opening hours backwards", {"policy.opening_hours.mon": "18:00-07:00"},
     "policy.opening_hours.mon: '18:00-07:00' ends before it starts; a span over midnight is two spans "
     "(e.g. mon = '22:00-24:00', tue = '00:00-06:00')"),
    ("opening hour 25", {"policy.opening_hours.tue": "07:00-25:00"},
     "policy.opening_hours.tue: '07:00-25:00' is not a time of day"),
    ("relay longer than its cap", {"gate.relay_seconds": 12.0},
     "gate.relay_seconds: 12.0 is longer than gate.max_relay_seconds (10.0)"),
    ("negative retention", {"ledger.retention_days": -1.0}, "ledger.retention_days: -1.0 is below the minimum 1"),
    ("+ in the topic prefix", {"mqtt.topic_prefix": "qr+gate"}, f"mqtt.topic_prefix: 'qr+gate': {PREFIX_RULE}"),
    ("# as the topic prefix", {"mqtt.topic_prefix": "#"}, f"mqtt.topic_prefix: '#': {PREFIX_RULE}"),
    ("/ in the topic prefix", {"mqtt.topic_prefix": "qrgate/hq"}, f"mqtt.topic_prefix: 'qrgate/hq': {PREFIX_RULE}"),
    ("infinite relay and cap", {"gate.relay_seconds": math.inf, "gate.max_relay_seconds": math.inf},
     "gate.relay_seconds: inf is not a finite number"),
    ("NaN passback minutes", {"policy.passback_minutes": math.nan},
     "policy.passback_minutes: nan is not a finite number"),
    ("short site secret", {"site.secret_file": written("site-short.secret", "abc")},
     "site.secret_file: {dir}/site-short.secret holds 3 bytes; it needs at least 16"),
    ("short command secret", {"mqtt.command_secret_file": written("short.secret", "abc")},
     "mqtt.command_secret_file: {dir}/short.secret holds 3 bytes; it needs at least 16"),
    ("unknown EC curve", {"trust.files": trust_file("curve.der", unknown_curve)},
     "trust.files: trust file {dir}/curve.der: not a usable X.509 certificate "
     "(Curve 1.2.840.10045.3.1.2 is not supported)"),
    ("bad X.509 version", {"trust.files": trust_file("version.der", bad_version)},
     "trust.files: trust file {dir}/version.der: not a usable X.509 certificate (5 is not a valid X509 version)"),
    ("duplicated extension", {"trust.files": trust_file("twice.der", duplicated_extension)},
     "trust.files: trust file {dir}/twice.der: not a usable X.509 certificate (Duplicate 1.2.3.4 extension found)"),
    ("revocation list with a list kid", {"trust.files": trust_file("revoked.json", revocation_with_list_kid)},
     "trust.files: {dir}/revoked.json: not a qrgate revocation list (version, issued_at, kid or pass_ids malformed)"),
]


def config_check(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "qrgate", "config", "check", str(path)],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def good_check(site):
    """`config check` of the config without any fault: the same for every case, so run once."""
    directory, data = site
    good = directory / "good.toml"
    good.write_text(to_toml(data))
    return good, config_check(good)


@pytest.mark.parametrize("what, changes, line", REFUSED, ids=[case[0] for case in REFUSED])
def test_config_check_refuses_each_fault_in_one_line(site, good_check, what, changes, line):
    directory, base = site
    data = copy.deepcopy(base)
    for path, new in changes.items():
        change(data, path, new(directory, data) if callable(new) else new)
    bad = directory / f"bad-{[case[0] for case in REFUSED].index(what)}.toml"
    bad.write_text(to_toml(data))
    refused = config_check(bad)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert refused.stderr.splitlines() == [f"qrgate: {line.format(dir=directory)}"]
    good, passed = good_check  # the same config without the fault
    assert passed.returncode == 0 and passed.stderr == "", passed.stderr
    assert passed.stdout.startswith(f"{good}: ok (site hq, gate north, readers: camera, camera, serial)")


def test_run_refuses_what_check_refuses(site):
    directory, base = site
    data = copy.deepcopy(base)
    change(data, "gate.osdp_address", 500)
    path = directory / "bad.toml"
    path.write_text(to_toml(data))
    proc = subprocess.run([sys.executable, "-m", "qrgate", "run", "--config", str(path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stderr.splitlines() == ["qrgate: gate.osdp_address: 500 is above 126"]


# -- in-process: defaults, messages, readers ------------------------------------------------
def load_text(tmp_path, text):
    path = tmp_path / "c.toml"
    path.write_text(text)
    return config.load(path)


CAMERA = '[[readers]]\nkind = "camera"\n'


def test_defaults_and_overrides(tmp_path):
    cfg = load_text(tmp_path, '[policy]\noccupancy_cap = 40\n[[readers]]\nkind = "camera"\ndirection = "exit"\n'
                              'fps = 15\ndevice = 2\n[gate.pins]\nrelay = 23\n')
    assert cfg.policy.occupancy_cap == 40 and cfg.policy.anti_passback == "hard"
    assert (cfg.readers[0].direction, cfg.readers[0].fps, cfg.readers[0].device) == ("exit", 15, "2")
    assert cfg.gate.pins.relay == 23 and cfg.gate.pins.led_red == 22
    assert cfg.mqtt.port == 1883 and cfg.decoder.fallback_binarizer == "local_average"


def test_serial_and_hid_readers(tmp_path):
    cfg = load_text(tmp_path, '[[readers]]\nkind = "serial"\nport = "/dev/ttyACM0"\ndirection = "entry"\n'
                              '[[readers]]\nkind = "hid"\ndevice = "/dev/input/event3"\ndirection = "exit"\n')
    serial, hid = cfg.readers
    assert (serial.kind, serial.port, serial.baud, serial.max_line_bytes) == ("serial", "/dev/ttyACM0", 9600, 4296)
    assert (hid.kind, hid.device, hid.direction) == ("hid", "/dev/input/event3", "exit")


@pytest.mark.parametrize("text, message", [
    ("[gate]\nbackend = 'usb'\n" + CAMERA, "gate.backend: 'usb' is not one of 'gpio', 'osdp' or 'mock'"),
    ("[mqtt]\nport = 'x'\n" + CAMERA, "mqtt.port: expected int, got str 'x'"),
    ("[mqtt]\nenabled = 'yes'\n" + CAMERA, "mqtt.enabled: expected bool, got str 'yes'"),
    ("[mqtt]\nport = 1883.0\n" + CAMERA, "mqtt.port: expected int, got float 1883.0"),
    ("gate = 3\n" + CAMERA, "gate: expected a table, got int 3"),
    (CAMERA + "fps = 0\n", "readers[0].fps: 0 is below the minimum 1"),
    (CAMERA + "fpss = 10\n", "readers[0].fpss: unknown key; did you mean 'fps'?"),
    (CAMERA + "source = 'files'\n", "readers[0].files: a files source needs its files"),
    (CAMERA + "source = 'picamera2'\ndevice = 'cam'\n", "readers[0].device: 'cam' is not a camera number"),
    ("[[readers]]\ndirection = 'entry'\n", "readers[0].kind: missing; one of 'camera', 'serial', 'hid'"),
    ("[[readers]]\nkind = 'usb'\n", "readers[0].kind: 'usb' is not one of 'camera', 'serial', 'hid'"),
    ("[[readers]]\nkind = 'serial'\nport = '/dev/ttyACM0'\nfps = 30\n",
     "readers[0].fps: unknown key; known keys: kind, direction, port, baud, max_line_bytes"),
    ("[[readers]]\nkind = 'serial'\nbaud = 0\n", "readers[0].baud: 0 is below the minimum 1200"),
    ("[[readers]]\nkind = 'serial'\nmax_line_bytes = 1e9\n", "readers[0].max_line_bytes: expected int, got float"),
    ("[[readers]]\nkind = 'hid'\n", "readers[0].device: a hid reader needs its input device"),
    ("[[readers]]\nkind = 'camera'\ndirection = 'in'\n",
     "readers[0].direction: 'in' is not one of 'entry', 'exit' or 'auto'"),
    ("[sight]\nid = 'a'\n", "sight: unknown key; did you mean 'site'?"),
    ("[gate]\nexit_button_seconds = 20.0\n" + CAMERA,
     "gate.exit_button_seconds: 20.0 is longer than gate.max_relay_seconds (10.0)"),
    ("[gate]\nosdp_exit_input = 0\n" + CAMERA, "gate.osdp_exit_input: input 0 is also gate.osdp_door_input"),
    ("[decoder]\nbinarizer = 'otsu'\n" + CAMERA, "decoder.binarizer: 'otsu' is not one of"),
    ("[decoder]\nfallback_every = 0\n" + CAMERA, "decoder.fallback_every: 0 is below the minimum 1"),
    ("[mqtt]\ndiscovery_prefix = 'home/assistant'\n" + CAMERA, "mqtt.discovery_prefix: 'home/assistant': one"),
    ("[mqtt]\nkey_file = '/etc/hostname'\n" + CAMERA, "mqtt.key_file: set without mqtt.cert_file"),
    ("[mqtt]\nca_file = '/nonexistent/ca.pem'\n" + CAMERA, "mqtt.ca_file: no such file /nonexistent/ca.pem"),
    ("[mqtt]\ncommand_secret_file = '/nonexistent/s'\n" + CAMERA,
     "mqtt.command_secret_file: cannot read /nonexistent/s (No such file or directory)"),
    ("[trust]\ndcc_schema_dir = '/nonexistent'\n" + CAMERA, "trust.dcc_schema_dir: no such folder /nonexistent"),
    ("[gate\n", "not valid TOML"),
])
def test_errors_name_the_key(tmp_path, text, message):
    with pytest.raises(ConfigError) as err:
        load_text(tmp_path, text)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_none_unsets_an_optional_value_and_files_are_not_checked_when_mqtt_is_off(tmp_path):
    cfg = load_text(tmp_path, "[decoder]\nfallback_binarizer = 'none'\n[mqtt]\nenabled = false\n"
                              "ca_file = '/nonexistent/ca.pem'\n" + CAMERA)
    assert cfg.decoder.fallback_binarizer is None and cfg.mqtt.ca_file == "/nonexistent/ca.pem"


def test_the_decoder_offers_the_binarizers_the_config_names():
    from qrgate.config.decoder import Binarizer
    from qrgate.vision.decoder import BINARIZERS

    assert set(BINARIZERS) == set(typing.get_args(Binarizer))


# -- describe -------------------------------------------------------------------------------
def reachable_models(model: type[BaseModel], seen: dict | None = None) -> dict[type[BaseModel], None]:
    """Every model the config tree can hold, found from the type annotations alone."""
    seen = {} if seen is None else seen
    if model in seen:
        return seen
    seen[model] = None
    for field in model.model_fields.values():
        stack = [field.annotation]
        while stack:
            tp = unwrap(stack.pop())
            if isinstance(tp, type) and issubclass(tp, BaseModel):
                reachable_models(tp, seen)
            elif is_union(tp) or typing.get_origin(tp) in (list, dict):
                stack.extend(typing.get_args(tp))
    return seen


def test_every_field_of_every_model_is_described():
    rows = config.describe()
    models = reachable_models(config.Config)
    assert {config.SerialReaderConfig, config.HidReaderConfig, config.PinsConfig} <= set(models)
    for model in models:
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name} has no description"
            found = [doc for key, _default, doc in rows if key.endswith(f".{name}") or key == name]
            assert any(field.description in doc for doc in found), f"{model.__name__}.{name} is not in describe()"
    keys = {key for key, _default, _doc in rows}
    assert {"readers[].direction", "readers[].port", "readers[].max_line_bytes", "policy.zones.<name>.cap",
            "policy.gates.<name>.number", "gate.pins.relay", "policy.health.max_test_age_hours"} <= keys


def test_config_describe_prints_every_setting():
    proc = subprocess.run([sys.executable, "-m", "qrgate", "config", "describe", "--json"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    printed = {row["key"] for row in json.loads(proc.stdout)["settings"]}
    assert printed == {key for key, _default, _doc in config.describe()}


# -- anything TOML can hold gives a Config or one ConfigError line, never another exception ----
KEYS = sorted({part for key, _d, _doc in config.describe() for part in key.replace("[]", "").split(".")} | {"x"})
SCALARS = st.one_of(st.booleans(), st.integers(-2**70, 2**70), st.floats(), st.text(max_size=12),
                    st.sampled_from(["none", "camera", "serial", "hid", "files", "timed", "mock", "osdp"]))
TOML_VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(KEYS), inner, max_size=4)), max_leaves=12)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(KEYS), TOML_VALUES, max_size=6))
def test_any_toml_tree_is_a_config_or_one_clear_line(data):
    try:
        config.validate(config.Config, data)
    except ConfigError as exc:
        assert str(exc) and "\n" not in str(exc) and ": " in str(exc)
