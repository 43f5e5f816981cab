"""Signed, versioned revocation lists: the pass ids a site no longer accepts.

A list is a JSON document signed (Ed25519) by one of the site's pass-signing keys over
its canonical JSON without the signature. Versions only go up: a gate refuses a list
older than the one it has (TrustStore.install_revocations, revocation_store.RevocationStore), so
an attacker cannot replay an old list to un-revoke a pass.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ..errors import CredentialError, KeyFileError
from .keys import key_id
from .filetypes import REVOCATION_TYPE

_SIGNED_FIELDS = ("type", "version", "issued_at", "kid", "pass_ids")


@dataclass(frozen=True)
class RevocationList:
    version: int
    issued_at: int
    pass_ids: tuple[str, ...]


def _message(doc: dict) -> bytes:
    return json.dumps({k: doc[k] for k in _SIGNED_FIELDS}, sort_keys=True, separators=(",", ":")).encode()


def sign_list(private_key: Ed25519PrivateKey, version: int, pass_ids, issued_at: int) -> dict:
    ids = sorted({p.lower() for p in pass_ids})
    for p in ids:
        if len(p) != 12 or any(c not in "0123456789abcdef" for c in p):
            raise CredentialError(f"{p!r} is not a pass id (12 hex digits)")
    doc = {"type": REVOCATION_TYPE, "version": int(version), "issued_at": int(issued_at),
           "kid": key_id(private_key.public_key()), "pass_ids": ids}
    doc["signature"] = base64.b64encode(private_key.sign(_message(doc))).decode()
    return doc


def verify_list(doc: dict, pass_keys: Mapping[str, Ed25519PublicKey],
                source: str | Path = "revocation list") -> RevocationList:
    """A RevocationList from a document signed by one of `pass_keys` (trusted, unretired); else KeyFileError."""
    try:
        if doc["type"] != REVOCATION_TYPE:
            raise ValueError("wrong type")
        version, issued_at, ids, kid = doc["version"], doc["issued_at"], doc["pass_ids"], doc["kid"]
        if not (isinstance(version, int) and version >= 1 and isinstance(issued_at, int)
                and isinstance(ids, list) and all(isinstance(p, str) for p in ids) and isinstance(kid, str)):
            raise ValueError("version, issued_at, kid or pass_ids malformed")
        signature = base64.b64decode(doc["signature"], validate=True)
        message = _message(doc)
    except (KeyError, TypeError, ValueError) as exc:
        raise KeyFileError(f"{source}: not a qrgate revocation list ({exc})") from None
    key = pass_keys.get(kid)
    if key is None:
        raise KeyFileError(f"{source}: signed by key {kid!r}, which this gate does not trust")
    try:
        key.verify(signature, message)
    except InvalidSignature:
        raise KeyFileError(f"{source}: signature does not match; the list was altered") from None
    return RevocationList(version, issued_at, tuple(ids))


def read_doc(path: str | Path) -> dict | None:
    path = Path(path)
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise KeyFileError(f"cannot read revocation list {path}: {exc}") from None


def write_doc(path: str | Path, doc: dict) -> None:
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w") as fh:
        fh.write(json.dumps(doc, indent=2) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)  # the rename itself survives a power cut


def fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return  # a platform without directory handles: the file itself is synced
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def revoke(private_key: Ed25519PrivateKey, list_path: str | Path, pass_ids, issued_at: int,
           pass_keys: Mapping[str, Ed25519PublicKey] | None = None) -> dict:
    """Issuer side: add pass ids to the list at `list_path` (made if missing), version + 1."""
    old = read_doc(list_path)
    ids: set[str] = set()
    version = 0
    if old is not None:
        if pass_keys is None:
            pass_keys = {key_id(private_key.public_key()): private_key.public_key()}
        current = verify_list(old, pass_keys, list_path)
        ids, version = set(current.pass_ids), current.version
    doc = sign_list(private_key, version + 1, ids | set(pass_ids), issued_at)
    write_doc(list_path, doc)
    return doc
