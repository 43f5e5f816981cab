"""The qrgate pass: a fixed binary record signed with Ed25519, as base45 behind "QG1:".

Layout of the signed body (big-endian, 32 bytes):
    version u8 | kind u8 | key id 4 | pass id 6 | holder pseudonym 8 |
    valid from u32 | valid until u32 | site u16 | zones u8 | entries per day u8
followed by the 64-byte signature over "QG1:" + body: 148 characters, a version 6 QR
code at error correction M (room for 154). Every field has one fixed size and
the base45 decoder is strict, so no two texts carry the same pass: any altered
character either fails to decode or changes the signed bytes.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ..model import Credential, Verification
from .base45 import Base45Error, b45decode, b45encode
from .keys import key_id
from .trust import TrustStore
from .validity import window_reason

PREFIX = "QG1:"
FORMAT = "qrgate-pass"
VERSION = 1
_BODY = struct.Struct(">BB4s6s8sIIHBB")
SIGNATURE_BYTES = 64
PASS_BYTES = _BODY.size + SIGNATURE_BYTES
KINDS = ("visitor", "staff", "contractor", "health_declaration")
CHECKS = ("prefix", "base45", "length", "key", "signature", "validity")


@dataclass(frozen=True)
class PassFields:
    kind: str
    holder: bytes  # 8-byte keyed pseudonym of the holder
    valid_from: int
    valid_until: int
    pass_id: bytes = b""
    site: int = 0  # 0: any site
    zones: int = 0  # bit mask of up to 8 zones; 0: every zone
    entries_per_day: int = 0  # 0: no limit


def holder_pseudonym(issuer_secret: bytes, holder_text: str) -> bytes:
    return hmac.new(issuer_secret, holder_text.encode("utf-8"), hashlib.sha256).digest()[:8]


def issue(private_key: Ed25519PrivateKey, fields: PassFields) -> str:
    """The exact text to put in the QR code."""
    if fields.kind not in KINDS:
        raise ValueError(f"pass kind must be one of {KINDS}")
    if not 0 <= fields.valid_from <= fields.valid_until < 2**32:
        raise ValueError("validity window must satisfy 0 <= valid_from <= valid_until")
    pass_id = fields.pass_id or os.urandom(6)
    body = _BODY.pack(VERSION, KINDS.index(fields.kind), bytes.fromhex(key_id(private_key.public_key())),
                      pass_id, fields.holder, fields.valid_from, fields.valid_until,
                      fields.site, fields.zones, fields.entries_per_day)
    signature = private_key.sign(PREFIX.encode() + body)
    return PREFIX + b45encode(body + signature)


def pass_id_of(payload: str) -> str:
    """The pass id of a pass this module issued (for receipts; not a verification)."""
    raw = b45decode(payload[len(PREFIX):])
    return raw[6:12].hex()


def verify(payload: str, trust: TrustStore, now: float) -> Verification:
    checks: dict[str, bool | None] = dict.fromkeys(CHECKS)

    def fail(step: str, reason: str) -> Verification:
        checks[step] = False
        return Verification(FORMAT, False, reason, checks)

    if not payload.startswith(PREFIX):
        return fail("prefix", "bad_prefix")
    checks["prefix"] = True
    try:
        raw = b45decode(payload[len(PREFIX):])
    except Base45Error:
        return fail("base45", "bad_encoding")
    checks["base45"] = True
    if len(raw) != PASS_BYTES:
        return fail("length", "bad_length")
    body, signature = raw[:_BODY.size], raw[_BODY.size:]
    (version, kind, kid, pass_id, holder, valid_from, valid_until,
     site, zones, entries_per_day) = _BODY.unpack(body)
    if version != VERSION or kind >= len(KINDS):
        return fail("length", "bad_version")
    checks["length"] = True
    key = trust.pass_keys.get(kid.hex())
    if key is None:
        return fail("key", "unknown_key")
    checks["key"] = True
    try:
        key.verify(signature, PREFIX.encode() + body)
    except InvalidSignature:
        return fail("signature", "bad_signature")
    checks["signature"] = True
    credential = Credential(
        format=FORMAT, holder=holder.hex(), kind=KINDS[kind], pass_id=pass_id.hex(), key_id=kid.hex(),
        valid_from=float(valid_from), valid_until=float(valid_until),
        attributes={"site": site, "zones": zones, "entries_per_day": entries_per_day})
    reason = window_reason(credential.valid_from, credential.valid_until, now)
    checks["validity"] = reason is None
    return Verification(FORMAT, reason is None, reason or "valid", checks, credential)
