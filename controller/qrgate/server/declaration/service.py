"""The declaration service: checks a declaration, stores it sealed, gives the day pass or the refusal.

Used by the visitor's form (web.py), the guard's desk (guard_desk.py) and the server's tracing
and reports. Takes `now` on every call; holds no clock.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.engine import Engine

from ...credentials import native
from ...errors import QrgateError
from ...site.secret import fingerprint
from . import store
from .contacts import ContactBox
from .daypass import holder_of, issue_day_pass, local_day
from .form import Declaration, refusals
from .settings import DeclarationSettings

log = logging.getLogger(__name__)

TRACER_ROLE = "tracer"
#: the reason of a declaration refused because the same person was refused earlier that day
EARLIER_REFUSAL = "earlier_refusal"
DAY_SECONDS = 86400
#: the export's columns: the four fields, the overlap with the case, the gates
TRACE_COLUMNS = ("full_name", "date_of_birth", "phone", "cccd", "overlap_from", "overlap_until", "gates")


class NotTracer(QrgateError):
    """Contact details were asked for by someone without the tracer role."""


@dataclass(frozen=True)
class Outcome:
    passed: bool
    reasons: tuple[str, ...] = ()  # refusing question ids
    pass_text: str | None = None
    pass_id: str | None = None
    day: str = ""
    again: bool = False  # the same day's pass given back


@dataclass(frozen=True)
class TraceMatch:
    """One person the server's trace found with the case: what the export adds the contact details to."""
    holder: str
    overlap_from: float
    overlap_until: float
    gates: tuple[str, ...] = field(default_factory=tuple)


def matches_from_trace(result: dict) -> list[TraceMatch]:
    """The site server's trace result (server/trace.py: contacts with pseudonym, start, end and
    gates) as the matches trace_csv() adds the declared contact details to."""
    return [TraceMatch(c["pseudonym"], c["start"], c["end"],
                       tuple(g for g in (c.get("entry_gate"), c.get("exit_gate")) if g))
            for c in result.get("contacts", [])]


class DeclarationService:
    def __init__(self, engine: Engine, settings: DeclarationSettings, *, site_secret: bytes,
                 signing_key: Ed25519PrivateKey):
        self.engine = engine
        self.settings = settings
        self.site_secret = site_secret
        self.signing_key = signing_key
        self.box = ContactBox(site_secret)
        store.create_tables(engine)

    def publish_settings(self, now: float) -> None:
        """Leave these settings in the database, where the gates' guard desks read them
        (web/declaration_desk.py), so the phone form and the desk ask the same questions."""
        store.publish_settings(self.engine, self.settings.model_dump_json(), fingerprint(self.site_secret), now)

    def today(self, now: float) -> dt.date:
        return local_day(now, self.settings.timezone)

    def declare(self, declaration: Declaration, now: float, *, via: str = "phone", guard: str | None = None) -> Outcome:
        """Store a valid declaration; a passing one gets the day pass (the same one again that day)."""
        holder = holder_of(self.site_secret, declaration.cccd)
        day = self.today(now).isoformat()
        reasons = refusals(declaration, self.settings.questions)
        if not reasons and store.first_today(self.engine, day, holder, "refused") is not None:
            # a refusal holds for the day: answering differently a minute later is not a way in
            reasons = [EARLIER_REFUSAL]
        if not reasons:
            earlier = store.first_today(self.engine, day, holder, "pass")
            if earlier is not None:
                sealed = self.box.open(earlier.sealed, earlier.binding)
                log.info("declaration %s again on %s: the same day pass", holder, day)
                return Outcome(True, (), sealed["pass"], earlier.pass_id, day, again=True)
        pass_text = None if reasons else issue_day_pass(self.signing_key, holder, now, timezone=self.settings.timezone,
                                                         site_number=self.settings.site_number)
        pass_id = native.pass_id_of(pass_text) if pass_text else None
        row_binding = store.Row(0, day, holder, via, now, "", (), None, None, b"").binding
        sealed = self.box.seal({**declaration.contact(), "pass": pass_text}, row_binding)
        store.add(self.engine, day=day, holder=holder, via=via, declared_at=now,
                  outcome="refused" if reasons else "pass", reasons=reasons, pass_id=pass_id, guard=guard,
                  sealed=sealed)
        log.info("declaration %s via %s on %s: %s", holder, via, day, ",".join(reasons) or "pass")
        return Outcome(not reasons, tuple(reasons), pass_text, pass_id, day)

    # -- for the tracer role only -------------------------------------------------------------

    def contacts(self, reader: str, roles: Iterable[str], now: float, *, purpose: str,
                 holders: list[str] | None = None, day: str | None = None) -> list[dict]:
        """The declared contact details (tracer role only); every read is recorded and logged."""
        if TRACER_ROLE not in set(roles):
            log.warning("contact details refused to %s: not a tracer", reader)
            raise NotTracer("only the tracer role can read declared contact details")
        found = store.rows(self.engine, holders=holders, day=day)
        out = []
        for row in found:
            values = self.box.open(row.sealed, row.binding)
            values.pop("pass", None)
            out.append({"holder": row.holder, "day": row.day, "via": row.via, "declared_at": row.declared_at,
                        "outcome": row.outcome, **values})
        store.record_read(self.engine, at=now, reader=reader, purpose=purpose, holders=[r.holder for r in found])
        log.info("%s read %s declarations' contact details: %s", reader, len(found), purpose)
        return out

    def trace_csv(self, reader: str, roles: Iterable[str], matches: list[TraceMatch], now: float) -> bytes:
        """The contact-tracing export: one line per match with its latest declared contact details.

        UTF-8 with a byte-order mark so that Excel shows Vietnamese letters; matches without a
        declaration keep empty contact columns.
        """
        contacts = self.contacts(reader, roles, now, purpose="contact tracing export",
                                 holders=sorted({m.holder for m in matches}))
        latest = {c["holder"]: c for c in contacts}  # rows come oldest first: the last one wins
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(TRACE_COLUMNS)
        for m in matches:
            c = latest.get(m.holder, {})
            writer.writerow([c.get("name", ""), c.get("birth", ""), c.get("phone", ""), c.get("cccd", ""),
                             _iso(m.overlap_from, self.settings.timezone), _iso(m.overlap_until, self.settings.timezone),
                             " ".join(m.gates)])
        return b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8")

    # -- for management: no personal data ------------------------------------------------------

    def guard_report(self, day: str) -> list[dict]:
        """The visitors a guard declared for on a day (no smartphone): time, guard, outcome, pass id."""
        return [{"declared_at": r.declared_at, "guard": r.guard or "", "holder": r.holder, "outcome": r.outcome,
                 "reasons": list(r.reasons), "pass_id": r.pass_id or ""}
                for r in store.rows(self.engine, day=day, via="guard")]

    def day_counts(self, day: str) -> dict[str, int]:
        counts = {"phone_pass": 0, "phone_refused": 0, "guard_pass": 0, "guard_refused": 0}
        for r in store.rows(self.engine, day=day):
            counts[f"{r.via}_{r.outcome}"] += 1
        return counts

    def purge(self, now: float) -> int:
        return store.purge(self.engine, before=now - self.settings.retention_days * DAY_SECONDS)


def _iso(at: float, timezone: str) -> str:
    from zoneinfo import ZoneInfo

    return dt.datetime.fromtimestamp(at, ZoneInfo(timezone)).isoformat(timespec="seconds")
