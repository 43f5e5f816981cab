"""The trust a running gate decides with, and how it changes without a restart.

At start the gate reads its trust files (`trust.files`), then the newest signed revocation
list and trust update it received over MQTT earlier, which are kept in a folder so they
outlive a restart. While it runs:

- `receive()` takes a signed revocation list or trust update (from MQTT): verified against
  the keys in use, refused when older than the one in use, kept on disk, applied at once;
- `reload()` reads the trust files again (SIGHUP); a file that cannot be read or verified
  raises, and the trust in use stays as it was.

Each change swaps in a new TrustStore (or updates the list in place), so a decision in
progress sees either the old trust or the new one, never half of each. Every change is
described in one line: what was added, retired or replaced.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from pathlib import Path
from typing import Callable, Iterable

from ..errors import CredentialError, KeyFileError
from .filetypes import REVOCATION_TYPE, TRUST_UPDATE_TYPE
from .revocation import read_doc, verify_list, write_doc
from .trust import TrustStore
from .trust_update import apply_update, verify_update

log = logging.getLogger(__name__)

RECEIVED_REVOCATIONS = "received-revocations.json"
RECEIVED_TRUST = "received-trust-update.json"
KINDS = {REVOCATION_TYPE: RECEIVED_REVOCATIONS, TRUST_UPDATE_TYPE: RECEIVED_TRUST}


class TrustKeeper:
    def __init__(self, files: Iterable[str], schema_dir: str | None, folder: str | Path, pseudonym_key: bytes,
                 *, floor: Callable[[TrustStore], object] | None = None):
        """floor(store): called on every trust built (start and reload); it keeps the newest revocation
        list this gate has seen, so an old list put back un-revokes nothing (revocation_store.py)."""
        self.files = list(files)
        self.floor = floor
        self.schema_dir = schema_dir
        self.folder = Path(folder)
        self.pseudonym_key = pseudonym_key
        self._lock = threading.Lock()  # MQTT (drain thread) and SIGHUP (main thread) may both change it
        self.store = self._build(previous=None)

    # -- reading -------------------------------------------------------------------------
    def _build(self, previous: TrustStore | None) -> TrustStore:
        store = TrustStore.from_files(self.files, self.schema_dir)
        store.pseudonym_key = self.pseudonym_key
        if previous is not None and previous.rotation and store.rotation and \
                previous.rotation.key == store.rotation.key:
            store.rotation = previous.rotation  # keeps which rotating steps were already used
        self._apply_kept(store, TRUST_UPDATE_TYPE)
        self._apply_kept(store, REVOCATION_TYPE)
        if self.floor is not None:
            self.floor(store)
        return store

    def _apply_kept(self, store: TrustStore, kind: str) -> None:
        """What MQTT brought earlier, unless the files already hold something as new or newer."""
        path = self.folder / KINDS[kind]
        try:
            doc = read_doc(path)
            if doc is None:
                return
            if kind == TRUST_UPDATE_TYPE:
                update = verify_update(doc, store.pass_keys, str(path))
                if update.version > store.trust_update_version:
                    apply_update(store.pass_keys, store.retired, update, store.trust_update_version)
                    store.trust_update_version = update.version
            else:
                revocations = verify_list(doc, store.pass_keys, path)
                if revocations.version > store.revocation_version:
                    store.install_revocations(revocations)
        except (KeyFileError, CredentialError) as exc:
            # the trust files win over a kept copy they no longer vouch for (e.g. its signer retired)
            log.warning("ignoring %s kept from MQTT: %s", path, exc)

    def reload(self) -> str:
        """Read the trust files again; returns what changed. Raises (KeyFileError, CredentialError)
        with the trust in use untouched when a file is bad."""
        with self._lock:
            old = self.store
            new = self._build(previous=old)
            if new.revocation_version < old.revocation_version:
                raise CredentialError(f"the trust files hold revocation list version {new.revocation_version}, "
                                      f"older than the one in use (version {old.revocation_version}); refused")
            self.store = new
        return describe_change(old, new)

    # -- receiving -----------------------------------------------------------------------
    def receive(self, doc: object, source: str = "MQTT") -> str | None:
        """Apply a signed revocation list or trust update; returns what changed, or None when it is
        the one already in use (a retained message comes again at every reconnect). Raises
        KeyFileError (not verified) or CredentialError (older than the one in use)."""
        kind = doc.get("type") if isinstance(doc, dict) else None
        with self._lock:
            if kind == REVOCATION_TYPE:
                return self._receive_revocations(doc, source)
            if kind == TRUST_UPDATE_TYPE:
                return self._receive_update(doc, source)
        raise KeyFileError(f"{source}: neither a signed revocation list nor a signed trust update")

    def _receive_revocations(self, doc: dict, source: str) -> str | None:
        store = self.store
        revocations = verify_list(doc, store.pass_keys, source)
        if revocations.version == store.revocation_version:
            return None
        old = frozenset(store.revoked)
        store.install_revocations(revocations)  # raises on an older version, before anything is kept
        self._keep(REVOCATION_TYPE, doc)
        added, dropped = len(store.revoked - old), len(old - store.revoked)
        return (f"revocation list version {revocations.version} in use ({len(store.revoked)} passes; "
                f"+{added} -{dropped})")

    def _receive_update(self, doc: dict, source: str) -> str | None:
        old = self.store
        update = verify_update(doc, old.pass_keys, source)
        if update.version == old.trust_update_version:
            return None
        new = dataclasses.replace(old, pass_keys=dict(old.pass_keys), retired=set(old.retired))
        apply_update(new.pass_keys, new.retired, update, old.trust_update_version)
        new.trust_update_version = update.version
        self._keep(TRUST_UPDATE_TYPE, doc)
        self.store = new
        return describe_change(old, new)

    def _keep(self, kind: str, doc: dict) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            write_doc(self.folder / KINDS[kind], doc)
        except OSError as exc:  # applied all the same: the retained message brings it again after a restart
            log.error("cannot keep the received %s in %s (%s)", kind, self.folder, exc.strerror)


def describe_change(old: TrustStore, new: TrustStore) -> str:
    """One line: what differs between two trust stores (key ids and counts, never a secret)."""
    parts = []
    added = sorted(set(new.pass_keys) - set(old.pass_keys))
    removed = sorted(set(old.pass_keys) - set(new.pass_keys))
    if added:
        parts.append(f"pass keys added: {', '.join(added)}")
    if removed:
        parts.append(f"pass keys no longer trusted: {', '.join(removed)}")
    if new.revocation_version != old.revocation_version or new.revoked != old.revoked:
        parts.append(f"revocation list version {old.revocation_version} -> {new.revocation_version} "
                     f"({len(new.revoked)} passes)")
    if new.trust_update_version != old.trust_update_version:
        parts.append(f"trust update version {old.trust_update_version} -> {new.trust_update_version}")
    old_rotation, new_rotation = old.rotation, new.rotation
    if (old_rotation is None) != (new_rotation is None) or \
            (old_rotation and new_rotation and old_rotation.key != new_rotation.key):
        parts.append("rotating-code key " + ("removed" if new_rotation is None else
                                             "added" if old_rotation is None else "replaced"))
    old_dcc, new_dcc = len(old.dcc or ()), len(new.dcc or ())
    if old_dcc != new_dcc:
        parts.append(f"health-certificate signers {old_dcc} -> {new_dcc}")
    return "; ".join(parts) or "nothing changed"
