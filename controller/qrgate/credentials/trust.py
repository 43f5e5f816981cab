"""What a gate trusts: pass-signing keys by key id, and health-certificate signers.

A trust file never holds a private key, so a gate can verify without being able to issue.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ..errors import KeyFileError

TRUST_FILE_TYPE = "qrgate-trust"


@dataclass
class TrustStore:
    #: pass-signing public keys by key id (hex)
    pass_keys: dict[str, Ed25519PublicKey] = field(default_factory=dict)
    #: key ids that were rotated out: their passes are refused as unknown_key
    retired: set[str] = field(default_factory=set)
    #: health-certificate trust (qrgate.credentials.dcc's own type), or None
    dcc: Any = None
    #: folder of DCC JSON schemas, one subfolder per release
    dcc_schema_dir: Path | None = None

    def add_trust_file(self, path: str | Path) -> None:
        """Load a qrgate trust file, or hand a certificate bundle or trust list to the DCC module."""
        path = Path(path)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise KeyFileError(f"cannot read trust file {path}: {exc.strerror}") from None
        if raw.lstrip().startswith(b"{"):
            try:
                doc = json.loads(raw)
            except ValueError as exc:
                raise KeyFileError(f"trust file {path} is not valid JSON: {exc}") from None
            if isinstance(doc, dict) and doc.get("type") == TRUST_FILE_TYPE:
                self._add_pass_keys(doc, path)
                return
        from . import dcc  # imported only for sites that check health certificates

        self.dcc = dcc.add_trust(self.dcc, path, raw)

    def _add_pass_keys(self, doc: dict, path: Path) -> None:
        for entry in doc.get("keys", []):
            try:
                kid = entry["kid"]
                key = Ed25519PublicKey.from_public_bytes(base64.b64decode(entry["public_key"], validate=True))
            except (KeyError, TypeError, ValueError) as exc:
                raise KeyFileError(f"trust file {path}: a key entry is malformed ({exc})") from None
            if entry.get("retired"):
                self.retired.add(kid)
                self.pass_keys.pop(kid, None)
            elif kid not in self.retired:
                self.pass_keys[kid] = key

    @classmethod
    def from_files(cls, paths: Iterable[str | Path], dcc_schema_dir: str | Path | None = None) -> "TrustStore":
        store = cls(dcc_schema_dir=Path(dcc_schema_dir) if dcc_schema_dir else None)
        for p in paths:
            store.add_trust_file(p)
        return store
