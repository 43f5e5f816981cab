"""The qrgate pass: round trip, strictness against every single-character change, and bad input."""

from __future__ import annotations

import os

import pytest

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
