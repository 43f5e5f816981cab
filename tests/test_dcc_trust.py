"""Health-certificate trust files: PEM, DER, JSON trust lists, dgc-testdata cases; EKU rules."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
from conftest import require_corpus
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from qrgate.credentials.dcc.issue import EKU_OID, make_test_signer
from qrgate.credentials.dcc.trust import KINDS, DccTrust, SignerCertificate, add_trust, kid_of
from qrgate.credentials.trust import TrustStore
from qrgate.errors import KeyFileError, QrgateError

NOW = 1_767_225_600.0
DAY = 86400.0
CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "dcc"


@pytest.fixture(scope="module")
def signers():
    return [make_test_signer(NOW - DAY, NOW + DAY, kinds=k) for k in (None, ["test"], ["vaccination", "recovery"])]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_kid_is_first_8_bytes_of_sha256_of_der(signers):
    der = signers[0].certificate_der
    assert kid_of(der) == hashlib.sha256(der).digest()[:8]
    assert len(kid_of(der)) == 8


def test_pem_bundle_loads_every_certificate(signers, tmp_path):
    path = tmp_path / "bundle.pem"
    path.write_bytes(b"".join(s.certificate_pem for s in signers))
    store = TrustStore()
    store.add_trust_file(path)
    assert isinstance(store.dcc, DccTrust) and len(store.dcc) == 3
    for s in signers:
        assert store.dcc.candidates(s.kid)[0].kid == s.kid


def test_der_certificate(signers, tmp_path):
    path = tmp_path / "dsc.der"
    path.write_bytes(signers[1].certificate_der)
    store = TrustStore()
    store.add_trust_file(path)
    assert [c.allowed_kinds for c in store.dcc.candidates(signers[1].kid)] == [frozenset({"test"})]


def test_files_accumulate_into_one_trust(signers, tmp_path):
    trust = None
    for i, s in enumerate(signers):
        trust = add_trust(trust, f"f{i}", s.certificate_der)
    assert len(trust) == 3


def test_json_trust_list_with_and_without_kid(signers):
    doc = {"certificates": [
        {"certificate": b64(signers[0].certificate_der)},
        {"kid": b64(b"explicit"), "rawData": b64(signers[1].certificate_der)},
    ]}
    trust = add_trust(None, "list.json", json.dumps(doc).encode())
    assert len(trust.candidates(signers[0].kid)) == 1
    assert len(trust.candidates(b"explicit")) == 1
    assert trust.candidates(signers[1].kid) == []  # the list's own kid is used


def test_dgc_testdata_case_file(signers):
    case = {"TESTCTX": {"CERTIFICATE": b64(signers[2].certificate_der)}, "PREFIX": "HC1:..."}
    trust = add_trust(None, "case.json", json.dumps(case).encode())
    assert trust.candidates(signers[2].kid)[0].allowed_kinds == frozenset({"vaccination", "recovery"})


@pytest.mark.parametrize("raw,message", [
    (b"", "not a usable X.509"),
    (b"\x30\x03\x02\x01\x01", "not a usable X.509"),
    (b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "PEM"),
    (b"{not json", "not valid JSON"),
    (b"[1, 2]", "not a usable X.509"),
    (b'{"something": 1}', "'certificates' list"),
    (b'{"certificates": [{"certificate": "@@@"}]}', "not valid base64"),
    (b'{"certificates": [{"certificate": 5}]}', "base64 string"),
    (b'{"certificates": ["x"]}', "not an object"),
    (b'{"certificates": []}', "holds no certificate"),
    (b'{"certificates": [{"certificate": "AAAA"}]}', "not a usable X.509"),
])
def test_unusable_files_raise_a_clear_key_file_error(raw, message, tmp_path):
    with pytest.raises(KeyFileError, match=message) as info:
        add_trust(None, tmp_path / "bad", raw)
    assert isinstance(info.value, QrgateError)
    assert "bad" in str(info.value)  # the message names the file


def test_a_missing_file_is_a_key_file_error(tmp_path):
    with pytest.raises(KeyFileError, match="cannot read"):
        TrustStore().add_trust_file(tmp_path / "absent.pem")


@pytest.mark.parametrize("kinds,payload_kinds,allowed", [
    (None, {"test"}, True),
    (None, {"vaccination"}, True),
    (["test"], {"test"}, True),
    (["test"], {"vaccination"}, False),
    (["vaccination", "recovery"], {"recovery"}, True),
    (["vaccination", "recovery"], {"test"}, False),
    (["vaccination"], {"vaccination", "test"}, False),
    (["vaccination"], set(), False),
])
def test_extended_key_usage_rules(kinds, payload_kinds, allowed):
    cert = SignerCertificate.from_der(make_test_signer(NOW - DAY, NOW + DAY, kinds=kinds).certificate_der)
    assert cert.allows(payload_kinds) is allowed


def test_validity_period():
    cert = SignerCertificate.from_der(make_test_signer(NOW - DAY, NOW + DAY).certificate_der)
    assert cert.valid_at(NOW) and not cert.valid_at(NOW + 2 * DAY) and not cert.valid_at(NOW - 2 * DAY)


def _corpus_certificate(name: str) -> bytes:
    path = CORPUS / "common" / "2DCode" / "raw" / name
    require_corpus(path)
    return base64.b64decode(json.loads(path.read_text())["TESTCTX"]["CERTIFICATE"])


def test_the_dot_zero_oid_variant_is_understood():
    # CO6 is a test-only DSC written with the 1.3.6.1.4.1.0.1847.2021.1.x OIDs
    cert = SignerCertificate.from_der(_corpus_certificate("CO6.json"))
    assert cert.allowed_kinds == frozenset({"test"})


def test_an_unreadable_eku_allows_no_kind():
    signer = make_test_signer(NOW - DAY, NOW + DAY, kinds=["test"])
    usage = x509.ExtendedKeyUsage([x509.ObjectIdentifier(EKU_OID["test"])]).public_bytes()
    assert signer.certificate_der.count(usage) == 1
    garbled = signer.certificate_der.replace(usage, usage[:2] + b"\x04" + usage[3:])  # the OID made a byte string
    assert SignerCertificate.from_der(garbled).allowed_kinds == frozenset()  # fail closed
    assert SignerCertificate.from_der(signer.certificate_der).allowed_kinds == frozenset({"test"})


def _with_usages(*oids: x509.ObjectIdentifier) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "synthetic DSC")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(7).not_valid_before(dt.datetime(2025, 1, 1)).not_valid_after(dt.datetime(2035, 1, 1))
            .add_extension(x509.ExtendedKeyUsage(list(oids)), critical=False).sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.DER)


def test_other_eku_oids_are_read_and_only_the_dcc_ones_restrict():
    custom = x509.ObjectIdentifier("1.3.6.1.4.1.99999.1")
    recovery = x509.ObjectIdentifier(EKU_OID["recovery"])
    assert SignerCertificate.from_der(_with_usages(custom, ExtendedKeyUsageOID.CODE_SIGNING)).allowed_kinds \
        == frozenset(KINDS)
    assert SignerCertificate.from_der(_with_usages(custom, recovery)).allowed_kinds == frozenset({"recovery"})


def test_an_empty_eku_list_allows_every_kind():
    # CO15's EKU extension is an empty list, which cryptography refuses to parse
    cert = SignerCertificate.from_der(_corpus_certificate("CO15.json"))
    assert cert.allowed_kinds == frozenset(KINDS)
