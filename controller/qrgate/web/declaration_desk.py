"""The guard's declaration desk on a gate's console, on the site server's database.

With `[web] declaration_database` set, the console serves the desk of
server/declaration/guard_desk.py. The questions, retention and day-pass rules are the ones the
site server published in that database when it started (DeclarationService.publish_settings),
so the desk and the phone form ask the same; they are read again every SETTINGS_SECONDS.

The database is reached when the guard uses the desk, not when the gate starts: a gate lets
people in whether or not the site server answers, and the desk says which database it cannot
reach, and why, until it can.
"""

from __future__ import annotations

import logging
import threading
import time

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from ..credentials.keys import load_private_key
from ..errors import QrgateError
from ..server.db import Database, redact
from ..server.declaration import store
from ..server.declaration.guard_desk import DeskUnavailable, GuardDesk
from ..server.declaration.service import DeclarationService
from ..server.declaration.settings import DeclarationSettings
from ..site.secret import fingerprint

log = logging.getLogger(__name__)

SETTINGS_SECONDS = 60.0


class SiteDeclarations:
    """Gives the GuardDesk its DeclarationService, or DeskUnavailable saying what is wrong."""

    def __init__(self, url: str, site_secret: bytes, pass_key: str, site_number: int,
                 clock=time.monotonic):
        self.url, self.site_secret, self.pass_key, self.site_number = url, site_secret, pass_key, site_number
        self.clock = clock
        self._db: Database | None = None
        self._service: DeclarationService | None = None
        self._read_at = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> DeclarationService:
        with self._lock:
            if self._service is None or self.clock() - self._read_at > SETTINGS_SECONDS:
                self._service = self._connect()
                self._read_at = self.clock()
            return self._service

    def _connect(self) -> DeclarationService:
        where = f"the site server's database {redact(self.url)}"
        try:
            self._db = self._db or Database(self.url)
            published = store.read_settings(self._db.engine)
        except (QrgateError, SQLAlchemyError) as exc:
            reason = getattr(exc, "orig", None) or exc
            raise DeskUnavailable(f"{where} cannot be read: {str(reason).strip().splitlines()[0]}") from None
        if published is None:
            raise DeskUnavailable(f"{where} holds no declaration settings: start `qrgate site serve` on it "
                                  "with its [declaration] table first")
        body, theirs = published
        if theirs != fingerprint(self.site_secret):
            raise DeskUnavailable(f"{where} belongs to a site with another site secret (fingerprint {theirs}, this "
                                  f"gate's {fingerprint(self.site_secret)}): its pseudonyms would not match this "
                                  "gate's; check [web] declaration_database and the gate's site secret")
        try:
            settings = DeclarationSettings.model_validate_json(body)
        except ValidationError as exc:
            raise DeskUnavailable(f"{where} holds declaration settings this qrgate cannot read "
                                  f"({exc.error_count()} errors); upgrade the gate to the server's version") from None
        if settings.site_number and self.site_number and settings.site_number != self.site_number:
            raise DeskUnavailable(f"{where} gives day passes for site number {settings.site_number}, but this gate is "
                                  f"site {self.site_number} (policy.site_number): it would refuse them")
        try:
            signing_key = load_private_key(self.pass_key)[1]
            return DeclarationService(self._db.engine, settings, site_secret=self.site_secret, signing_key=signing_key)
        except QrgateError as exc:
            raise DeskUnavailable(f"the declaration desk cannot sign day passes: {exc}") from None
        except SQLAlchemyError as exc:
            raise DeskUnavailable(f"{where} cannot be read: {type(exc).__name__}") from None


def open_desk(app, cfg, guarded) -> GuardDesk:
    """The desk for this gate's console, on `cfg.declaration_database` ([web])."""
    source = SiteDeclarations(cfg.declaration_database, app.trust.pseudonym_key, cfg.pass_key,
                              app.controller.policy.site_number)
    log.info("declaration desk at /console/declare, on %s", redact(cfg.declaration_database))
    return GuardDesk(source, app.trust, guarded)
