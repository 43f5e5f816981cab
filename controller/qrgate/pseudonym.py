"""Keyed pseudonyms: stable within a site, useless outside it without the site's secret."""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
from pathlib import Path

from .errors import KeyFileError

PSEUDONYM_HEX = 16  # 64 bits: no collision in any one site's lifetime of visitors
MIN_SECRET_BYTES = 16
#: the holder scope of a credential whose holder already is the log's pseudonym (a declaration's
#: day pass carries the one its holder's CCCD scan gives): used as it is, not hashed again
SITE_HOLDER_SCOPE = "site-holder"


def pseudonym(secret: bytes, *parts: str) -> str:
    message = "\x1f".join(parts).encode("utf-8")
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:PSEUDONYM_HEX]


def load_or_create_secret(path: str | Path) -> bytes:
    """Read a 32-byte secret file, creating it (mode 0600) on first use."""
    path = Path(path)
    if path.exists():
        data = path.read_bytes()
        if len(data) < MIN_SECRET_BYTES:
            raise KeyFileError(f"secret file {path} holds {len(data)} bytes; it needs at least {MIN_SECRET_BYTES}")
        return data
    path.parent.mkdir(parents=True, exist_ok=True)
    data = os.urandom(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return data


def credential_pseudonym(secret: bytes, credential) -> str | None:
    """The log's pseudonym of a verified credential's holder (None without a credential).

    Keyed on the credential's holder scope when it has one, so formats that name the same
    people (a CCCD card and a PC-Covid code of one ID number) give the same pseudonym.
    """
    if credential is None:
        return None
    if credential.holder_scope == SITE_HOLDER_SCOPE:
        return credential.holder
    return pseudonym(secret, credential.holder_scope or credential.format, credential.holder)
