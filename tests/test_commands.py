"""Command parsing and validation, table-tested: every refusal has its own row."""

from __future__ import annotations

import json

import pytest

from qrgate.comms.commands import REFUSALS, Command, CommandPolicy, Refusal, parse, sign

NOW = 1_700_000_000.0


def js(**body) -> bytes:
    return json.dumps(body).encode()


ACCEPTED = [
    ("open", js(request_id="r-1", by="admin"), Command("open", "r-1", "admin", None)),
    ("open", js(request_id="r-2"), Command("open", "r-2", "unknown", None)),
    ("open", b"PRESS", Command("open", f"auto-{int(NOW * 1000)}", "dashboard", None)),
    ("open", b"OPEN", Command("open", f"auto-{int(NOW * 1000)}", "dashboard", None)),
    ("open", b"UNLOCK", Command("open", f"auto-{int(NOW * 1000)}", "dashboard", None)),
    ("lockdown", js(request_id="r-3", value=True), Command("lockdown", "r-3", "unknown", True)),
    ("lockdown", b"OFF", Command("lockdown", f"auto-{int(NOW * 1000)}", "dashboard", False)),
    ("free_exit", js(request_id="r-4", value=False, at=NOW - 5), Command("free_exit", "r-4", "unknown", False)),
    ("ack_alarm", js(request_id="r-5", value="door_forced"), Command("ack_alarm", "r-5", "unknown", "door_forced")),
    ("ack_alarm", b"all", Command("ack_alarm", f"auto-{int(NOW * 1000)}", "dashboard", "all")),
    ("reset_counts", js(request_id="a.b:c_d-9"), Command("reset_counts", "a.b:c_d-9", "unknown", None)),
    ("override", js(request_id="r-6", by="guard-7", why="phone died", direction="exit"),
     Command("override", "r-6", "guard-7", None, "phone died", "exit")),
    ("mark_left", js(request_id="r-7", by="guard-7", value="0123456789ab", why="left by the exit button"),
     Command("mark_left", "r-7", "guard-7", "0123456789ab", "left by the exit button")),
]


@pytest.mark.parametrize("name, payload, expected", ACCEPTED)
def test_valid_commands_are_parsed(name, payload, expected):
    assert parse(name, payload, gate="g1", retained=False, now=NOW) == expected


REFUSED = [
    ("explode", js(request_id="r"), False, "unknown_command", "r"),
    (None, b"PRESS", False, "unknown_command", None),
    ("open", b"x" * 2000, False, "too_large", None),
    ("open", b"{not json", False, "malformed", None),
    ("open", b"[1, 2]", False, "malformed", None),
    ("open", b"ON", False, "malformed", None),  # a switch word on a button
    ("lockdown", b"PRESS", False, "malformed", None),
    ("open", b"", False, "malformed", None),
    ("open", js(by="admin"), False, "bad_request_id", None),
    ("open", js(request_id=""), False, "bad_request_id", None),
    ("open", js(request_id="has space"), False, "bad_request_id", None),
    ("open", js(request_id="r/1"), False, "bad_request_id", None),
    ("open", js(request_id=7), False, "bad_request_id", None),
    ("open", js(request_id="r-1"), True, "retained", "r-1"),
    ("open", b"PRESS", True, "retained", f"auto-{int(NOW * 1000)}"),
    ("open", js(request_id="r-1", pulse_seconds=60), False, "unknown_key", "r-1"),
    ("open", js(request_id="r-1", by="Nguyen Van A"), False, "bad_by", "r-1"),
    ("open", js(request_id="r-1", by=5), False, "bad_by", "r-1"),
    ("open", js(request_id="r-1", value=True), False, "bad_value", "r-1"),
    ("lockdown", js(request_id="r-1"), False, "bad_value", "r-1"),
    ("lockdown", js(request_id="r-1", value="yes"), False, "bad_value", "r-1"),
    ("lockdown", js(request_id="r-1", value=1), False, "bad_value", "r-1"),
    ("ack_alarm", js(request_id="r-1", value="fire"), False, "bad_value", "r-1"),
    ("open", js(request_id="r-1", at="yesterday"), False, "bad_time", "r-1"),
    ("open", js(request_id="r-1", at=True), False, "bad_time", "r-1"),
    ("open", js(request_id="r-1", at=NOW - 31), False, "stale", "r-1"),
    ("open", js(request_id="r-1", at=NOW + 60), False, "from_future", "r-1"),
    ("override", js(request_id="r-1", why=7), False, "bad_reason", "r-1"),
    ("override", js(request_id="r-1", why="x" * 201), False, "bad_reason", "r-1"),
    ("override", js(request_id="r-1", why="ok", direction="up"), False, "bad_direction", "r-1"),
    ("mark_left", js(request_id="r-1", why="ok", value="Nguyen Van A"), False, "bad_value", "r-1"),
    ("open", b"LOCK", False, "locks_itself", None),  # Home Assistant's lock entity, asked to lock
    ("open", b'{"request_id": "r-1", "at": NaN}', False, "bad_number", None),
]


@pytest.mark.parametrize("name, payload, retained, reason, request_id", REFUSED)
def test_bad_commands_are_refused_with_a_reason(name, payload, retained, reason, request_id):
    result = parse(name, payload, gate="g1", retained=retained, now=NOW)
    assert isinstance(result, Refusal)
    assert (result.reason, result.request_id) == (reason, request_id)
    assert result.detail == REFUSALS[reason]


def test_every_refusal_reason_is_exercised():
    assert {row[3] for row in REFUSED} | {"not_allowed", "unauthorised"} == set(REFUSALS)


def test_a_gate_takes_only_its_allowed_commands():
    policy = CommandPolicy(allowed=frozenset({"ack_alarm"}))
    refused = parse("open", js(request_id="r-1"), gate="g1", retained=False, now=NOW, policy=policy)
    assert isinstance(refused, Refusal) and refused.reason == "not_allowed"
    taken = parse("ack_alarm", b"tamper", gate="g1", retained=False, now=NOW, policy=policy)
    assert isinstance(taken, Command) and taken.value == "tamper"


SECRET = b"s" * 32


def signed(name, gate="g1", request_id="r-9", value=None, at=NOW, secret=SECRET, **extra):
    body = {"request_id": request_id, "at": at}
    if value is not None:
        body["value"] = value
    body["sig"] = sign(secret, gate, name, body)
    return js(**body, **extra)


@pytest.mark.parametrize("payload, ok", [
    (signed("open"), True),
    (signed("open", secret=b"x" * 32), False),  # wrong key
    (signed("open", gate="g2"), False),  # signed for another gate
    (signed("reset_counts"), False),  # signed for another command
    (js(request_id="r-9", at=NOW), False),  # no signature
    (js(request_id="r-9", sig="00"), False),  # signature without a time
    (b"PRESS", False),  # bare words cannot be signed
])
def test_with_a_command_secret_only_signed_commands_pass(payload, ok):
    result = parse("open", payload, gate="g1", retained=False, now=NOW, policy=CommandPolicy(secret=SECRET))
    if ok:
        assert result == Command("open", "r-9", "unknown", None)
    else:
        assert isinstance(result, Refusal) and result.reason == "unauthorised"


def test_a_signed_lockdown_carries_its_value():
    result = parse("lockdown", signed("lockdown", value=True), gate="g1", retained=False, now=NOW,
                   policy=CommandPolicy(secret=SECRET))
    assert result == Command("lockdown", "r-9", "unknown", True)


def test_the_gates_command_settings_are_read_with_their_key_paths(tmp_path):
    # unknown command names are refused by the [mqtt] config (tests/test_config.py)
    from qrgate.comms.wiring import command_policy
    from qrgate.errors import ConfigError

    assert command_policy(["open", "ack_alarm"], None).allowed == frozenset({"open", "ack_alarm"})
    with pytest.raises(ConfigError, match="mqtt.command_secret_file: cannot read"):
        command_policy(["open"], str(tmp_path / "missing"))
    (tmp_path / "short").write_bytes(b"abc")
    with pytest.raises(ConfigError, match="holds 3 bytes"):
        command_policy(["open"], str(tmp_path / "short"))
    (tmp_path / "good").write_bytes(SECRET + b"\n")
    assert command_policy(["open"], str(tmp_path / "good")).secret == SECRET


def test_every_field_is_signed_so_by_cannot_be_changed():
    body = {"request_id": "r-9", "by": "night-guard", "at": NOW}
    body["sig"] = sign(SECRET, "g1", "open", body)
    policy = CommandPolicy(secret=SECRET)
    assert parse("open", js(**body), gate="g1", retained=False, now=NOW, policy=policy) == \
        Command("open", "r-9", "night-guard", None)
    for changed in ({**body, "by": "admin"}, {k: v for k, v in body.items() if k != "by"}):
        result = parse("open", js(**changed), gate="g1", retained=False, now=NOW, policy=policy)
        assert isinstance(result, Refusal) and result.reason == "unauthorised", changed


@pytest.mark.parametrize("at_text", ["NaN", "Infinity", "-Infinity", "1e999", "-1e999", "1" + "0" * 400])
def test_a_time_that_is_not_a_finite_number_is_refused(at_text):
    payload = ('{"request_id": "r-nan", "at": %s}' % at_text).encode()
    for policy in (CommandPolicy(), CommandPolicy(max_age=float("inf"))):
        result = parse("open", payload, gate="g1", retained=False, now=NOW, policy=policy)
        assert isinstance(result, Refusal), (at_text, result)
        assert result.reason in ("bad_number", "bad_time")


def test_nan_anywhere_in_a_command_is_refused_with_its_reason():
    result = parse("lockdown", b'{"request_id": "r-1", "value": NaN}', gate="g1", retained=False, now=NOW)
    assert isinstance(result, Refusal) and result.reason == "bad_number"
    assert "finite" in result.detail


@pytest.mark.parametrize("sig", ["é" * 64, "\ud800", ""])
def test_a_signature_with_any_characters_is_refused_not_raised(sig):
    payload = json.dumps({"request_id": "r-1", "at": NOW, "sig": sig}).encode()
    result = parse("open", payload, gate="g1", retained=False, now=NOW, policy=CommandPolicy(secret=SECRET))
    assert isinstance(result, Refusal) and result.reason == "unauthorised"
