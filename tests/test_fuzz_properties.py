"""Fuzzing in every test run, bounded to seconds: Hypothesis drives the targets in bench/fuzz/targets.py
(the same checks the long atheris runs use, see docs/fuzzing.md) with raw bytes and with inputs
shaped like the real thing: mutated passes, signed commands, TOML configs, trust and revocation
files, OSDP packets with good CRCs."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench" / "fuzz"))

import targets  # noqa: E402

from qrgate.comms.topics import COMMAND_NAMES  # noqa: E402
from qrgate.config import Config, describe  # noqa: E402

# a few seconds per property on a shared 2-core machine; the long runs are atheris's job
QUICK = settings(max_examples=150, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
SLOWER = settings(QUICK, max_examples=60)  # properties that write files or build boards

json_scalars = st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=20)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=10)


# ---------------------------------------------------------------------------- credentials

@QUICK
@given(st.binary(max_size=200))
def test_credentials_never_raise_and_no_mutated_pass_is_accepted(data):
    targets.check_credential_bytes(data)


@QUICK
@given(st.data())
def test_a_pass_with_any_characters_changed_is_refused(data):
    _trust, payload, _raw, _keys = targets.credential_setup()
    text = list(payload)
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(text) - 1))
        text[i] = data.draw(st.characters(codec="utf-8"))
    targets.check_credential_text("".join(text))


@QUICK
@given(st.text(max_size=300))
def test_any_scanned_text_is_judged_without_raising(text):
    targets.check_credential_text(text)
    targets.check_credential_text("QG1:" + text)
    targets.check_credential_text("QG2:" + text)
    targets.check_credential_text("HC1:" + text)


def test_the_properties_can_fail():
    """The harness itself: a second valid pass, or a re-signed command that says something else,
    is what a forgery would look like, and the checks refuse to call it fine."""
    from qrgate.comms.commands import sign
    from qrgate.credentials import native
    from qrgate.credentials.keys import load_private_key

    _trust, payload, _raw, keys = targets.credential_setup()
    targets.check_credential_text(payload)
    other = native.issue(load_private_key(keys["private_key"])[1], native.PassFields(
        kind="staff", holder=bytes(8), valid_from=int(targets.NOW - 60), valid_until=int(targets.NOW + 60)))
    with pytest.raises(AssertionError, match="altered pass"):
        targets.check_credential_text(other)
    body = {"request_id": "r-1", "by": "mallory", "at": targets.NOW}
    body["sig"] = sign(targets.SECRET, targets.GATE, "open", body)
    with pytest.raises(AssertionError, match="altered signed command"):
        targets.check_command("open", json.dumps(body).encode())


# ---------------------------------------------------------------------------- commands

@QUICK
@given(st.binary(max_size=300))
def test_commands_never_raise_on_bytes(data):
    targets.check_command_bytes(data)


@QUICK
@given(st.sampled_from(COMMAND_NAMES + ("selfdestruct",)),
       st.dictionaries(st.sampled_from(["request_id", "by", "value", "at", "sig", "extra"]), json_values, max_size=6),
       st.booleans())
def test_commands_shaped_like_json_are_refused_with_a_reason_or_parsed(name, body, retained):
    payload = json.dumps(body).encode()  # NaN and Infinity come out as Python's json writes them
    targets.check_command(name, payload, retained=retained)
    targets.check_command(name, payload, retained=retained, signed_policy=False)


@QUICK
@given(st.sampled_from(["request_id", "by", "value", "at", "sig"]), json_values)
def test_a_signed_open_with_any_field_changed_is_never_taken_for_another(field, value):
    body = targets.signed_command()
    body[field] = value
    targets.check_command("open", json.dumps(body).encode())


@QUICK
@given(st.floats(allow_nan=True, allow_infinity=True) | st.integers(-10**300, 10**300)
       | st.floats(targets.NOW - 40, targets.NOW + 10) | st.integers(int(targets.NOW) - 40, int(targets.NOW) + 10))
def test_only_a_finite_fresh_time_passes(at):
    from qrgate.comms import commands as cmd

    payload = json.dumps({"request_id": "r-1", "at": at}).encode()
    result = cmd.parse("open", payload, gate="g", retained=False, now=targets.NOW)
    try:
        t = float(at)
    except OverflowError:
        t = math.nan
    fresh = math.isfinite(t) and targets.NOW - t <= 30 and t - targets.NOW <= 5
    assert isinstance(result, cmd.Command) == fresh, (at, result)


# ---------------------------------------------------------------------------- config

def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ("nan" if math.isnan(value) else
                                                       ("inf" if value > 0 else "-inf"))
    if isinstance(value, (int, str)):
        return json.dumps(value) if isinstance(value, str) else str(value)
    return "[" + ", ".join(_toml_value(v) for v in value) + "]"


CONFIG_KEYS = [path for path, _default, _help in describe(Config)]
toml_scalars = st.booleans() | st.integers(-2**63, 2**63 - 1) | st.floats() | st.text(max_size=12)
toml_values = toml_scalars | st.lists(st.integers(-5, 5), max_size=3) | st.lists(st.text(max_size=5), max_size=3)


@SLOWER
@given(settings_list=st.lists(st.tuples(st.sampled_from(CONFIG_KEYS), toml_values), max_size=8))
def test_any_config_with_real_keys_loads_or_says_what_is_wrong(settings_list, tmp_path_factory):
    tables: dict[str, list[str]] = {}
    for path, value in settings_list:
        table, _, key = path.rpartition(".")
        if table.startswith("cameras"):
            table = "[cameras]"
        tables.setdefault(table, []).append(f"{key} = {_toml_value(value)}")
    text = ""
    for table, lines in tables.items():
        unique = {line.split(" = ")[0]: line for line in lines}
        header = "[[cameras]]" if table == "[cameras]" else f"[{table}]" if table else ""
        text += header + "\n" + "\n".join(unique.values()) + "\n"
    targets.check_config_text(text, str(tmp_path_factory.mktemp("cfg")))


@SLOWER
@given(st.text(max_size=400))
def test_any_text_as_a_config_loads_or_says_what_is_wrong(text):
    targets.check_config_text(text)
    targets.check_config_text(targets.CONFIG_SEED + text)


# ---------------------------------------------------------------------------- trust and revocation files

@SLOWER
@given(st.binary(max_size=300))
def test_trust_files_from_bytes_raise_only_credential_errors(data):
    targets.check_trust_bytes(data)


@SLOWER
@given(st.sampled_from(["qrgate-revocations", "qrgate-trust", "qrgate-rotation", None]),
       st.dictionaries(st.sampled_from(["version", "issued_at", "kid", "pass_ids", "signature", "keys",
                                        "key", "step_seconds"]), json_values, max_size=6))
def test_trust_documents_with_any_fields_raise_only_credential_errors(kind, fields):
    doc = {"type": kind, **fields} if kind else fields
    seeds = targets.trust_seeds()
    targets.check_trust_files([json.dumps(doc).encode()])
    targets.check_trust_files([seeds["trust"], json.dumps(doc).encode()])


@SLOWER
@given(st.sampled_from(["version", "issued_at", "kid", "pass_ids", "signature", "type"]), json_values)
def test_a_revocation_list_with_a_field_changed_is_refused_or_unchanged(field, value):
    from qrgate.credentials import TrustStore
    from qrgate.errors import CredentialError

    seeds = targets.trust_seeds()
    doc = json.loads(seeds["revocation"])
    original = dict(doc)
    doc[field] = value
    directory = Path(targets._scratch())
    (directory / "t.json").write_bytes(seeds["trust"])
    (directory / "r.json").write_text(json.dumps(doc))
    try:
        store = TrustStore.from_files([directory / "t.json", directory / "r.json"])
    except CredentialError:
        return
    assert doc == original or json.dumps(doc, sort_keys=True) == json.dumps(original, sort_keys=True), doc
    assert store.revocation_version == original["version"]


# ---------------------------------------------------------------------------- OSDP frames

@QUICK
@given(st.binary(max_size=300))
def test_the_frame_reader_and_board_take_any_bytes(data):
    targets.check_osdp_bytes(data)


@SLOWER
@given(st.lists(st.binary(max_size=40), max_size=12), st.lists(st.integers(0, 200), min_size=1, max_size=4))
def test_any_stream_in_any_chunks_at_any_pace(chunks, times):
    targets.check_osdp_stream(chunks or [b""], times)


@SLOWER
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0x40, 0x80), st.binary(max_size=30)), max_size=6))
def test_well_framed_commands_of_any_kind_never_move_a_keyed_board_or_give_a_key(commands):
    stream = [targets.osdp_packet(1, seq, code, data) for seq, code, data in commands]
    targets.check_osdp_stream(stream or [b""])
