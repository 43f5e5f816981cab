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
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtensionOID

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


def _allowed_kinds(cert: x509.Certificate) -> frozenset[str]:
    try:
        eku = cert.extensions.get_extension_for_oid(ExtensionOID.EXTENDED_KEY_USAGE).value
        oids = [oid.dotted_string for oid in eku]
    except x509.ExtensionNotFound:
        oids = []
    except ValueError:
        # cryptography refuses some malformed extensions, e.g. an empty EKU list (case CO15)
        oids = _eku_oids_from_der(cert.tbs_certificate_bytes)
        if oids is None:
            log.warning("certificate %s: unreadable extended key usage; it is trusted for no type",
                        cert.subject.rfc4514_string())
            return frozenset()
    kinds = {_KIND_BY_EKU[oid] for oid in oids if oid in _KIND_BY_EKU}
    return frozenset(kinds) if kinds else frozenset(KINDS)


_EKU_EXTENSION_ID = b"\x06\x03\x55\x1d\x25"  # DER of OID 2.5.29.37


def _der_item(buf: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start of content, end of content) of the DER item at pos."""
    tag, first = buf[pos], buf[pos + 1]
    if first < 0x80:
        return tag, pos + 2, pos + 2 + first
    n = first & 0x7F
    length = int.from_bytes(buf[pos + 2:pos + 2 + n], "big")
    return tag, pos + 2 + n, pos + 2 + n + length


def _oid_text(body: bytes) -> str:
    arcs, value = [], 0
    for byte in body:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    first = min(arcs[0] // 40, 2)
    return ".".join(str(a) for a in [first, arcs[0] - 40 * first, *arcs[1:]])


def _eku_oids_from_der(tbs: bytes) -> list[str] | None:
    """The EKU OIDs read straight from the DER, or None if they cannot be read."""
    at = tbs.find(_EKU_EXTENSION_ID)
    if at < 0:
        return []
    try:
        pos = at + len(_EKU_EXTENSION_ID)
        tag, start, end = _der_item(tbs, pos)
        if tag == 0x01:  # the optional "critical" flag
            tag, start, end = _der_item(tbs, end)
        if tag != 0x04:
            return None
        tag, pos, seq_end = _der_item(tbs, start)
        if tag != 0x30:
            return None
        oids = []
        while pos < seq_end:
            tag, start, end = _der_item(tbs, pos)
            if tag != 0x06:
                return None
            oids.append(_oid_text(tbs[start:end]))
            pos = end
        return oids
    except IndexError:
        return None


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
    except (ValueError, TypeError) as exc:
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
