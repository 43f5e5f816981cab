"""Make test health certificates: a throwaway signer, and HC1 texts it signs.

For the simulator and the tests only. A real DCC is issued by a health authority;
nothing here is trusted by a gate unless its certificate is put in the trust store.
Use made-up standardised names such as "TESTER<ALPHA".
"""

from __future__ import annotations

import datetime as _dt
import zlib
from dataclasses import dataclass
from typing import Any, Iterable

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

from ..base45 import b45encode
from .cose import ALG_ES256, ALG_PS256, HEADER_ALG, HEADER_KID, TAG_COSE_SIGN1, sig_structure
from .trust import kid_of

__all__ = ["TestSigner", "make_test_signer", "sign_cose", "encode_hc1", "cwt_claims", "issue_dcc",
           "sample_payload", "EKU_OID"]

EKU_OID = {
    "test": "1.3.6.1.4.1.1847.2021.1.1",
    "vaccination": "1.3.6.1.4.1.1847.2021.1.2",
    "recovery": "1.3.6.1.4.1.1847.2021.1.3",
}


_TEST_NAME = {"fn": "Tester", "fnt": "TESTER", "gn": "Alpha", "gnt": "ALPHA"}
_SAMPLE_ENTRIES = {
    "vaccination": ("v", {"tg": "840539006", "vp": "1119349007", "mp": "EU/1/20/1528",
                          "ma": "ORG-100030215", "dn": 2, "sd": 2, "dt": "2025-10-01", "co": "VN",
                          "is": "Test Ministry", "ci": "URN:UVCI:01:VN:QRGATETEST0001#A"}),
    "recovery": ("r", {"tg": "840539006", "fr": "2025-12-01", "co": "VN", "is": "Test Ministry",
                       "df": "2025-12-12", "du": "2026-05-30", "ci": "URN:UVCI:01:VN:QRGATETEST0002#B"}),
    "test": ("t", {"tg": "840539006", "tt": "LP6464-4", "nm": "PCR", "sc": "2025-12-31T10:00:00Z",
                   "tr": "260415000", "tc": "Test Centre", "co": "VN", "is": "Test Ministry",
                   "ci": "URN:UVCI:01:VN:QRGATETEST0003#C"}),
}


def sample_payload(kind: str, name: dict | None = None, dob: str = "1990-01-01",
                   ver: str = "1.3.0", **entry_changes: Any) -> dict:
    """A schema-valid made-up DCC payload of one kind; entry_changes override entry fields."""
    key, entry = _SAMPLE_ENTRIES[kind]
    return {"ver": ver, "nam": dict(name or _TEST_NAME), "dob": dob,
            key: [{**entry, **entry_changes}]}


@dataclass(frozen=True)
class TestSigner:
    __test__ = False  # not a pytest test class

    private_key: Any
    certificate_der: bytes
    alg: int

    @property
    def kid(self) -> bytes:
        return kid_of(self.certificate_der)

    @property
    def certificate_pem(self) -> bytes:
        cert = x509.load_der_x509_certificate(self.certificate_der)
        return cert.public_bytes(serialization.Encoding.PEM)


def make_test_signer(valid_from: float, valid_until: float, kinds: Iterable[str] | None = None,
                     algorithm: str = "ES256", country: str = "VN") -> TestSigner:
    """A document signer with a self-signed certificate.

    kinds: the certificate types named in its extended key usage; None = no DCC EKU,
    which allows every type.
    """
    if algorithm == "ES256":
        key: Any = ec.generate_private_key(ec.SECP256R1())
        alg = ALG_ES256
    elif algorithm == "PS256":
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        alg = ALG_PS256
    else:
        raise ValueError(f"algorithm must be ES256 or PS256, not {algorithm!r}")
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, country),
                      x509.NameAttribute(NameOID.COMMON_NAME, "qrgate test DSC")])
    builder = (x509.CertificateBuilder()
               .subject_name(name).issuer_name(name)
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(_dt.datetime.fromtimestamp(valid_from, _dt.timezone.utc))
               .not_valid_after(_dt.datetime.fromtimestamp(valid_until, _dt.timezone.utc)))
    if kinds is not None:
        oids = [x509.ObjectIdentifier(EKU_OID[k]) for k in kinds]
        builder = builder.add_extension(x509.ExtendedKeyUsage(oids), critical=False)
    cert = builder.sign(key, hashes.SHA256())
    return TestSigner(key, cert.public_bytes(serialization.Encoding.DER), alg)


def _sign(signer: TestSigner, data: bytes) -> bytes:
    if signer.alg == ALG_ES256:
        r, s = decode_dss_signature(signer.private_key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return signer.private_key.sign(
        data, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH),
        hashes.SHA256())


def sign_cose(signer: TestSigner, payload: bytes, kid: bytes | None = None,
              kid_in: str = "protected") -> bytes:
    """A tagged COSE_Sign1 over payload; kid_in is "protected", "unprotected" or "none"."""
    kid = signer.kid if kid is None else kid
    protected: dict = {HEADER_ALG: signer.alg}
    unprotected: dict = {}
    if kid_in == "protected":
        protected[HEADER_KID] = kid
    elif kid_in == "unprotected":
        unprotected[HEADER_KID] = kid
    protected_bytes = cbor2.dumps(protected)
    signature = _sign(signer, sig_structure(protected_bytes, payload))
    return cbor2.dumps(cbor2.CBORTag(TAG_COSE_SIGN1, [protected_bytes, unprotected, payload, signature]))


def encode_hc1(cose: bytes) -> str:
    return "HC1:" + b45encode(zlib.compress(cose, 9))


def cwt_claims(payload_dict: dict, iat: float, exp: float, issuer: str = "VN") -> bytes:
    return cbor2.dumps({1: issuer, 6: int(iat), 4: int(exp), -260: {1: payload_dict}})


def issue_dcc(signer: TestSigner, payload_dict: dict, iat: float, exp: float, issuer: str = "VN") -> str:
    """The HC1 text of a DCC with this payload, signed by signer."""
    return encode_hc1(sign_cose(signer, cwt_claims(payload_dict, iat, exp, issuer)))
