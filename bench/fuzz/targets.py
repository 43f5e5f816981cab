"""Fuzz targets shared by the Hypothesis properties (tests/test_fuzz_properties.py) and the
atheris runs (bench/fuzz/run.py): each check_* takes the raw input, runs the code under test
and raises AssertionError when a property breaks. Anything else that escapes is a crash.

The properties:
  credentials: verify() never raises; a valid pass with any byte or character changed is
               never accepted (the base45 decoder is strict, so one pass has one text);
  commands:    parse() never raises, returns a Command or a Refusal with a known reason; with a
               signing secret, an altered signed command is never taken for something else,
               and a non-finite `at` is always refused;
  config:      load() on any text raises ConfigError or nothing;
  trust:       TrustStore.from_files() on any file raises KeyFileError/CredentialError or nothing;
  osdp:        the frame reader and the board never raise, every packet cut out has SOM and
               the length it declares, and a board without a key never takes one in plaintext.
"""

from __future__ import annotations

import json
import math
import tempfile
from functools import lru_cache
from pathlib import Path

NOW = 1_750_000_000.0
GATE = "gate1"
SECRET = b"s" * 32

# ---------------------------------------------------------------------------- credentials


@lru_cache(maxsize=1)
def credential_setup():
    """A trust store with one key, a valid pass and its raw bytes (made once per process)."""
    from qrgate.credentials import TrustStore, native
    from qrgate.credentials.base45 import b45decode
    from qrgate.credentials.keys import issuer_secret, load_private_key, new_key

    keys = new_key(tempfile.mkdtemp(prefix="qrgate-fuzz-keys-"))
    trust = TrustStore.from_files([keys["trust"]])
    _kid, private = load_private_key(keys["private_key"])
    fields = native.PassFields(kind="visitor",
                               holder=native.holder_pseudonym(issuer_secret(keys["private_key"]), "fuzz"),
                               valid_from=int(NOW - 3600), valid_until=int(NOW + 3600))
    payload = native.issue(private, fields)
    return trust, payload, b45decode(payload[len(native.PREFIX):]), keys


def check_credential_text(text: str) -> None:
    from qrgate.credentials import verify

    trust, payload, _raw, _keys = credential_setup()
    result = verify(text, trust, NOW)
    assert isinstance(result.reason, str) and result.reason
    if result.valid:
        assert text == payload, f"an altered pass was accepted: {text!r}"


def mutate(original: bytes, data: bytes) -> bytes:
    """Apply `data` to `original` as (position, new byte) pairs; a trailing odd byte truncates."""
    out = bytearray(original)
    for i in range(0, len(data) - 1, 2):
        out[data[i] % len(out)] = data[i + 1]
    if len(data) % 2 and len(data) > 1:
        del out[data[-1] % (len(out) + 1):]
    return bytes(out)


def check_credential_bytes(data: bytes) -> None:
    """Both a mutated valid pass and the input as a scanned text."""
    from qrgate.credentials import native
    from qrgate.credentials.base45 import b45encode

    _trust, _payload, raw, _keys = credential_setup()
    check_credential_text(native.PREFIX + b45encode(mutate(raw, data)))
    check_credential_text(data.decode("utf-8", "replace"))


# ---------------------------------------------------------------------------- commands


def signed_command(name: str = "open", **fields) -> dict:
    from qrgate.comms.commands import sign

    body = {"request_id": "r-1", "by": "admin", "at": NOW, **fields}
    body["sig"] = sign(SECRET, GATE, name, body)
    return body


def check_command(name: str | None, payload: bytes, retained: bool = False, signed_policy: bool = True) -> None:
    from qrgate.comms import commands as cmd

    policy = cmd.CommandPolicy(secret=SECRET if signed_policy else None)
    result = cmd.parse(name, payload, gate=GATE, retained=retained, now=NOW, policy=policy)
    if isinstance(result, cmd.Refusal):
        assert result.reason in cmd.REFUSALS, result.reason
        assert result.detail
        return
    assert isinstance(result, cmd.Command), type(result)
    assert not retained
    body = _loose_json(payload)
    if isinstance(body, dict) and isinstance(body.get("at"), float):
        assert math.isfinite(body["at"]), "a non-finite time was accepted"
    if signed_policy:
        original = signed_command()
        expected = cmd.Command("open", original["request_id"], original["by"], None)
        assert name == "open" and result == expected, f"an altered signed command was accepted: {payload!r}"


def _loose_json(payload: bytes):
    try:
        return json.loads(payload)
    except ValueError:
        return None


def check_command_bytes(data: bytes) -> None:
    """Mutations of a signed open, and the input itself as a payload for every command name."""
    from qrgate.comms.topics import COMMAND_NAMES

    original = json.dumps(signed_command(), separators=(",", ":")).encode()
    check_command("open", mutate(original, data))
    name = COMMAND_NAMES[data[0] % len(COMMAND_NAMES)] if data else "open"
    check_command(name, data[1:], retained=bool(data and data[0] & 0x80))
    check_command(name, data[1:], signed_policy=False)


# ---------------------------------------------------------------------------- config


def check_config_text(text: str, directory: str | None = None) -> None:
    from qrgate import config
    from qrgate.errors import ConfigError

    directory = directory or _scratch()
    path = Path(directory) / "gate.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        config.load(path)
    except ConfigError as exc:
        assert str(exc)


CONFIG_SEED = """[site]
id = "site1"
[gate]
id = "north"
backend = "gpio"
relay_seconds = 3.0
door_held_seconds = 30
[[cameras]]
direction = "entry"
source = "files"
files = ["a.png"]
[ledger]
retention_days = 30
[mqtt]
enabled = false
"""


def check_config_bytes(data: bytes) -> None:
    check_config_text(data.decode("utf-8", "replace"))
    check_config_text(CONFIG_SEED + data.decode("utf-8", "replace"))


# ---------------------------------------------------------------------------- trust and revocation files


def trust_seeds() -> dict[str, bytes]:
    """A valid trust file and a valid revocation list signed by its key."""
    from qrgate.credentials.keys import load_private_key
    from qrgate.credentials.revocation import sign_list

    _trust, _payload, _raw, keys = credential_setup()
    _kid, private = load_private_key(keys["private_key"])
    return {"trust": Path(keys["trust"]).read_bytes(),
            "revocation": json.dumps(sign_list(private, 3, ["00112233aabb"], int(NOW))).encode()}


def check_trust_files(files: list[bytes], directory: str | None = None) -> None:
    from qrgate.credentials import TrustStore
    from qrgate.errors import CredentialError

    directory = Path(directory or _scratch())
    paths = []
    for i, content in enumerate(files):
        path = directory / f"trust{i}.json"
        path.write_bytes(content)
        paths.append(path)
    try:
        TrustStore.from_files(paths)
    except CredentialError as exc:  # KeyFileError is one
        assert str(exc)


def check_trust_bytes(data: bytes) -> None:
    seeds = trust_seeds()
    check_trust_files([data])
    check_trust_files([seeds["trust"], mutate(seeds["revocation"], data)])
    check_trust_files([mutate(seeds["trust"], data), seeds["revocation"]])


# ---------------------------------------------------------------------------- OSDP frames


def osdp_packet(addr: int, seq: int, code: int, data: bytes = b"", scb: bytes | None = None) -> bytes:
    """A CP->PD packet with a correct CRC, so fuzzed commands get past the frame check."""
    from gateio.crc import crc16

    body = bytearray([0x53, addr, 0, 0, (seq & 3) | 4 | (8 if scb else 0)])
    if scb:
        body.extend(scb)
    body.append(code)
    body.extend(data)
    total = len(body) + 2
    body[2], body[3] = total & 0xFF, total >> 8
    c = crc16(body)
    return bytes(body) + bytes([c & 0xFF, c >> 8])


def check_osdp_stream(chunks: list[bytes], times: list[int] | None = None) -> None:
    """Feed a byte stream in chunks to a frame reader and to two boards (keyless, keyed)."""
    from gateio.frame import FrameReader

    reader = FrameReader(size=64, gap_ms=50)
    out = bytearray(64)
    now = 0
    for i, chunk in enumerate(chunks):
        now += times[i % len(times)] if times else 1
        reader.feed(chunk, now)
        while True:
            n = reader.pop(out)
            if not n:
                break
            assert out[0] == 0x53 and 7 <= n <= len(out) and out[2] | (out[3] << 8) == n
        assert reader.dropped >= 0
    _board_check(chunks, times, scbk=None)
    _board_check(chunks, times, scbk=bytes(range(16)))


def _board_check(chunks, times, scbk) -> None:
    from gateio.config import Config
    from gateio.device import GateDevice, GatePins
    from gateio.host import SimPin

    # idle inputs: door shut, exit button released (pull-up), lid on
    pins = GatePins(SimPin(), SimPin(), SimPin(), SimPin(), SimPin(), SimPin(0), SimPin(1), SimPin(0))
    device = GateDevice(pins, Config(address=1, scbk=scbk), lambda n: bytes(n))
    now = 0
    for i, chunk in enumerate(chunks):
        now += times[i % len(times)] if times else 1
        reply = device.receive(chunk, now)
        device.tick(now)
        if reply is not None:
            assert reply[0] == 0x53 or (reply[0] == 0xFF and reply[1] == 0x53)
        # without the key nobody opens a secure channel, so no control command may act
        if scbk is not None:
            assert not pins.relay.level, "a keyed board moved its relay on a plaintext command"
        assert device.pd.scbk == scbk, "the board's key changed outside a secure channel"


def check_osdp_bytes(data: bytes) -> None:
    """The raw bytes as a stream, and again with a valid frame built around a fuzzed command."""
    check_osdp_stream(_chunks(data) or [b""], times=[1, 3, 60])
    if len(data) >= 2:
        framed = osdp_packet(1, data[0] & 3 or 1, data[1], data[2:40])
        check_osdp_stream([framed, osdp_packet(1, 2, 0x75, b"\x01\x10" + data[2:18].ljust(16, b"\0"))])


def _chunks(data: bytes) -> list[bytes]:
    """Cut a stream into reads of the sizes its own bytes say (1 to 23), as a UART delivers them."""
    out, i = [], 0
    while i < len(data):
        size = 1 + data[i] % 23
        out.append(data[i:i + size])
        i += size
    return out


# ---------------------------------------------------------------------------- support


@lru_cache(maxsize=1)
def _scratch() -> str:
    return tempfile.mkdtemp(prefix="qrgate-fuzz-")


TARGETS = {
    "credentials": check_credential_bytes,
    "commands": check_command_bytes,
    "config": check_config_bytes,
    "trust": check_trust_bytes,
    "osdp": check_osdp_bytes,
}

