"""COSE_Sign1 (RFC 9052): parse the structure, and check its signature with a public key.

Only the two algorithms the EU health certificate allows are accepted: ES256 (ECDSA P-256
with SHA-256, signature as raw r||s) and PS256 (RSASSA-PSS, SHA-256, salt = hash length).
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Mapping
from typing import Any

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from ...errors import CredentialError

__all__ = ["CoseError", "CoseSign1", "ALG_ES256", "ALG_PS256", "parse_sign1", "sig_structure",
           "signature_ok"]

ALG_ES256 = -7
ALG_PS256 = -37
HEADER_ALG = 1
HEADER_KID = 4
TAG_COSE_SIGN1 = 18
TAG_CWT = 61  # some issuers wrap the COSE_Sign1 tag in the CWT tag as well (case CO28)


class CoseError(CredentialError):
    """The bytes are not a well-formed COSE_Sign1 message."""


@dataclass(frozen=True)
class CoseSign1:
    protected_bytes: bytes  # kept as sent: the signature covers these exact bytes
    protected: Mapping
    unprotected: Mapping
    payload: bytes
    signature: bytes

    @property
    def alg(self) -> Any:
        return self.protected.get(HEADER_ALG, self.unprotected.get(HEADER_ALG))

    @property
    def kid(self) -> bytes | None:
        """The key id: the protected header's wins, the unprotected one is only a fallback."""
        kid = self.protected.get(HEADER_KID)
        if kid is None:
            kid = self.unprotected.get(HEADER_KID)
        return kid if isinstance(kid, bytes) else None


def parse_sign1(data: bytes) -> CoseSign1:
    try:
        item = cbor2.loads(data)
    except Exception as exc:  # cbor2 raises several types for malformed input
        raise CoseError(f"not CBOR: {exc}") from None
    if isinstance(item, cbor2.CBORTag) and item.tag == TAG_CWT:
        item = item.value
    if isinstance(item, cbor2.CBORTag) and item.tag == TAG_COSE_SIGN1:
        item = item.value
    if isinstance(item, cbor2.CBORTag):
        raise CoseError(f"unexpected CBOR tag {item.tag}")
    if not (isinstance(item, (list, tuple)) and len(item) == 4):  # cbor2 gives tuples under tags
        raise CoseError("COSE_Sign1 must be an array of four items")
    protected_bytes, unprotected, payload, signature = item
    if not (isinstance(protected_bytes, bytes) and isinstance(unprotected, Mapping)
            and isinstance(payload, bytes) and isinstance(signature, bytes)):
        raise CoseError("COSE_Sign1 items have the wrong types")
    if protected_bytes:
        try:
            protected = cbor2.loads(protected_bytes)
        except Exception as exc:
            raise CoseError(f"protected header is not CBOR: {exc}") from None
        if not isinstance(protected, Mapping):
            raise CoseError("protected header is not a map")
    else:
        protected = {}
    return CoseSign1(protected_bytes, protected, unprotected, payload, signature)


def sig_structure(protected_bytes: bytes, payload: bytes) -> bytes:
    """The bytes that are actually signed (Sig_structure for COSE_Sign1, no external data)."""
    return cbor2.dumps(["Signature1", protected_bytes, b"", payload])


def signature_ok(message: CoseSign1, public_key: Any) -> bool:
    """True only if the algorithm suits the key type and the signature is right."""
    signed = sig_structure(message.protected_bytes, message.payload)
    # An unprotected alg is accepted (case CO20): each key type allows exactly one algorithm
    # here, so an attacker who rewrites it cannot make a different verification succeed.
    alg = message.alg
    try:
        if alg == ALG_ES256 and isinstance(public_key, ec.EllipticCurvePublicKey):
            if public_key.curve.name != "secp256r1" or len(message.signature) != 64:
                return False
            r = int.from_bytes(message.signature[:32], "big")
            s = int.from_bytes(message.signature[32:], "big")
            public_key.verify(encode_dss_signature(r, s), signed, ec.ECDSA(hashes.SHA256()))
            return True
        if alg == ALG_PS256 and isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(
                message.signature, signed,
                padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH),
                hashes.SHA256())
            return True
    except (InvalidSignature, ValueError):
        return False
    return False
