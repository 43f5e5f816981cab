"""The console's paper day pass: a person without a smartphone gets a printed card.

The pass is signed with the site's key named in `[web] pass_key`; the holder text the guard types
(a name or an ID card number) becomes only the keyed pseudonym inside the pass and is never
stored, logged or printed. The gate remembers which pass ids it printed, so its screen can say
"paper pass"; that list holds pass ids and expiry times only.
"""

from __future__ import annotations

import io
import json
import logging
import os
import threading
from pathlib import Path
from zoneinfo import ZoneInfo

from ..credentials import native
from ..credentials.keys import issuer_secret, load_private_key
from ..credentials.paper import Card, render_sheets
from ..errors import QrgateError, WebError

log = logging.getLogger(__name__)

PAPER_FILE_NAME = "paper-passes.json"
LABEL_MAX = 40


class PaperDesk:
    def __init__(self, key_path: str | None, hours: float, state_dir: Path, timezone: str | None = None):
        self.hours = hours
        self.problem = ""
        self._key = self._secret = None
        self._store = Path(state_dir) / PAPER_FILE_NAME
        self._lock = threading.Lock()
        self._tz = None
        if timezone:
            try:
                self._tz = ZoneInfo(timezone)
            except Exception:
                self.problem = f"web.timezone {timezone!r} is not a time zone name"
        if key_path is None:
            self.problem = self.problem or "this gate has no signing key for passes (set web.pass_key)"
        elif not self.problem:
            try:
                _kid, self._key = load_private_key(key_path)
                self._secret = issuer_secret(key_path)
            except QrgateError as exc:
                self.problem = str(exc)
        self._issued = self._read()

    @property
    def available(self) -> bool:
        return not self.problem

    def _read(self) -> dict[str, float]:
        try:
            doc = json.loads(self._store.read_text())
            return {str(k): float(v) for k, v in doc.get("passes", {}).items()}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, AttributeError) as exc:
            log.warning("%s unreadable (%s); paper passes printed before are shown as passes", self._store, exc)
            return {}

    def pass_ids(self) -> frozenset[str]:
        return frozenset(self._issued)

    def issue(self, holder: str, label: str, kind: str, now: float) -> tuple[str, float, bytes]:
        """(pass id, valid until, PNG of a one-card sheet)."""
        if not self.available:
            raise WebError(self.problem)
        holder, label = holder.strip(), label.strip()
        if not holder:
            raise WebError("holder: type the person's name or ID number (only its keyed pseudonym goes in the pass)")
        if len(label) > LABEL_MAX:
            raise WebError(f"label: at most {LABEL_MAX} characters")
        if kind not in native.KINDS:
            raise WebError(f"kind {kind!r} is not one of {', '.join(native.KINDS)}")
        valid_until = int(now + self.hours * 3600)
        payload = native.issue(self._key, native.PassFields(
            kind=kind, holder=native.holder_pseudonym(self._secret, holder), valid_from=int(now),
            valid_until=valid_until))
        pass_id = native.pass_id_of(payload)
        page = render_sheets([Card(payload, pass_id, kind, int(now), valid_until, label)], self._tz)[0]
        out = io.BytesIO()
        page.save(out, "PNG", dpi=(150, 150))
        self._remember(pass_id, valid_until, now)
        return pass_id, float(valid_until), out.getvalue()

    def _remember(self, pass_id: str, valid_until: float, now: float) -> None:
        with self._lock:
            self._issued = {p: u for p, u in self._issued.items() if u > now}
            self._issued[pass_id] = valid_until
            tmp = self._store.with_suffix(".tmp")
            try:
                self._store.parent.mkdir(parents=True, exist_ok=True)
                tmp.write_text(json.dumps({"passes": self._issued}))
                os.replace(tmp, self._store)
            except OSError as exc:  # the pass is valid anyway; only the screen's wording suffers
                log.warning("cannot write %s: %s", self._store, exc.strerror)


