"""What a gate trusts: pass-signing keys by key id, revoked passes, the rotating-code key,
and health-certificate signers.

A trust file never holds a signing key, so a gate can verify without being able to issue.
(rotation.json holds a symmetric key that lets a gate check rotating codes; with it one can
make rotating codes for passes one already holds, never a new pass: see docs/passes.md.)
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ..errors import CredentialError, KeyFileError
from .dcc.trust import DccTrust, add_trust
from .filetypes import REVOCATION_TYPE, ROTATION_TYPE, TRUST_FILE_TYPE
from .revocation import RevocationList, verify_list
from .rotation import RotationState


@dataclass
class TrustStore:
    #: pass-signing public keys by key id (hex)
    pass_keys: dict[str, Ed25519PublicKey] = field(default_factory=dict)
    #: key ids that were rotated out: their passes are refused as unknown_key
    retired: set[str] = field(default_factory=set)
    #: pass ids (hex) on the newest signed revocation list, and that list's version
    revoked: frozenset[str] = frozenset()
    revocation_version: int = 0
    #: the signed document of the list in use, kept so a gate can save the newest it has seen
    revocation_doc: dict | None = field(default=None, repr=False)
    #: rotating-code checker, or None
    rotation: RotationState | None = None
    #: health-certificate signers, or None
    dcc: DccTrust | None = None
    #: folder of DCC JSON schemas, one subfolder per release
    dcc_schema_dir: Path | None = None
    #: the site's secret that keys health-certificate holder pseudonyms (name and birth date never kept)
    pseudonym_key: bytes = b""
    _unverified_lists: list[tuple[dict, Path]] = field(default_factory=list, repr=False)

    def add_trust_file(self, path: str | Path) -> None:
        """Load a qrgate trust, revocation or rotation file, or hand a certificate bundle or
        trust list to the DCC module."""
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
            kind = doc.get("type") if isinstance(doc, dict) else None
            if kind == TRUST_FILE_TYPE:
                self._add_pass_keys(doc, path)
                self._verify_pending_lists()
                return
            if kind == REVOCATION_TYPE:
                self._unverified_lists.append((doc, path))
                self._verify_pending_lists()
                return
            if kind == ROTATION_TYPE:
                self.rotation = RotationState.from_doc(doc, path)
                return
        self.dcc = add_trust(self.dcc, path, raw)

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

    def _verify_pending_lists(self) -> None:
        still = []
        for doc, path in self._unverified_lists:
            kid = doc.get("kid")
            if isinstance(kid, str) and kid not in self.pass_keys:
                still.append((doc, path))  # its key may come in a later trust file
                continue
            self.install_revocations(verify_list(doc, self.pass_keys, path), doc)  # a malformed list is refused here
        self._unverified_lists = still

    def install_revocations(self, revocations: RevocationList, doc: dict | None = None) -> None:
        """Take a verified RevocationList (and its signed document); one older than the list in use
        is refused."""
        if revocations.version < self.revocation_version:
            raise CredentialError(f"revocation list version {revocations.version} is older than the "
                                  f"list in use (version {self.revocation_version}); refused")
        self.revoked = frozenset(revocations.pass_ids)
        self.revocation_version = revocations.version
        self.revocation_doc = doc

    def finish(self) -> "TrustStore":
        """Every revocation list given must have been verified: a list nobody can check is an error."""
        if self._unverified_lists:
            doc, path = self._unverified_lists[0]
            raise KeyFileError(f"revocation list {path} is signed by key {doc.get('kid')!r}, "
                               "which no trust file lists (or which is retired)")
        return self

    @classmethod
    def from_files(cls, paths: Iterable[str | Path], dcc_schema_dir: str | Path | None = None) -> "TrustStore":
        store = cls(dcc_schema_dir=Path(dcc_schema_dir) if dcc_schema_dir else None)
        for p in paths:
            store.add_trust_file(p)
        return store.finish()
