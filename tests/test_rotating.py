"""Rotating codes: RFC 6238 TOTP under a per-pass secret; accepted within ±1 step, once per step."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest

from qrgate.cli.main import main
from qrgate.credentials import native, rotating
from qrgate.credentials.base45 import b45decode, b45encode
from qrgate.credentials.trust import TrustStore

STEP = rotating.STEP_SECONDS
T0 = 1_800_000_000.0 - 1_800_000_000.0 % STEP  # the start of a step
ROTATION_KEY = bytes(range(32))


@pytest.fixture
def site(keys, office):
    trust = TrustStore.from_files([keys["trust"]])
    trust.rotation = rotating.RotationState(ROTATION_KEY)
    static = native.issue(office.key, native.PassFields("visitor", b"h" * 8, int(T0 - 3600), int(T0 + 3600),
                                                        rotating=True))
    kid, pass_id = native.ids_of(static)
    return trust, static, rotating.pass_secret(ROTATION_KEY, kid, pass_id)


def test_totp_matches_rfc_6238_sha256_vectors():
    # RFC 6238 appendix B, SHA-256 seed, 8 digits, X = 30 s: the same HOTP core at the same counters
    seed = b"12345678901234567890123456789012"
    for t, expected in ((59, 46119246), (1111111109, 68084774), (1234567890, 91819424), (2000000000, 90698825)):
        assert rotating.totp(seed, t // 30) == expected


def test_live_code_is_accepted_once_per_step_within_one_step(site):
    trust, static, secret = site
    code = rotating.present(static, secret, T0 + 1)
    assert code.startswith("QG2:") and len(code) <= 157
    first = rotating.verify(code, trust, T0 + 2)
    assert first.valid and first.credential.attributes["rotating"] and all(first.checks.values())
    assert rotating.verify(code, trust, T0 + 3).reason == "code_reused"  # a screenshot, same step
    assert rotating.verify(rotating.present(static, secret, T0 + STEP), trust, T0 + STEP).valid  # next step
    previous = rotating.present(static, secret, T0)  # an older step after a newer one was used
    assert rotating.verify(previous, trust, T0 + STEP + 1).reason == "code_reused"


@pytest.mark.parametrize("shown_at, checked_at, reason", [
    (T0, T0 + STEP, "valid"),  # the phone is one step behind
    (T0 + STEP, T0, "valid"),  # the phone is one step ahead
    (T0, T0 + 2 * STEP, "bad_rotating_code"),  # a screenshot two steps old
    (T0 + 2 * STEP, T0, "bad_rotating_code"),
])
def test_window_is_plus_minus_one_step(site, shown_at, checked_at, reason):
    trust, static, secret = site
    assert rotating.verify(rotating.present(static, secret, shown_at), trust, checked_at).reason == reason


def test_the_printed_form_of_a_rotating_pass_is_refused(site):
    trust, static, _secret = site
    from qrgate import credentials

    assert credentials.verify(static, trust, T0).reason == "rotating_required"


def test_codes_are_bound_to_their_pass_and_site_key(site, office):
    trust, static, secret = site
    other = native.issue(office.key, native.PassFields("visitor", b"h" * 8, int(T0 - 3600), int(T0 + 3600),
                                                       rotating=True))
    # the right code of pass A glued to pass B
    code_a = b45decode(rotating.present(static, secret, T0)[4:])[-4:]
    glued = "QG2:" + b45encode(b45decode(other[4:]) + code_a)
    assert rotating.verify(glued, trust, T0).reason == "bad_rotating_code"
    # a secret derived under another site's rotation key
    foreign = rotating.pass_secret(b"x" * 32, *native.ids_of(static))
    assert rotating.verify(rotating.present(static, foreign, T0), trust, T0).reason == "bad_rotating_code"
    # no rotation key on the gate: refused, never waved through
    bare = TrustStore(pass_keys=trust.pass_keys)
    assert rotating.verify(rotating.present(static, secret, T0), bare, T0).reason == "no_rotation_key"


def test_bad_rotating_texts_are_refused(site):
    trust, static, secret = site
    code = rotating.present(static, secret, T0)
    for junk, reason in (("QG2:", "bad_length"), (code[:-2], "bad_encoding"), (code[:-3], "bad_length"),
                         ("QG2:" + "a" * 10, "bad_encoding")):
        assert rotating.verify(junk, trust, T0).reason == reason
    body = code[4:]
    for i in range(0, len(body), 7):  # single-character changes anywhere, pass or code
        altered = "QG2:" + body[:i] + ("0" if body[i] != "0" else "1") + body[i + 1:]
        assert not rotating.verify(altered, trust, T0).valid, i


def test_an_expired_rotating_pass_does_not_use_up_its_step(site):
    trust, static, secret = site
    late = T0 + 3600 + STEP
    code = rotating.present(static, secret, late)
    assert rotating.verify(code, trust, late).reason == "expired"
    assert not trust.rotation._last_step


def test_replay_memory_is_bounded_and_forgets_only_unusable_steps():
    state = rotating.RotationState(ROTATION_KEY, memory=3)
    kid = "00000000"
    for i in range(3):
        pid = f"{i:012x}"
        assert state.check(kid, pid, rotating.totp(rotating.pass_secret(ROTATION_KEY, kid, pid), 100), 100 * STEP) is None
    pid = f"{9:012x}"
    # much later: the old entries can no longer match a code, so they are dropped
    assert state.check(kid, pid, rotating.totp(rotating.pass_secret(ROTATION_KEY, kid, pid), 200), 200 * STEP) is None
    assert set(state._last_step) == {pid}


def test_phone_secret_is_hmac_of_kid_and_pass_id():
    kid, pid = "0a0b0c0d", "010203040506"
    expected = hmac.new(ROTATION_KEY, b"qrgate-rotating-v1" + bytes.fromhex(kid + pid), hashlib.sha256).digest()
    assert rotating.pass_secret(ROTATION_KEY, kid, pid) == expected


def test_cli_issue_rotating_and_show(tmp_path, capsys):
    d = str(tmp_path / "k")
    assert main(["keys", "new", "--dir", d, "--json"]) == 0
    made = json.loads(capsys.readouterr().out)
    assert main(["pass", "issue", "--key", made["private_key"], "--holder", "h", "--rotating"]) == 2
    assert "rotation" in capsys.readouterr().err  # no rotation.json yet: a clear error
    assert main(["keys", "rotation", "--dir", d]) == 0
    assert main(["keys", "rotation", "--dir", d]) == 2  # never overwrites the site's key
    capsys.readouterr()
    assert main(["pass", "issue", "--key", made["private_key"], "--holder", "h", "--rotating", "--json"]) == 0
    issued = json.loads(capsys.readouterr().out)
    assert main(["pass", "show", issued["payload"], "--rotating", "--secret", issued["rotating_secret"],
                 "--once", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    trust = TrustStore.from_files([made["trust"], f"{d}/rotation.json"])
    assert rotating.verify(shown["payload"], trust, time.time()).valid
    assert main(["verify", "--trust", made["trust"], issued["payload"]]) == 1
    assert "rotating_required" in capsys.readouterr().out
    page = tmp_path / "pass.html"
    assert main(["pass", "show", issued["payload"], "--rotating", "--rotation", f"{d}/rotation.json",
                 "--html", str(page), "--minutes", "2"]) == 0
    text = page.read_text()
    assert text.count("<svg") == 6 and "const STEP=20" in text
    assert main(["pass", "show", "hello", "--rotating", "--secret", "00", "--once"]) == 2


def test_a_rotating_code_on_a_phone_screen_is_read_by_the_gate_decoder(site):
    from gatesim.camera import VirtualCamera
    from qrgate.vision.decoder import Decoder

    trust, static, secret = site
    code = rotating.present(static, secret, T0)
    camera = VirtualCamera(1280, 720)
    camera.show(code)
    [decoded] = Decoder().decode(camera.frame())
    assert decoded.text == code and rotating.verify(decoded.text, trust, T0).valid
