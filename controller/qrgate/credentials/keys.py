"""Pass-signing keys: make them, read them, publish their public halves as a trust file.

The private key stays with the issuer (office PC, HR system); gates get trust.json only.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ..errors import KeyFileError
from .filetypes import TRUST_FILE_TYPE

KID_BYTES = 4
TRUST_FILE_NAME = "trust.json"
ISSUER_SECRET_NAME = "issuer.secret"


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).digest()[:KID_BYTES].hex()


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def new_key(directory: str | Path) -> dict[str, str]:
    """Make a signing key in `directory` and add its public key to the trust file there."""
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        private = Ed25519PrivateKey.generate()
        kid = key_id(private.public_key())
        key_path = directory / f"{kid}.key"
        _write_private(key_path, private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        secret_path = directory / ISSUER_SECRET_NAME
        if not secret_path.exists():
            _write_private(secret_path, os.urandom(32))
        trust_path = directory / TRUST_FILE_NAME
        add_to_trust_file(trust_path, kid, private.public_key())
    except OSError as exc:
        raise KeyFileError(f"cannot write keys in {directory}: {exc.strerror}") from None
    return {"kid": kid, "private_key": str(key_path), "trust": str(trust_path)}


def read_trust_doc(path: Path) -> dict:
    if not path.exists():
        return {"type": TRUST_FILE_TYPE, "keys": []}
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise KeyFileError(f"trust file {path} cannot be read: {exc}") from None
    if doc.get("type") != TRUST_FILE_TYPE:
        raise KeyFileError(f"{path} is not a qrgate trust file")
    return doc


def write_trust_doc(path: Path, doc: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc, indent=2) + "\n")
    os.replace(tmp, path)


def add_to_trust_file(path: Path, kid: str, public_key: Ed25519PublicKey) -> None:
    doc = read_trust_doc(path)
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    doc["keys"] = [k for k in doc["keys"] if k.get("kid") != kid]
    doc["keys"].append({"kid": kid, "alg": "Ed25519", "public_key": base64.b64encode(raw).decode()})
    write_trust_doc(path, doc)


def load_private_key(path: str | Path) -> tuple[str, Ed25519PrivateKey]:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KeyFileError(f"cannot read key file {path}: {exc.strerror}") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise KeyFileError(f"{path} is not a PEM private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path} is not an Ed25519 key; make one with 'qrgate keys new'")
    return key_id(key.public_key()), key


def issuer_secret(key_path: str | Path) -> bytes:
    """The secret that keys holder pseudonyms: issuer.secret beside the key, shared by all its keys."""
    key_path = Path(key_path)
    secret_path = key_path.parent / ISSUER_SECRET_NAME
    try:
        return secret_path.read_bytes()
    except OSError:
        raise KeyFileError(f"{secret_path} is missing: keep it beside the signing key "
                           "(made by 'qrgate keys new')") from None


def list_keys(directory: str | Path) -> list[dict]:
    """Every key in DIR/trust.json: kid, retired, and whether its private key is in DIR."""
    directory = Path(directory)
    doc = read_trust_doc(directory / TRUST_FILE_NAME)
    return [{"kid": k["kid"], "retired": bool(k.get("retired")), "private_key": (directory / f"{k['kid']}.key").exists()}
            for k in doc["keys"]]


def retire(directory: str | Path, kid: str) -> None:
    """Mark a key id retired in DIR/trust.json: gates given the new file refuse its passes as unknown_key."""
    path = Path(directory) / TRUST_FILE_NAME
    doc = read_trust_doc(path)
    found = [k for k in doc["keys"] if k.get("kid") == kid]
    if not found:
        raise KeyFileError(f"no key {kid!r} in {path}")
    active = [k for k in doc["keys"] if not k.get("retired") and k.get("kid") != kid]
    if not active:
        raise KeyFileError(f"{kid} is the last active key in {path}; make a new one first ('qrgate keys rotate')")
    for entry in found:
        entry["retired"] = True
    try:
        write_trust_doc(path, doc)
    except OSError as exc:
        raise KeyFileError(f"cannot write {path}: {exc.strerror}") from None


def rotate(directory: str | Path, retire_old: bool = False) -> dict:
    """A new signing key beside the old ones. Old keys stay trusted (passes already out keep
    working) unless retire_old, which retires every other key in the same trust file."""
    old = [k["kid"] for k in list_keys(directory) if not k["retired"]]
    made = new_key(directory)
    retired = []
    if retire_old:
        for kid in old:
            retire(directory, kid)
            retired.append(kid)
    return made | {"retired": retired, "still_trusted": [k for k in old if k not in retired]}
