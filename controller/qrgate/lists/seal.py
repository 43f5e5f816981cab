"""Sealed boxes: anyone with the public key can seal, only the private key's holder can open.

The gate and `qrgate list import` seal a list row's name, birth date and phone to the staff
terminal's X25519 key; only `qrgate list check`, run with the private key, opens them.
X25519 key agreement with a fresh key per box, HKDF-SHA256, AES-256-GCM (cryptography).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ..errors import ListError

INFO = b"qrgate list seal v1"
RAW = serialization.Encoding.Raw, serialization.PublicFormat.Raw


def _key(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, salt=ephemeral + recipient, info=INFO).derive(shared)


def seal(public_key: bytes, plaintext: bytes) -> bytes:
    recipient = X25519PublicKey.from_public_bytes(public_key)
    ephemeral = X25519PrivateKey.generate()
    eph_pub = ephemeral.public_key().public_bytes(*RAW)
    nonce = os.urandom(12)
    key = _key(ephemeral.exchange(recipient), eph_pub, public_key)
    return eph_pub + nonce + AESGCM(key).encrypt(nonce, plaintext, None)


def open_sealed(private_key: X25519PrivateKey, box: bytes) -> bytes:
    if len(box) < 32 + 12 + 16:
        raise ListError("a sealed list row is truncated")
    eph_pub, nonce, ciphertext = box[:32], box[32:44], box[44:]
    own = private_key.public_key().public_bytes(*RAW)
    key = _key(private_key.exchange(X25519PublicKey.from_public_bytes(eph_pub)), eph_pub, own)
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, None)
    except InvalidTag:
        raise ListError("a sealed list row does not open with this key (another site's key, or altered)") from None


def public_bytes(private_key: X25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes(*RAW)


def create_key(path: str | Path) -> X25519PrivateKey:
    """A new private key in a file of mode 0600; an existing file is never overwritten."""
    path = Path(path)
    key = X25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    except FileExistsError:
        raise ListError(f"{path} exists already; it is not replaced") from None
    except OSError as exc:
        raise ListError(f"cannot create the list key {path}: {exc.strerror}") from None
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    return key


def load_key(path: str | Path) -> X25519PrivateKey:
    path = Path(path)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), None)
    except FileNotFoundError:
        raise ListError(f"no list key at {path} (made by the first `qrgate list import`)") from None
    except OSError as exc:
        raise ListError(f"cannot read the list key {path}: {exc.strerror}") from None
    except ValueError:
        raise ListError(f"{path} is not a list key (PEM X25519 private key)") from None
    if not isinstance(key, X25519PrivateKey):
        raise ListError(f"{path} is not an X25519 key")
    return key
