"""The site secret's fingerprint, and moving the secret to a new gate.

Every gate of a site keys pseudonyms with one secret, so a holder has one pseudonym
site-wide. Gates compare a keyed fingerprint, HMAC-SHA-256(secret, LABEL) truncated,
which reveals nothing about the secret; a gate whose fingerprint differs from a peer's
refuses to start. `qrgate site secret export|import` moves the secret as base64 text.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import stat
from pathlib import Path

from ..errors import KeyFileError

LABEL = b"qrgate-site-fingerprint-v1"
FINGERPRINT_HEX = 16


def fingerprint(secret: bytes) -> str:
    return hmac.new(secret, LABEL, hashlib.sha256).hexdigest()[:FINGERPRINT_HEX]


def export_text(path: str | Path) -> str:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KeyFileError(f"cannot read the site secret {path}: {exc.strerror}") from None
    if len(data) < 16:
        raise KeyFileError(f"site secret {path} holds {len(data)} bytes; it needs at least 16")
    return base64.b64encode(data).decode()


def import_text(text: str, path: str | Path, *, force: bool = False) -> str:
    """Write the secret from export_text() to `path` (mode 0600); returns its fingerprint.
    An existing different secret is kept unless force (its pseudonyms would no longer match)."""
    path = Path(path)
    try:
        data = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise KeyFileError("the site secret must be the base64 text 'qrgate site secret export' prints") from None
    if len(data) < 16:
        raise KeyFileError(f"the site secret holds {len(data)} bytes; it needs at least 16")
    if path.exists():
        if path.read_bytes() == data:
            return fingerprint(data)
        if not force:
            raise KeyFileError(f"{path} already holds another site secret (fingerprint "
                               f"{fingerprint(path.read_bytes())}); pass --force to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return fingerprint(data)
