"""The health declaration in a simulated day: visitors scan the venue QR and declare on their
phone, or the guard declares for them from their CCCD card; a passing one enters with the
day pass. The real declaration service (qrgate.server.declaration) on a SQLite file."""

from __future__ import annotations

import collections
from pathlib import Path

import sqlalchemy as sa

from qrgate.credentials.trust import TrustStore
from qrgate.server.declaration.form import validate
from qrgate.server.declaration.guard_desk import GuardDesk
from qrgate.server.declaration.service import DeclarationService
from qrgate.server.declaration.settings import DeclarationSettings

from .vietnam import cccd_text

SITE_NUMBER = 1
SIM_GUARD = "sim-guard"


class DeclarationDesk:
    def __init__(self, workdir: Path, signing_key, site_secret: bytes, timezone: str):
        engine = sa.create_engine(f"sqlite:///{workdir / 'declarations.sqlite3'}")
        settings = DeclarationSettings(site_number=SITE_NUMBER, timezone=timezone)
        self.service = DeclarationService(engine, settings, site_secret=site_secret, signing_key=signing_key)
        self.guard = GuardDesk(self.service, TrustStore(pseudonym_key=site_secret), lambda request: (None, None))
        self.entered: collections.Counter[str] = collections.Counter()

    def declare(self, person, now: float) -> str | None:
        """The day pass the person gets, or None when the declaration is refused."""
        answers = {q.id: "no" for q in self.service.settings.questions}
        if person.symptomatic:
            answers[self.service.settings.questions[0].id] = "yes"
        c = person.citizen
        if person.credential == "declared_guard":
            answer = self.guard.declare({"card": cccd_text(c), "phone": c.phone, "answers": answers, "consent": True},
                                        SIM_GUARD, now)
            return self.guard_pass(answer)
        fields = {"name": c.name, "birth": c.birth.isoformat(), "phone": c.phone, "cccd": c.number, "consent": "yes",
                  **{f"q_{k}": v for k, v in answers.items()}}
        declaration, errors = validate(fields, self.service.settings.questions, self.service.today(now))
        if errors:
            raise ValueError(f"a simulated visitor's form was refused: {sorted(errors)}")
        outcome = self.service.declare(declaration, now)
        return outcome.pass_text if outcome.passed else None

    def guard_pass(self, answer: dict) -> str | None:
        if not answer.get("passed"):
            return None
        from qrgate.server.declaration import store

        [row] = [r for r in store.rows(self.service.engine, via="guard") if r.pass_id == answer["pass_id"]]
        return self.service.box.open(row.sealed, row.binding)["pass"]

    def report(self) -> dict:
        counts = collections.Counter()
        for day in {r.day for r in __import__("qrgate.server.declaration.store", fromlist=["rows"]).rows(
                self.service.engine)}:
            counts.update(self.service.day_counts(day))
        return {**{k: counts[k] for k in ("phone_pass", "phone_refused", "guard_pass", "guard_refused")},
                "entered_with_day_pass": {"phone": self.entered["declared_phone"],
                                          "guard": self.entered["declared_guard"]}}
