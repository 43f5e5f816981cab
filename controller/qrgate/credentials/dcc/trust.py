"""Document signer certificates (DSCs) that a gate trusts for EU health certificates.

Certificates are kept by key id: the first 8 bytes of the SHA-256 of the DER certificate,
unless a trust list names the key id itself. Several certificates may share a key id;
the verifier tries every one.

Accepted trust files (see docs/dcc.md):
  * PEM: one or more "BEGIN CERTIFICATE" blocks;
  * DER: a single X.509 certificate;
  * JSON trust list: {"certificates": [{"kid": b64 (optional), "certificate": b64 DER}, ...]}
    ("rawData" is accepted for "certificate", as national trust-list exports name it);
  * a dgc-testdata case file: its TESTCTX.CERTIFICATE is trusted.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.serialization import Encoding

from ...errors import KeyFileError

log = logging.getLogger(__name__)

__all__ = ["DccTrust", "SignerCertificate", "add_trust", "kid_of", "KINDS"]

KINDS = ("test", "vaccination", "recovery")

# Extended key usage OIDs that restrict a DSC to certificate types.
_KIND_BY_EKU = {
    "1.3.6.1.4.1.1847.2021.1.1": "test",
    "1.3.6.1.4.1.1847.2021.1.2": "vaccination",
    "1.3.6.1.4.1.1847.2021.1.3": "recovery",
    # the same with an extra ".0" arc, as written in some national test data
    "1.3.6.1.4.1.0.1847.2021.1.1": "test",
    "1.3.6.1.4.1.0.1847.2021.1.2": "vaccination",
    "1.3.6.1.4.1.0.1847.2021.1.3": "recovery",
}


def kid_of(der: bytes) -> bytes:
    return hashlib.sha256(der).digest()[:8]


@dataclass(frozen=True)
class SignerCertificate:
    kid: bytes
    public_key: Any
    not_before: float
    not_after: float
    allowed_kinds: frozenset[str]  # every kind when the certificate names none of the DCC EKUs
    subject: str

    @classmethod
    def from_der(cls, der: bytes, kid: bytes | None = None) -> "SignerCertificate":
        cert = x509.load_der_x509_certificate(der)
        return cls(
            kid=kid if kid is not None else kid_of(der),
            public_key=cert.public_key(),
            not_before=cert.not_valid_before_utc.timestamp(),
            not_after=cert.not_valid_after_utc.timestamp(),
            allowed_kinds=_allowed_kinds(cert),
            subject=cert.subject.rfc4514_string(),
        )

    def valid_at(self, when: float) -> bool:
        return self.not_before <= when <= self.not_after

    def allows(self, kinds: set[str]) -> bool:
        return bool(kinds) and kinds <= self.allowed_kinds


# An empty EKU list, as it stands in the DER: the extension's OID 2.5.29.37, the critical flag
# or not, and a value holding an empty SEQUENCE. RFC 5280 wants at least one purpose, so
# cryptography refuses to parse it; the EU test data (case CO15) reads it as naming no type.
_EMPTY_EKU = (bytes.fromhex("0603551d25" "04023000"), bytes.fromhex("0603551d25" "0101ff" "04023000"))


def _allowed_kinds(cert: x509.Certificate) -> frozenset[str]:
    """The certificate types the DSC may sign, from its extended key usage (custom OIDs included)."""
    try:
        usages = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        usages = []
    except ValueError:  # cryptography refuses an extension it cannot parse
        if not any(empty in cert.tbs_certificate_bytes for empty in _EMPTY_EKU):
            log.warning("certificate %s: unreadable extensions; it is trusted for no type",
                        cert.subject.rfc4514_string())
            return frozenset()  # fail closed
        usages = []
    kinds = {_KIND_BY_EKU[oid.dotted_string] for oid in usages if oid.dotted_string in _KIND_BY_EKU}
    return frozenset(kinds) if kinds else frozenset(KINDS)


@dataclass
class DccTrust:
    by_kid: dict[bytes, list[SignerCertificate]] = field(default_factory=dict)

    def add(self, cert: SignerCertificate) -> None:
        same_kid = self.by_kid.setdefault(cert.kid, [])
        if cert not in same_kid:
            same_kid.append(cert)

    def candidates(self, kid: bytes | None) -> list[SignerCertificate]:
        return list(self.by_kid.get(kid, ())) if kid is not None else []

    def __len__(self) -> int:
        return sum(len(certs) for certs in self.by_kid.values())


def add_trust(existing: DccTrust | None, path: str | Path, raw: bytes) -> DccTrust:
    """Add every certificate in one trust file; raises KeyFileError if the file is unusable."""
    trust = existing if existing is not None else DccTrust()
    before = len(trust)
    stripped = raw.lstrip()
    if stripped.startswith(b"-----BEGIN"):
        _add_pem(trust, path, raw)
    elif stripped.startswith(b"{"):
        _add_json(trust, path, raw)
    else:
        _add_der(trust, path, raw, None)
    if len(trust) == before:
        raise KeyFileError(f"trust file {path} holds no certificate")
    log.info("trust file %s: %s health-certificate signer(s) loaded", path, len(trust) - before)
    return trust


def _add_der(trust: DccTrust, path: str | Path, der: bytes, kid: bytes | None) -> None:
    try:
        trust.add(SignerCertificate.from_der(der, kid))
    except (ValueError, TypeError, x509.InvalidVersion, x509.DuplicateExtension, UnsupportedAlgorithm) as exc:
        # InvalidVersion: not X.509 v1-v3; DuplicateExtension: an extension listed twice;
        # UnsupportedAlgorithm: a key this gate cannot check (an unknown EC curve)
        raise KeyFileError(f"trust file {path}: not a usable X.509 certificate ({exc})") from None


def _add_pem(trust: DccTrust, path: str | Path, raw: bytes) -> None:
    try:
        certs = x509.load_pem_x509_certificates(raw)
    except ValueError as exc:
        raise KeyFileError(f"trust file {path}: PEM holds no readable certificate ({exc})") from None
    for cert in certs:
        _add_der(trust, path, cert.public_bytes(Encoding.DER), None)


def _b64(value: Any, path: str | Path, what: str) -> bytes:
    if not isinstance(value, str):
        raise KeyFileError(f"trust file {path}: {what} must be a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise KeyFileError(f"trust file {path}: {what} is not valid base64") from None


def _add_json(trust: DccTrust, path: str | Path, raw: bytes) -> None:
    try:
        doc = json.loads(raw)
    except ValueError as exc:
        raise KeyFileError(f"trust file {path} is not valid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise KeyFileError(f"trust file {path}: expected a JSON object")
    if isinstance(doc.get("TESTCTX"), dict) and "CERTIFICATE" in doc["TESTCTX"]:
        _add_der(trust, path, _b64(doc["TESTCTX"]["CERTIFICATE"], path, "TESTCTX.CERTIFICATE"), None)
        return
    entries = doc.get("certificates")
    if not isinstance(entries, list):
        raise KeyFileError(f"trust file {path}: expected a 'certificates' list "
                           "(or a dgc-testdata file with TESTCTX.CERTIFICATE)")
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise KeyFileError(f"trust file {path}: certificates[{i}] is not an object")
        der_text = entry.get("certificate", entry.get("rawData"))
        der = _b64(der_text, path, f"certificates[{i}].certificate")
        kid = _b64(entry["kid"], path, f"certificates[{i}].kid") if entry.get("kid") else None
        _add_der(trust, path, der, kid)
