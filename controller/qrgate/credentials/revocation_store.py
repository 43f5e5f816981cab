"""A gate's copy of the site's revocation list, kept in a file; only a newer (or the same) list replaces it."""

from __future__ import annotations

from pathlib import Path

from .revocation import RevocationList, read_doc, verify_list, write_doc
from .trust import TrustStore


class RevocationStore:
    """Gate side: the list in use, kept in a file; only a newer (or the same) list replaces it."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def load_into(self, trust: TrustStore) -> None:
        doc = read_doc(self.path)
        if doc is not None:
            trust.install_revocations(verify_list(doc, trust.pass_keys, self.path))

    def install(self, doc: dict, trust: TrustStore) -> RevocationList:
        new = verify_list(doc, trust.pass_keys)
        trust.install_revocations(new)  # raises on an older list, before anything is written
        write_doc(self.path, doc)
        return new
