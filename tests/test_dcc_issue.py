"""The test-certificate maker: what it writes must be what the spec and the verifier read."""

from __future__ import annotations

import zlib

import cbor2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from qrgate.credentials.base45 import b45decode
from qrgate.credentials.dcc.cose import parse_sign1
from qrgate.credentials.dcc.issue import EKU_OID, issue_dcc, make_test_signer, sample_payload

NOW = 1_767_225_600.0
DAY = 86400.0


@pytest.mark.parametrize("algorithm,alg,key_type", [("ES256", -7, ec.EllipticCurvePublicKey),
                                                    ("PS256", -37, rsa.RSAPublicKey)])
def test_signer_certificate(algorithm, alg, key_type):
    signer = make_test_signer(NOW - DAY, NOW + DAY, kinds=["vaccination"], algorithm=algorithm)
    cert = x509.load_der_x509_certificate(signer.certificate_der)
    assert signer.alg == alg
    assert isinstance(cert.public_key(), key_type)
    assert cert.not_valid_before_utc.timestamp() == NOW - DAY
    assert cert.not_valid_after_utc.timestamp() == NOW + DAY
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert [o.dotted_string for o in eku] == [EKU_OID["vaccination"]]
    assert x509.load_pem_x509_certificate(signer.certificate_pem) == cert


def test_signer_without_kinds_has_no_eku():
    cert = x509.load_der_x509_certificate(make_test_signer(NOW - DAY, NOW + DAY).certificate_der)
    with pytest.raises(x509.ExtensionNotFound):
        cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)


def test_unknown_algorithm_is_refused():
    with pytest.raises(ValueError, match="ES256 or PS256"):
        make_test_signer(NOW - DAY, NOW + DAY, algorithm="EdDSA")


def test_issued_text_has_the_hcert_layout():
    signer = make_test_signer(NOW - DAY, NOW + DAY)
    doc = sample_payload("recovery")
    text = issue_dcc(signer, doc, NOW - 10, NOW + 100, issuer="VN")
    assert text.startswith("HC1:")
    message = parse_sign1(zlib.decompress(b45decode(text[4:])))
    assert (message.alg, message.kid) == (-7, signer.kid)
    assert 4 in message.protected  # kid is protected by default
    assert len(message.signature) == 64  # raw r||s, not DER
    claims = cbor2.loads(message.payload)
    assert claims == {1: "VN", 6: int(NOW - 10), 4: int(NOW + 100), -260: {1: doc}}


def test_sample_payload_overrides_entry_fields_only():
    doc = sample_payload("test", tr="260373001")
    assert doc["t"][0]["tr"] == "260373001"
    assert sample_payload("test")["t"][0]["tr"] == "260415000"  # templates are not changed
    assert doc["nam"]["fnt"] == "TESTER"
