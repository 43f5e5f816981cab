"""The qrgate pass: round trip, strictness against every single-character change, and bad input."""

from __future__ import annotations

import json
import os

import pytest

from gatesim.visitors import PassOffice
from qrgate.policy.reasons import GUARD_TEXT

from qrgate import credentials
from qrgate.credentials import native
from qrgate.credentials.base45 import ALPHABET, Base45Error, b45decode, b45encode
from qrgate.credentials.keys import new_key
from qrgate.credentials.trust import TrustStore

HOUR = 3600


def test_valid_pass_verifies_with_every_check(office, trust, now):
    payload = office.issue("visitor-a", now - HOUR, now + HOUR)
    result = credentials.verify(payload, trust, now)
    assert result.valid and result.reason == "valid"
    assert all(result.checks.values())
    assert result.credential.kind == "visitor"
    assert result.credential.holder == native.holder_pseudonym(office.secret, "visitor-a").hex()


def test_pass_fits_a_version_6_qr_at_error_correction_m(office, now):
    import segno

    payload = office.issue("visitor-a", now, now + HOUR)
    qr = segno.make(payload, error="m", micro=False, boost_error=False)
    assert qr.mode == "alphanumeric" and qr.error == "M" and qr.version <= 6


def test_holder_text_never_appears_in_the_pass(office, now):
    payload = office.issue("Holder Name 079123456", now, now + HOUR)
    raw = b45decode(payload[4:])
    assert b"Holder" not in raw and b"079123456" not in raw


def test_every_single_character_change_is_rejected(office, trust, now):
    payload = office.issue("visitor-a", now - HOUR, now + HOUR)
    body = payload[len(native.PREFIX):]
    for i, original in enumerate(body):
        for replacement in ALPHABET + "a":
            if replacement == original:
                continue
            altered = native.PREFIX + body[:i] + replacement + body[i + 1:]
            assert not credentials.verify(altered, trust, now).valid, (i, replacement)


@pytest.mark.parametrize("cut", [1, 2, 3, 10, 100])
def test_truncated_and_padded_passes_are_rejected(office, trust, now, cut):
    payload = office.issue("visitor-a", now - HOUR, now + HOUR)
    assert credentials.verify(payload[:-cut], trust, now).reason in ("bad_length", "bad_encoding")
    assert not credentials.verify(payload + "0" * cut, trust, now).valid


def test_time_window(office, trust, now):
    expired = office.issue("v", now - 2 * HOUR, now - HOUR)
    early = office.issue("v", now + HOUR, now + 2 * HOUR)
    assert credentials.verify(expired, trust, now).reason == "expired"
    assert credentials.verify(early, trust, now).reason == "not_yet_valid"


def test_untrusted_key_is_unknown_key(tmp_path, trust, now):
    from gatesim.visitors import PassOffice
    from qrgate.credentials.keys import issuer_secret

    other = new_key(tmp_path / "attacker")
    forger = PassOffice(other["private_key"], issuer_secret(other["private_key"]))
    result = credentials.verify(forger.issue("v", now - HOUR, now + HOUR), trust, now)
    assert result.reason == "unknown_key" and result.checks["key"] is False


@pytest.mark.parametrize("junk, reason", [
    ("", "empty"),
    ("hello", "unknown_format"),
    ("QG1:", "bad_length"),
    ("QG1:abc", "bad_encoding"),
    ("QG1:" + "Z" * 148, "bad_encoding"),
    ("\x00\xff" * 50, "unknown_format"),
    ("QG1:" + "0" * 1_000_000, "too_long"),
])
def test_junk_is_rejected_with_a_reason(trust, now, junk, reason):
    result = credentials.verify(junk, trust, now)
    assert not result.valid and result.reason == reason


def test_base45_round_trip_and_strictness():
    for n in range(0, 40):
        data = os.urandom(n)
        assert b45decode(b45encode(data)) == data
    assert b45encode(b"AB") == "BB8"  # RFC 9285 example
    for bad in ("GGW", "A", ":::", "ab"):  # out of range, impossible length, over 0xFFFF, lowercase
        with pytest.raises(Base45Error):
            b45decode(bad)


def test_trust_file_with_retired_key_refuses_it(tmp_path, keys, office, now):
    import json

    doc = json.loads(open(keys["trust"]).read())
    doc["keys"][0]["retired"] = True
    retired = tmp_path / "retired.json"
    retired.write_text(json.dumps(doc))
    store = TrustStore.from_files([retired])
    assert credentials.verify(office.issue("v", now - HOUR, now + HOUR), store, now).reason == "unknown_key"


# -- version 2: binding fields, flags, and forgery through `qrgate verify` ---------------------------

def test_binding_fields_round_trip(office, trust, now):
    fields = native.PassFields("contractor", b"12345678", int(now - HOUR), int(now + HOUR), pass_id=b"\x01" * 6,
                               site=65535, zones=0b1010_0001, entries_per_day=3, gates=0b0000_0100)
    result = credentials.verify(native.issue(office.key, fields), trust, now)
    assert result.valid and result.credential.kind == "contractor" and result.credential.pass_id == "01" * 6
    assert result.credential.attributes == {"site": 65535, "zones": 0b1010_0001, "entries_per_day": 3,
                                            "gates": 0b100, "rotating": False}


def test_version_2_pass_still_fits_a_version_6_qr(office, now):
    import segno

    payload = native.issue(office.key, native.PassFields("staff", b"h" * 8, 0, 2**32 - 1, site=1, zones=255,
                                                         entries_per_day=255, gates=255, rotating=True))
    assert len(payload) == 151
    assert segno.make(payload, error="m", micro=False, boost_error=False).version == 6


@pytest.mark.parametrize("field, value", [("site", 65536), ("zones", 256), ("gates", -1), ("entries_per_day", 999)])
def test_out_of_range_fields_are_refused_at_issue(office, now, field, value):
    with pytest.raises(ValueError, match=field):
        native.issue(office.key, native.PassFields("visitor", b"h" * 8, 0, 1, **{field: value}))


def _resign(office, payload, edit):
    """A pass re-signed by the real key after an edit: only the version/flag checks can refuse it."""
    raw = bytearray(b45decode(payload[4:]))
    edit(raw)
    body = bytes(raw[:native.BODY_BYTES])
    return native.PREFIX + b45encode(body + office.key.sign(native.PREFIX.encode() + body))


@pytest.mark.parametrize("edit", [
    lambda raw: raw.__setitem__(0, 1),  # an old version byte
    lambda raw: raw.__setitem__(1, len(native.KINDS)),  # an unknown kind
    lambda raw: raw.__setitem__(native.BODY_BYTES - 1, 0x80),  # an unknown flag bit
])
def test_signed_but_unknown_versions_kinds_and_flags_are_refused(office, trust, now, edit):
    payload = _resign(office, office.issue("v", now - HOUR, now + HOUR), edit)
    assert credentials.verify(payload, trust, now).reason == "bad_version"


def test_a_version_1_length_pass_is_refused(office, trust, now):
    raw = b45decode(office.issue("v", now - HOUR, now + HOUR)[4:])
    short = native.PREFIX + b45encode(raw[:32] + raw[34:])  # the 32-byte version 1 body
    assert credentials.verify(short, trust, now).reason == "bad_length"


def _cli_verify(capsys, trust_file, payload, *extra):
    from qrgate.cli.main import main

    code = main(["verify", "--trust", trust_file, "--json", *extra, "--", payload])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, (json.loads(out) if out.strip() else None)


def test_cli_refuses_every_single_character_change(keys, office, now, capsys):
    """Through `qrgate verify` in-process: a change at every position exits 1 with a reason (the full
    45-symbol alphabet at every position runs against credentials.verify above)."""
    payload = office.issue("visitor-a", now - HOUR, now + HOUR)
    code, result = _cli_verify(capsys, keys["trust"], payload)
    assert code == 0 and result["valid"]
    tried = 0
    for i in range(len(payload)):
        shifted = ALPHABET[(ALPHABET.find(payload[i]) + 1) % len(ALPHABET)]
        for replacement in (shifted, "a", "\x00"):
            code, result = _cli_verify(capsys, keys["trust"], payload[:i] + replacement + payload[i + 1:])
            assert code == 1 and not result["valid"] and result["reason"] in GUARD_TEXT, (i, replacement)
            tried += 1
    assert tried == 3 * len(payload)


def test_cli_refuses_cuts_extras_strangers_times_and_junk(tmp_path, keys, office, now, capsys):
    payload = office.issue("visitor-a", now - HOUR, now + HOUR)
    forger = PassOffice(new_key(tmp_path / "evil")["private_key"], b"e" * 32)
    cases = [payload[:n] for n in range(0, len(payload), 9)] + [payload[:-1], payload + "0", payload + "00",
                                                                 payload + "000", " " + payload, payload + "\n"]
    cases += [forger.issue("v", now - HOUR, now + HOUR), office.issue("v", now - 2 * HOUR, now - HOUR),
              office.issue("v", now + HOUR, now + 2 * HOUR), "", "QG1:" + "0" * 1_000_000,
              os.urandom(512).decode("latin-1"), "\x00" * 64, "QG1:\udcff"]
    reasons = set()
    for text in cases:
        code, result = _cli_verify(capsys, keys["trust"], text)
        assert code == 1 and result["valid"] is False, repr(text[:30])
        reasons.add(result["reason"])
    assert {"unknown_key", "expired", "not_yet_valid", "too_long", "bad_length", "bad_encoding"} <= reasons
