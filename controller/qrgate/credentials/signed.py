"""JSON documents signed by a pass key (revocation lists, trust updates): one way to sign and check.

The signature is Ed25519 over the canonical JSON (sorted keys, no spaces) of the signed
fields, base64 in `signature`; `kid` names the signing key.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ..errors import KeyFileError


def canonical(doc: dict, fields: tuple[str, ...]) -> bytes:
    return json.dumps({k: doc[k] for k in fields}, sort_keys=True, separators=(",", ":")).encode()


def sign(private_key: Ed25519PrivateKey, doc: dict, fields: tuple[str, ...]) -> dict:
    doc["signature"] = base64.b64encode(private_key.sign(canonical(doc, fields))).decode()
    return doc


def check_signature(doc: dict, fields: tuple[str, ...], pass_keys: Mapping[str, Ed25519PublicKey],
                    source: str | Path, what: str) -> None:
    """Raise KeyFileError unless `doc` is signed by one of `pass_keys` (KeyError, TypeError or
    ValueError when the document lacks its fields, for the caller to word)."""
    signature = base64.b64decode(doc["signature"], validate=True)
    message = canonical(doc, fields)
    key = pass_keys.get(doc["kid"])
    if key is None:
        raise KeyFileError(f"{source}: signed by key {doc['kid']!r}, which this gate does not trust")
    try:
        key.verify(signature, message)
    except InvalidSignature:
        raise KeyFileError(f"{source}: signature does not match; the {what} was altered") from None
