"""Signed trust updates: new or retired pass-signing keys that may travel over MQTT.

A trust file (trust.json) is not signed: a gate takes it only from its own disk. What comes
over the network must prove itself, so a trust update is the key list of a trust file,
versioned and signed (Ed25519) by a key the gate already trusts, over its canonical JSON
without the signature. Versions only go up, as with revocation lists. A key an update
retires stays retired, whatever a later update says, as in trust files.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ..errors import CredentialError, KeyFileError
from .filetypes import TRUST_UPDATE_TYPE
from .keys import key_id
from .signed import check_signature, sign

_SIGNED_FIELDS = ("type", "version", "issued_at", "kid", "keys")


@dataclass(frozen=True)
class KeyEntry:
    kid: str
    public_key: Ed25519PublicKey
    retired: bool


@dataclass(frozen=True)
class TrustUpdate:
    version: int
    issued_at: int
    signer: str
    keys: tuple[KeyEntry, ...]


def sign_update(private_key: Ed25519PrivateKey, version: int, trust_doc: dict, issued_at: int) -> dict:
    """Issuer side: the keys of a trust file (`qrgate-trust` document), signed as update `version`."""
    keys = [{"kid": k["kid"], "alg": k.get("alg", "Ed25519"), "public_key": k["public_key"],
             **({"retired": True} if k.get("retired") else {})} for k in trust_doc.get("keys", [])]
    doc = {"type": TRUST_UPDATE_TYPE, "version": int(version), "issued_at": int(issued_at),
           "kid": key_id(private_key.public_key()), "keys": keys}
    return sign(private_key, doc, _SIGNED_FIELDS)


def verify_update(doc: object, pass_keys: Mapping[str, Ed25519PublicKey],
                  source: str = "trust update") -> TrustUpdate:
    """A TrustUpdate from a document signed by one of `pass_keys` (trusted, unretired); else KeyFileError."""
    try:
        if not isinstance(doc, dict) or doc.get("type") != TRUST_UPDATE_TYPE:
            raise ValueError(f"type is not {TRUST_UPDATE_TYPE}")
        version, issued_at, kid, entries = doc["version"], doc["issued_at"], doc["kid"], doc["keys"]
        if not (isinstance(version, int) and not isinstance(version, bool) and version >= 1
                and isinstance(issued_at, int) and isinstance(kid, str) and isinstance(entries, list)):
            raise ValueError("version, issued_at, kid or keys malformed")
        keys = []
        for entry in entries:
            raw = base64.b64decode(entry["public_key"], validate=True)
            public = Ed25519PublicKey.from_public_bytes(raw)
            if key_id(public) != entry["kid"]:
                raise ValueError(f"key {entry['kid']!r} does not match its public key")
            keys.append(KeyEntry(entry["kid"], public, bool(entry.get("retired"))))
        base64.b64decode(doc["signature"], validate=True)
    except (KeyError, TypeError, ValueError) as exc:
        raise KeyFileError(f"{source}: not a qrgate trust update ({exc})") from None
    check_signature(doc, _SIGNED_FIELDS, pass_keys, source, "update")
    return TrustUpdate(version, issued_at, kid, tuple(keys))


def apply_update(pass_keys: dict[str, Ed25519PublicKey], retired: set[str], update: TrustUpdate,
                 version_in_use: int) -> None:
    """Add the update's keys and retire the ones it retires, in place; refuse an older update,
    or one that would leave the gate no key to check passes with."""
    if update.version <= version_in_use:
        raise CredentialError(f"trust update version {update.version} is not newer than the one in use "
                              f"(version {version_in_use}); refused")
    now_retired = retired | {k.kid for k in update.keys if k.retired}
    active = {kid for kid in pass_keys if kid not in now_retired}
    active |= {k.kid for k in update.keys if not k.retired and k.kid not in now_retired}
    if not active:
        raise CredentialError(f"trust update version {update.version} retires every key; refused")
    for entry in update.keys:
        if entry.retired:
            retired.add(entry.kid)
            pass_keys.pop(entry.kid, None)
        elif entry.kid not in retired:
            pass_keys[entry.kid] = entry.public_key
