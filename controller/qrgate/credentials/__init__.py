"""Credential formats: the payload's prefix picks the module that parses and verifies it.

Each format module has verify(payload, trust, now) -> Verification, and is imported only
when a payload of its kind arrives. Vietnam's identity codes (the CCCD card, PC-Covid) have
no prefix: when no prefix matches, their shape (`looks_like`) routes them, and anything
else stays `unknown_format`.
"""

from __future__ import annotations

import importlib

from ..model import Verification
from .trust import TrustStore

__all__ = ["FORMATS", "TrustStore", "verify", "format_of", "personal_fields"]

# prefix -> (format name, module)
FORMATS = {
    "QG1:": ("qrgate-pass", "qrgate.credentials.native"),
    "QG2:": ("qrgate-pass", "qrgate.credentials.rotating"),  # the same pass with a code that changes
    "HC1:": ("dcc", "qrgate.credentials.dcc.verify"),
}

# unprefixed formats, tried in this order after every prefix failed: (format name, module)
SHAPED = (
    ("pccovid", "qrgate.credentials.pccovid"),  # first: its full CCCD number also starts the CCCD shape
    ("cccd", "qrgate.credentials.cccd"),
)

MAX_PAYLOAD_CHARS = 4296  # the most a QR code can hold; anything longer did not come from one


def format_of(payload: str) -> str | None:
    for prefix, (name, _module) in FORMATS.items():
        if payload.startswith(prefix):
            return name
    for name, module_name in SHAPED:
        if importlib.import_module(module_name).looks_like(payload):
            return name
    return None


def verify(payload: str, trust: TrustStore, now: float) -> Verification:
    """Check a scanned text completely; never raises for bad input, says why in `reason`."""
    if not isinstance(payload, str) or not payload:
        return Verification("unknown", False, "empty", {"prefix": False})
    if len(payload) > MAX_PAYLOAD_CHARS:
        return Verification("unknown", False, "too_long", {"prefix": None})
    for prefix, (_name, module_name) in FORMATS.items():
        if payload.startswith(prefix):
            module = importlib.import_module(module_name)
            return module.verify(payload, trust, now)
    for _name, module_name in SHAPED:
        module = importlib.import_module(module_name)
        if module.looks_like(payload):
            return module.verify(payload, trust, now)
    return Verification("unknown", False, "unknown_format", {"prefix": False})


def personal_fields(payload: str) -> dict | None:
    """Name and birth date of an unsigned identity code that verify() accepted, for sealing to the
    staff terminal's key (qrgate.lists); None for any other format."""
    for name, module_name in SHAPED:
        module = importlib.import_module(module_name)
        if module.looks_like(payload):
            return module.personal_fields(payload)
    return None
