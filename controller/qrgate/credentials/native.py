"""The qrgate pass: a fixed binary record signed with Ed25519, as base45 behind "QG1:".

Layout of the signed body, version 2 (big-endian, 34 bytes):
    version u8 | kind u8 | key id 4 | pass id 6 | holder pseudonym 8 |
    valid from u32 | valid until u32 | site u16 | zones u8 | entries per day u8 |
    gates u8 | flags u8
followed by the 64-byte signature over "QG1:" + body: 151 characters, a version 6 QR
code at error correction M (room for 154). Every field has one fixed size and the
base45 decoder is strict, so no two texts carry the same pass: any altered character
either fails to decode or changes the signed bytes. Unknown flag bits are refused.
docs/passes.md describes every field.
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
from ..pseudonym import SITE_HOLDER_SCOPE
from .base45 import Base45Error, b45decode, b45encode
from .keys import key_id
from .trust import TrustStore
from .validity import window_reason

PREFIX = "QG1:"
FORMAT = "qrgate-pass"
VERSION = 2
_BODY = struct.Struct(">BB4s6s8sIIHBBBB")
BODY_BYTES = _BODY.size
SIGNATURE_BYTES = 64
PASS_BYTES = BODY_BYTES + SIGNATURE_BYTES
PASS_ID_SLICE = slice(6, 12)
KINDS = ("visitor", "staff", "contractor", "health_declaration")
FLAG_ROTATING = 0x01  # the pass is only accepted as a rotating code ("QG2:"), never as printed
#: the holder field is the site's log pseudonym of an identity (a health declaration's day pass,
#: qrgate.server.declaration), so the pass and the holder's ID card log as one person
FLAG_SITE_HOLDER = 0x02
KNOWN_FLAGS = FLAG_ROTATING | FLAG_SITE_HOLDER
CHECKS = ("prefix", "base45", "length", "key", "signature", "revocation", "presentation", "validity")


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
    gates: int = 0  # bit mask of up to 8 gates; 0: every gate
    rotating: bool = False  # shown only as a rotating code
    site_holder: bool = False  # holder is the site's log pseudonym (FLAG_SITE_HOLDER)


def holder_pseudonym(issuer_secret: bytes, holder_text: str) -> bytes:
    return hmac.new(issuer_secret, holder_text.encode("utf-8"), hashlib.sha256).digest()[:8]


def issue(private_key: Ed25519PrivateKey, fields: PassFields) -> str:
    """The exact text to put in the QR code."""
    if fields.kind not in KINDS:
        raise ValueError(f"pass kind must be one of {KINDS}")
    if not 0 <= fields.valid_from <= fields.valid_until < 2**32:
        raise ValueError("validity window must satisfy 0 <= valid_from <= valid_until")
    for name, limit in (("site", 0xFFFF), ("zones", 0xFF), ("entries_per_day", 0xFF), ("gates", 0xFF)):
        if not 0 <= getattr(fields, name) <= limit:
            raise ValueError(f"{name} must be between 0 and {limit}")
    pass_id = fields.pass_id or os.urandom(6)
    if len(pass_id) != 6 or len(fields.holder) != 8:
        raise ValueError("pass id must be 6 bytes and holder pseudonym 8 bytes")
    body = _BODY.pack(VERSION, KINDS.index(fields.kind), bytes.fromhex(key_id(private_key.public_key())),
                      pass_id, fields.holder, fields.valid_from, fields.valid_until,
                      fields.site, fields.zones, fields.entries_per_day, fields.gates,
                      (FLAG_ROTATING if fields.rotating else 0) | (FLAG_SITE_HOLDER if fields.site_holder else 0))
    signature = private_key.sign(PREFIX.encode() + body)
    return PREFIX + b45encode(body + signature)


def pass_id_of(payload: str) -> str:
    """The pass id of a pass this module issued (for receipts; not a verification)."""
    raw = b45decode(payload[len(PREFIX):])
    return raw[PASS_ID_SLICE].hex()


def ids_of(payload: str) -> tuple[str, str]:
    """(key id, pass id) in hex of a pass text ("QG1:" or "QG2:"); not a verification."""
    try:
        raw = b45decode(payload[len(PREFIX):])
    except Base45Error:
        raise ValueError("not a qrgate pass") from None
    if payload[:2] != "QG" or len(raw) < PASS_BYTES:
        raise ValueError("not a qrgate pass")
    return raw[2:6].hex(), raw[PASS_ID_SLICE].hex()


def verify(payload: str, trust: TrustStore, now: float) -> Verification:
    """Verify a printed (static) pass."""
    checks: dict[str, bool | None] = dict.fromkeys(CHECKS)
    if not payload.startswith(PREFIX):
        checks["prefix"] = False
        return Verification(FORMAT, False, "bad_prefix", checks)
    checks["prefix"] = True
    try:
        raw = b45decode(payload[len(PREFIX):])
    except Base45Error:
        checks["base45"] = False
        return Verification(FORMAT, False, "bad_encoding", checks)
    checks["base45"] = True
    return verify_bytes(raw, trust, now, checks, rotating=False)


def verify_bytes(raw: bytes, trust: TrustStore, now: float, checks: dict[str, bool | None], *,
                 rotating: bool, presentation=None) -> Verification:
    """Check the signed pass bytes; `presentation(credential)` checks a rotating code (None: ok)."""

    def fail(step: str, reason: str) -> Verification:
        checks[step] = False
        return Verification(FORMAT, False, reason, checks)

    if len(raw) != PASS_BYTES:
        return fail("length", "bad_length")
    body, signature = raw[:BODY_BYTES], raw[BODY_BYTES:]
    (version, kind, kid, pass_id, holder, valid_from, valid_until,
     site, zones, entries_per_day, gates, flags) = _BODY.unpack(body)
    if version != VERSION or kind >= len(KINDS) or flags & ~KNOWN_FLAGS:
        return fail("length", "bad_version")
    checks["length"] = True
    kid_hex = kid.hex()
    key = None if kid_hex in trust.retired else trust.pass_keys.get(kid_hex)
    if key is None:
        return fail("key", "unknown_key")
    checks["key"] = True
    try:
        key.verify(signature, PREFIX.encode() + body)
    except InvalidSignature:
        return fail("signature", "bad_signature")
    checks["signature"] = True
    if pass_id.hex() in trust.revoked:
        return fail("revocation", "revoked")
    checks["revocation"] = True
    credential = Credential(
        format=FORMAT, holder=holder.hex(), kind=KINDS[kind], pass_id=pass_id.hex(), key_id=kid_hex,
        valid_from=float(valid_from), valid_until=float(valid_until),
        attributes={"site": site, "zones": zones, "entries_per_day": entries_per_day, "gates": gates,
                    "rotating": bool(flags & FLAG_ROTATING)},
        holder_scope=SITE_HOLDER_SCOPE if flags & FLAG_SITE_HOLDER else None)
    reason = window_reason(credential.valid_from, credential.valid_until, now)
    if reason:
        # the window first: an expired rotating code must not use up its step
        checks["validity"] = False
        return Verification(FORMAT, False, reason, checks, credential)
    checks["validity"] = True
    if flags & FLAG_ROTATING and not rotating:
        return fail("presentation", "rotating_required")
    if presentation is not None:
        reason = presentation(credential)
        if reason:
            return fail("presentation", reason)
    checks["presentation"] = True
    return Verification(FORMAT, True, "valid", checks, credential)
