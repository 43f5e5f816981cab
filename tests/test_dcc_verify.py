"""qrgate.credentials.dcc.verify: every reason code, the checks dict, privacy, bad input."""

from __future__ import annotations

import base64
import json
import logging
import random
import zlib
from pathlib import Path

import cbor2
import pytest

from qrgate import credentials
from qrgate.credentials.dcc import verify as dcc
from qrgate.credentials.base45 import b45encode
from qrgate.credentials.dcc.issue import (
    cwt_claims, encode_hc1, issue_dcc, make_test_signer, sample_payload, sign_cose)
from qrgate.credentials.dcc.trust import add_trust
from qrgate.credentials.trust import TrustStore

NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z
DAY = 86400.0
SCHEMA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "dcc-schema"
needs_schemas = pytest.mark.usefixtures("dcc_schemas")  # fails, naming them, when the schemas are absent
KEY = b"site-secret-for-tests"
NAME_FIELDS = {"fnt": "TESTER", "gnt": "ALPHA"}


def trust_with(*signers, schema_dir: Path | None = None) -> TrustStore:
    store = TrustStore(dcc_schema_dir=schema_dir)
    for signer in signers:
        store.dcc = add_trust(store.dcc, "test-signer.pem", signer.certificate_pem)
    return store


@pytest.fixture(scope="module")
def es256():
    return make_test_signer(NOW - 365 * DAY, NOW + 365 * DAY)


@pytest.fixture(scope="module")
def ps256():
    return make_test_signer(NOW - 365 * DAY, NOW + 365 * DAY, algorithm="PS256")


@pytest.fixture(scope="module")
def test_only():
    return make_test_signer(NOW - 365 * DAY, NOW + 365 * DAY, kinds=["test"])


@pytest.fixture(scope="module")
def lapsed():
    return make_test_signer(NOW - 365 * DAY, NOW - DAY)


@pytest.fixture(scope="module")
def stranger():
    return make_test_signer(NOW - 365 * DAY, NOW + 365 * DAY)


def hc1(signer, doc=None, iat=NOW - DAY, exp=NOW + 30 * DAY):
    return issue_dcc(signer, doc or sample_payload("vaccination"), iat, exp)


def with_bad_signature(text: str) -> str:
    cose = zlib.decompress(credentials.base45.b45decode(text[4:]))
    tag = cbor2.loads(cose)
    protected, unprotected, body, signature = tag.value
    forged = bytes([signature[0] ^ 0x01]) + signature[1:]
    return encode_hc1(cbor2.dumps(cbor2.CBORTag(18, [protected, unprotected, body, forged])))


def all_true(checks, but=()):
    return all(v is True for k, v in checks.items() if k not in but)


# (name, build(signers) -> (payload, trust), expected reason, the check that fails)
def _cases():
    return [
        ("bad_prefix", lambda s: ("HC2:" + hc1(s["es256"])[4:], trust_with(s["es256"])), "bad_prefix", "prefix"),
        ("bad_base45", lambda s: ("HC1:abc", trust_with(s["es256"])), "bad_base45", "base45"),
        ("bad_zlib", lambda s: ("HC1:" + b45encode(b"not compressed"), trust_with(s["es256"])), "bad_zlib", "zlib"),
        ("truncated_zlib", lambda s: ("HC1:" + b45encode(zlib.compress(b"x" * 500)[:-6]), trust_with(s["es256"])),
         "bad_zlib", "zlib"),
        ("bad_cose", lambda s: (encode_hc1(cbor2.dumps([1, 2, 3])), trust_with(s["es256"])), "bad_cose", "cose"),
        ("unknown_key", lambda s: (hc1(s["stranger"]), trust_with(s["es256"])), "unknown_key", "signature"),
        ("no_trust_at_all", lambda s: (hc1(s["es256"]), TrustStore()), "unknown_key", "signature"),
        ("bad_signature", lambda s: (with_bad_signature(hc1(s["es256"])), trust_with(s["es256"])),
         "bad_signature", "signature"),
        ("bad_cbor_not_cbor", lambda s: (encode_hc1(sign_cose(s["es256"], b"\xff\xfe")), trust_with(s["es256"])),
         "bad_cbor", "cbor"),
        ("bad_cbor_no_hcert", lambda s: (encode_hc1(sign_cose(s["es256"], cbor2.dumps({1: "VN", 4: 1, 6: 0}))),
                                         trust_with(s["es256"])), "bad_cbor", "cbor"),
        ("bad_cwt_times", lambda s: (encode_hc1(sign_cose(s["es256"], cbor2.dumps(
            {1: "VN", 6: int(NOW - DAY), -260: {1: sample_payload("test")}}))), trust_with(s["es256"])),
         "bad_cwt_times", "expiry"),
        ("expired", lambda s: (hc1(s["es256"], iat=NOW - 10 * DAY, exp=NOW - 1), trust_with(s["es256"])),
         "expired", "expiry"),
        ("not_yet_valid", lambda s: (hc1(s["es256"], iat=NOW + 60, exp=NOW + DAY), trust_with(s["es256"])),
         "not_yet_valid", "expiry"),
        ("key_usage", lambda s: (hc1(s["test_only"]), trust_with(s["test_only"])), "key_usage", "key_usage"),
        ("cert_expired", lambda s: (hc1(s["lapsed"]), trust_with(s["lapsed"])), "cert_expired", "key_usage"),
    ]


@pytest.fixture(scope="module")
def signers(es256, ps256, test_only, lapsed, stranger):
    return {"es256": es256, "ps256": ps256, "test_only": test_only, "lapsed": lapsed, "stranger": stranger}


@pytest.mark.parametrize("name,build,reason,failed_check", _cases(), ids=[c[0] for c in _cases()])
def test_each_reason_code(signers, name, build, reason, failed_check):
    text, trust = build(signers)
    result = dcc.verify(text, trust, NOW, KEY)
    assert result.valid is False
    assert result.reason == reason
    assert result.checks[failed_check] is False
    assert result.credential is None
    assert set(result.checks) == set(dcc.CHECKS)
    steps = list(dcc.CHECKS)
    # every step of the chain before the failed one passed
    assert all(result.checks[c] is True for c in steps[:steps.index(failed_check)]
               if c not in ("signature", "schema", "key_usage")), result.checks


@needs_schemas
@pytest.mark.parametrize("doc,reason", [
    (sample_payload("vaccination", dob="19900101"), "schema_invalid"),
    ({**sample_payload("test"), "v": sample_payload("vaccination")["v"]}, "schema_invalid"),
    (sample_payload("vaccination", ver="2.0.0"), "schema_invalid"),
    (sample_payload("recovery", dob="2027-03"), "dob_in_future"),
], ids=["bad_dob_form", "two_statements", "unknown_major_version", "dob_in_future"])
def test_schema_reasons(es256, doc, reason):
    result = dcc.verify(hc1(es256, doc), trust_with(es256, schema_dir=SCHEMA_DIR), NOW, KEY)
    assert (result.valid, result.reason, result.checks["schema"]) == (False, reason, False)
    assert all_true(result.checks, but=("schema",))


@needs_schemas
@pytest.mark.parametrize("kind", ["vaccination", "recovery", "test"])
@pytest.mark.parametrize("signer_name", ["es256", "ps256"])
def test_valid_certificates_of_each_kind_and_algorithm(signers, kind, signer_name):
    signer = signers[signer_name]
    result = dcc.verify(hc1(signer, sample_payload(kind)), trust_with(signer, schema_dir=SCHEMA_DIR), NOW, KEY)
    assert (result.valid, result.reason) == (True, "ok")
    assert all_true(result.checks)
    cred = result.credential
    assert (cred.format, cred.kind, cred.key_id) == ("dcc", kind, signer.kid.hex())
    assert (cred.valid_from, cred.valid_until) == (NOW - DAY, NOW + 30 * DAY)


def test_schema_is_not_reached_without_schemas(es256):
    result = dcc.verify(hc1(es256), trust_with(es256), NOW, KEY)
    assert result.valid is True
    assert result.checks["schema"] is None


def test_dispatcher_routes_hc1_here(es256):
    result = credentials.verify(hc1(es256), trust_with(es256), NOW)
    assert (result.format, result.valid) == ("dcc", True)


def test_later_checks_still_run_after_a_bad_signature(es256):
    text = with_bad_signature(hc1(es256, iat=NOW - 10 * DAY, exp=NOW - 1))
    result = dcc.verify(text, trust_with(es256), NOW, KEY)
    assert result.reason == "bad_signature"
    assert result.checks["expiry"] is False  # judged although the signature failed
    assert result.checks["key_usage"] is None  # no certificate verified, so no usage to judge


@pytest.mark.parametrize("kid_in", ["protected", "unprotected"])
def test_kid_from_either_header(es256, kid_in):
    cose = sign_cose(es256, cwt_claims(sample_payload("test"), NOW - DAY, NOW + DAY), kid_in=kid_in)
    assert dcc.verify(encode_hc1(cose), trust_with(es256), NOW, KEY).valid is True


def test_protected_kid_wins_over_unprotected(es256):
    # a wrong protected kid is not rescued by a right unprotected one (case CO22)
    protected = cbor2.dumps({1: -7, 4: b"wrongkid"})
    good = cbor2.loads(sign_cose(es256, cwt_claims(sample_payload("test"), NOW - DAY, NOW + DAY))).value
    cose = cbor2.dumps(cbor2.CBORTag(18, [protected, {4: es256.kid}, good[2], good[3]]))
    assert dcc.verify(encode_hc1(cose), trust_with(es256), NOW, KEY).reason == "unknown_key"


def test_every_certificate_sharing_a_kid_is_tried(es256, stranger, tmp_path):
    # a trust list may give two certificates the same kid; the right one must still be found
    shared_kid = base64.b64encode(es256.kid).decode()
    doc = {"certificates": [
        {"kid": shared_kid, "certificate": base64.b64encode(stranger.certificate_der).decode()},
        {"kid": shared_kid, "certificate": base64.b64encode(es256.certificate_der).decode()}]}
    path = tmp_path / "list.json"
    path.write_text(json.dumps(doc))
    store = TrustStore()
    store.add_trust_file(path)
    assert len(store.dcc.candidates(es256.kid)) == 2
    assert dcc.verify(hc1(es256), store, NOW, KEY).valid is True


def test_algorithm_must_match_the_key_type(es256, ps256):
    # an ES256 header on a message checked with an RSA key never verifies
    body = cwt_claims(sample_payload("test"), NOW - DAY, NOW + DAY)
    good = cbor2.loads(sign_cose(ps256, body)).value
    protected = cbor2.dumps({1: -7, 4: ps256.kid})
    cose = cbor2.dumps(cbor2.CBORTag(18, [protected, {}, good[2], good[3]]))
    assert dcc.verify(encode_hc1(cose), trust_with(ps256), NOW, KEY).reason == "bad_signature"


def test_double_tagged_message_verifies(es256):
    inner = cbor2.loads(sign_cose(es256, cwt_claims(sample_payload("test"), NOW - DAY, NOW + DAY)))
    cose = cbor2.dumps(cbor2.CBORTag(61, inner))
    assert dcc.verify(encode_hc1(cose), trust_with(es256), NOW, KEY).valid is True


# ---- privacy ------------------------------------------------------------------------------

def test_credential_carries_a_pseudonym_and_only_rule_fields(es256):
    doc = sample_payload("test", name={"fn": "Tester", "fnt": "TESTER", "gn": "Beta", "gnt": "BETA"},
                         dob="1985-05-05")
    cred = dcc.verify(hc1(es256, doc), trust_with(es256), NOW, KEY).credential
    assert cred.holder == dcc.holder_pseudonym("TESTER", "BETA", "1985-05-05", KEY)
    assert set(cred.attributes) == {"tg", "tt", "sc", "tr", "iss"}
    text = repr(cred)
    for secret in ("TESTER", "BETA", "Beta", "1985-05-05", "QRGATETEST"):
        assert secret not in text


@pytest.mark.parametrize("kind,fields", [
    ("vaccination", {"dn", "sd", "dt", "mp", "tg", "iss"}),
    ("recovery", {"df", "du", "tg", "iss"}),
    ("test", {"tt", "sc", "tr", "tg", "iss"}),
])
def test_attributes_per_kind(es256, kind, fields):
    cred = dcc.verify(hc1(es256, sample_payload(kind)), trust_with(es256), NOW, KEY).credential
    assert set(cred.attributes) == fields
    assert cred.attributes["iss"] == "VN"


def test_pseudonym_is_keyed_and_stable():
    a = dcc.holder_pseudonym("TESTER", "ALPHA", "1990-01-01", b"k1")
    assert a == dcc.holder_pseudonym("TESTER", "ALPHA", "1990-01-01", b"k1")
    assert a != dcc.holder_pseudonym("TESTER", "ALPHA", "1990-01-01", b"k2")
    assert a != dcc.holder_pseudonym("TESTER", "ALPHA", "1990-01-02", b"k1")
    assert a != dcc.holder_pseudonym("TESTERALPHA", "", "1990-01-01", b"k1")  # fields stay apart
    assert len(a) >= 16 and set(a) <= set("0123456789abcdef")  # hex, and never the name itself


def test_logs_never_hold_the_payload_or_the_name(es256, caplog):
    text = hc1(es256)
    with caplog.at_level(logging.DEBUG, logger="qrgate"):
        dcc.verify(text, trust_with(es256, schema_dir=SCHEMA_DIR), NOW, KEY)
        dcc.verify(with_bad_signature(text), trust_with(es256), NOW, KEY)
    logged = caplog.text
    assert caplog.records, "expected at least one debug line"
    for secret in (text[4:40], "TESTER", "ALPHA", "1990-01-01"):
        assert secret not in logged


# ---- bad input never raises ----------------------------------------------------------------

def _junk_inputs():
    rng = random.Random(7)
    good_start = "HC1:NCFOXN%TS3DH"
    yield ""
    yield "HC1:"
    yield "HC1:" + "A" * 5
    yield good_start
    yield "HC1:" + "".join(rng.choice(credentials.base45.ALPHABET) for _ in range(3000))
    yield "HC1:" + bytes(rng.randrange(256) for _ in range(2000)).decode("latin-1")
    yield "HC1:" + "0" * 1_000_000
    yield "\x00" * 1_000_000
    yield "HC1:" + b45encode(zlib.compress(b"\x00" * 10_000_000))  # a zip bomb
    yield "HC1:" + b45encode(zlib.compress(cbor2.dumps(cbor2.CBORTag(18, [b"\xff", {}, b"", b""]))))
    yield "HC1:" + b45encode(zlib.compress(cbor2.dumps([b"", {}, cbor2.dumps([1]), b""])))
    yield "HC1:" + b45encode(zlib.compress(b"\x9f" * 5000))  # deeply nested indefinite arrays


@pytest.mark.parametrize("text", list(_junk_inputs()), ids=lambda t: f"{len(t)}chars")
def test_bad_input_never_raises(es256, text):
    trust = trust_with(es256, schema_dir=SCHEMA_DIR)
    result = dcc.verify(text, trust, NOW, KEY)
    assert result.valid is False and result.credential is None
    routed = credentials.verify(text, trust, NOW)
    assert routed.valid is False


def test_truncated_real_certificates_never_verify(es256):
    text = hc1(es256)
    trust = trust_with(es256)
    for cut in range(5, len(text), 37):
        result = dcc.verify(text[:cut], trust, NOW, KEY)
        assert result.valid is False


def test_two_statements_are_refused_even_without_schemas(es256):
    doc = {**sample_payload("test"), "v": sample_payload("vaccination")["v"]}
    result = dcc.verify(hc1(es256, doc), trust_with(es256), NOW, KEY)
    assert (result.valid, result.reason, result.checks["schema"]) == (False, "schema_invalid", False)


@pytest.mark.parametrize("odd", [{"t": "not a list"}, {"t": {"tt": "x"}}, {"t": [5]}, {"t": []}])
def test_odd_payload_shapes_are_refused_without_raising(es256, odd):
    doc = {"ver": "1.3.0", "nam": NAME_FIELDS, "dob": "1990-01-01", **odd}
    result = dcc.verify(hc1(es256, doc), trust_with(es256), NOW, KEY)
    assert (result.valid, result.reason) == (False, "schema_invalid")


@pytest.mark.parametrize("iat,exp", [(float("nan"), NOW + DAY), (NOW - DAY, float("nan")),
                                     (NOW - DAY, float("inf")), (True, NOW + DAY), ("0", NOW + DAY)])
def test_odd_cwt_times_are_refused(es256, iat, exp):
    claims = cbor2.dumps({1: "VN", 6: iat, 4: exp, -260: {1: sample_payload("test")}})
    result = dcc.verify(encode_hc1(sign_cose(es256, claims)), trust_with(es256), NOW, KEY)
    assert (result.valid, result.reason) == (False, "bad_cwt_times")


def test_pseudonym_key_can_come_from_the_trust_store(es256):
    store = TrustStore(pseudonym_key=KEY)
    store.dcc = trust_with(es256).dcc
    via_store = credentials.verify(hc1(es256), store, NOW).credential.holder
    assert via_store == dcc.verify(hc1(es256), trust_with(es256), NOW, KEY).credential.holder
    assert via_store != dcc.verify(hc1(es256), trust_with(es256), NOW, b"other").credential.holder
