"""Rotating codes: a pass shown as a QR code that changes every STEP_SECONDS, against screenshots.

    "QG2:" + base45(signed pass, 98 bytes ‖ code u32)

code is an RFC 6238 TOTP (HMAC-SHA-256, 8 digits, T0 = 0, step STEP_SECONDS) under a
per-pass secret: HMAC-SHA-256(site rotation key, "qrgate-rotating-v1" ‖ key id ‖ pass id).
The phone holds only its pass and its per-pass secret; the gate holds the site rotation
key (rotation.json), derives the per-pass secret and checks offline. A code is accepted
within ±1 step and only once at the site: a gate remembers, per pass, the newest step it accepted
(and reads the steps the site's other gates used from its ledger, qrgate.site) and
refuses that step and any older one ("code_reused"). Threat model: docs/passes.md.
"""

from __future__ import annotations

from ..model import Verification
from . import native
from .base45 import Base45Error, b45decode, b45encode
from .rotation import (CODE as _CODE, ROTATION_FILE_NAME, STEP_SECONDS, RotationState, load_rotation_key,
                       new_rotation_file, pass_secret, step_of, totp)
from .trust import TrustStore

__all__ = ["PREFIX", "ROTATION_FILE_NAME", "STEP_SECONDS", "RotationState", "load_rotation_key",
           "new_rotation_file", "pass_secret", "present", "step_of", "totp", "verify"]

PREFIX = "QG2:"


def present(static_payload: str, secret: bytes, now: float) -> str:
    """The rotating text to show at `now`, for a pass issued with rotating=True."""
    raw = b45decode(static_payload[len(native.PREFIX):])
    return PREFIX + b45encode(raw + _CODE.pack(totp(secret, step_of(now))))


def verify(payload: str, trust: TrustStore, now: float) -> Verification:
    checks: dict[str, bool | None] = dict.fromkeys(native.CHECKS)
    checks["prefix"] = True
    try:
        raw = b45decode(payload[len(PREFIX):])
    except Base45Error:
        checks["base45"] = False
        return Verification(native.FORMAT, False, "bad_encoding", checks)
    checks["base45"] = True
    if len(raw) != native.PASS_BYTES + _CODE.size:
        checks["length"] = False
        return Verification(native.FORMAT, False, "bad_length", checks)
    (code,) = _CODE.unpack(raw[native.PASS_BYTES:])

    def presentation(credential) -> str | None:
        if trust.rotation is None:
            return "no_rotation_key"
        return trust.rotation.check(credential.key_id, credential.pass_id, code, now)

    return native.verify_bytes(raw[:native.PASS_BYTES], trust, now, checks, rotating=True,
                               presentation=presentation)
