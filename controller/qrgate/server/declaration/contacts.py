"""Contact details encrypted at rest under the site's key (AES-256-GCM, cryptography).

The key is derived from the site secret with HKDF, so nothing new has to be kept; the
associated data binds each box to its row, so a box copied to another row does not open.
"""

from __future__ import annotations

import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ...errors import QrgateError

INFO = b"qrgate declaration contacts v1"
NONCE_BYTES = 12


class ContactBoxError(QrgateError):
    """A stored box does not open with this site's key."""


class ContactBox:
    def __init__(self, site_secret: bytes):
        self._aead = AESGCM(HKDF(hashes.SHA256(), 32, salt=None, info=INFO).derive(site_secret))

    def seal(self, values: dict, row_binding: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        plain = json.dumps(values, ensure_ascii=False, sort_keys=True).encode()
        return nonce + self._aead.encrypt(nonce, plain, row_binding.encode())

    def open(self, box: bytes, row_binding: str) -> dict:
        try:
            plain = self._aead.decrypt(box[:NONCE_BYTES], box[NONCE_BYTES:], row_binding.encode())
        except (InvalidTag, ValueError):
            raise ContactBoxError("a declaration's contact details do not open with this site's key "
                                  "(another site's key, or altered)") from None
        return json.loads(plain)
