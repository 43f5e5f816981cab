"""A gate's copy of the newest revocation list it has seen, kept in a file in its state directory.

Versions only go up, across restarts too: at start the gate compares the list in its trust
files with this copy and uses the newer one, so putting an old list file back (to un-revoke a
pass) changes nothing. The copy is written atomically (temporary file, fsync, rename, fsync of
the folder) and only after the list was verified.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ..errors import CredentialError, KeyFileError
from .revocation import RevocationList, read_doc, verify_list, write_doc
from .trust import TrustStore

log = logging.getLogger(__name__)

FILE_NAME = "revocations.json"


def beside_ledger(ledger_path: str | Path) -> "RevocationStore":
    """The store of a gate whose ledger is at `ledger_path` (same folder)."""
    return RevocationStore(Path(ledger_path).parent / FILE_NAME)


class RevocationStore:
    """Gate side: the list in use, kept in a file; only a newer (or the same) list replaces it."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def load_into(self, trust: TrustStore) -> None:
        doc = read_doc(self.path)
        if doc is not None:
            trust.install_revocations(verify_list(doc, trust.pass_keys, self.path), doc)

    def install(self, doc: dict, trust: TrustStore) -> RevocationList:
        new = verify_list(doc, trust.pass_keys)
        trust.install_revocations(new, doc)  # raises on an older list, before anything is written
        write_doc(self.path, doc)
        return new

    def keep_newest(self, trust: TrustStore) -> int:
        """At start: use the newer of the trust files' list and the saved copy, and save it.

        Returns the version in use. A saved copy that no trusted key verifies any more still
        sets the floor: an older list in the trust files is then an error, never a silent rollback.
        """
        doc = read_doc(self.path)
        if doc is None:
            self._save(trust)
            return trust.revocation_version
        try:
            saved = verify_list(doc, trust.pass_keys, self.path)
        except KeyFileError as exc:
            floor = doc.get("version") if isinstance(doc, dict) else None
            if not isinstance(floor, int) or isinstance(floor, bool) or trust.revocation_version >= floor:
                log.warning("%s; replacing it with the trust files' list (version %d)", exc, trust.revocation_version)
                self._save(trust)
                return trust.revocation_version
            raise CredentialError(
                f"the trust files' revocation list is version {trust.revocation_version}, older than version "
                f"{floor} this gate has seen ({self.path}), and that copy cannot be verified ({exc}); "
                f"install revocation list version {floor} or newer") from None
        if saved.version > trust.revocation_version:
            log.warning("the trust files' revocation list is version %d, older than version %d this gate has "
                        "seen; keeping version %d (%s)", trust.revocation_version, saved.version, saved.version,
                        self.path)
            trust.install_revocations(saved, doc)
        elif trust.revocation_version > saved.version:
            self._save(trust)
        return trust.revocation_version

    def _save(self, trust: TrustStore) -> None:
        if trust.revocation_doc is None:
            return
        try:
            write_doc(self.path, trust.revocation_doc)
        except OSError as exc:  # the list is in use all the same; only its memory across a restart is lost
            log.error("cannot save revocation list version %d to %s (%s): after a restart an older list "
                      "would not be recognised as older", trust.revocation_version, self.path, exc.strerror)
