"""The declarations' tables, through SQLAlchemy Core: one row per declaration, one per contact read.

Only the log pseudonym, the day, the path (phone or guard) and the outcome are in clear; the
contact details and the pass text are sealed under the site's key (contacts.ContactBox).
create_tables() makes the tables on any engine (SQLite or PostgreSQL); `metadata` is there for
the server's migrations.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

metadata = sa.MetaData()

declarations = sa.Table(
    "declarations", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("day", sa.String(10), nullable=False),  # the site's local date, YYYY-MM-DD
    sa.Column("holder", sa.String(16), nullable=False),  # the log pseudonym of the CCCD number
    sa.Column("via", sa.String(8), nullable=False),  # "phone" or "guard"
    sa.Column("declared_at", sa.Float, nullable=False),
    sa.Column("outcome", sa.String(8), nullable=False),  # "pass" or "refused"
    sa.Column("reasons", sa.String(400), nullable=False, default=""),  # refusing question ids, comma-separated
    sa.Column("pass_id", sa.String(12)),
    sa.Column("guard", sa.String(64)),  # the guard who declared for the visitor
    sa.Column("sealed", sa.LargeBinary, nullable=False),  # contact details and pass text
    sa.Index("ix_declarations_day_holder", "day", "holder"),
)

contact_reads = sa.Table(
    "declaration_contact_reads", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("reader", sa.String(64), nullable=False),
    sa.Column("purpose", sa.String(200), nullable=False),
    sa.Column("rows", sa.Integer, nullable=False),
    sa.Column("holders", sa.Text, nullable=False),  # pseudonyms read, comma-separated
)


#: the server's [declaration] settings as it last started, for gates' guard desks to read
published_settings = sa.Table(
    "declaration_settings", metadata,
    sa.Column("id", sa.Integer, primary_key=True),  # always 1: one declaring site per database
    sa.Column("saved_at", sa.Float, nullable=False),
    sa.Column("secret_fingerprint", sa.String(32), nullable=False),  # site/secret.py: which site secret
    sa.Column("body", sa.Text, nullable=False),  # DeclarationSettings as JSON
)


@dataclass(frozen=True)
class Row:
    id: int
    day: str
    holder: str
    via: str
    declared_at: float
    outcome: str
    reasons: tuple[str, ...]
    pass_id: str | None
    guard: str | None
    sealed: bytes

    @property
    def binding(self) -> str:
        """What a sealed box is bound to: it does not open in another row."""
        return f"{self.day}|{self.holder}|{self.declared_at!r}"


def create_tables(engine: Engine) -> None:
    metadata.create_all(engine)


def _row(r) -> Row:
    return Row(r.id, r.day, r.holder, r.via, r.declared_at, r.outcome,
               tuple(x for x in r.reasons.split(",") if x), r.pass_id, r.guard, r.sealed)


def first_today(engine: Engine, day: str, holder: str, outcome: str) -> Row | None:
    """The first declaration of this holder on this day with this outcome ("pass" or "refused")."""
    q = (sa.select(declarations).where(declarations.c.day == day, declarations.c.holder == holder,
                                       declarations.c.outcome == outcome).order_by(declarations.c.id).limit(1))
    with engine.connect() as conn:
        r = conn.execute(q).first()
    return _row(r) if r else None


def by_pass_id(engine: Engine, pass_id: str) -> Row | None:
    with engine.connect() as conn:
        r = conn.execute(sa.select(declarations).where(declarations.c.pass_id == pass_id).limit(1)).first()
    return _row(r) if r else None


def add(engine: Engine, *, day: str, holder: str, via: str, declared_at: float, outcome: str,
        reasons: list[str], pass_id: str | None, guard: str | None, sealed: bytes) -> int:
    with engine.begin() as conn:
        result = conn.execute(declarations.insert().values(
            day=day, holder=holder, via=via, declared_at=declared_at, outcome=outcome, reasons=",".join(reasons),
            pass_id=pass_id, guard=guard, sealed=sealed))
        return result.inserted_primary_key[0]


def rows(engine: Engine, *, day: str | None = None, holders: list[str] | None = None,
         via: str | None = None) -> list[Row]:
    q = sa.select(declarations).order_by(declarations.c.declared_at, declarations.c.id)
    if day is not None:
        q = q.where(declarations.c.day == day)
    if holders is not None:
        q = q.where(declarations.c.holder.in_(holders))
    if via is not None:
        q = q.where(declarations.c.via == via)
    with engine.connect() as conn:
        return [_row(r) for r in conn.execute(q)]


def record_read(engine: Engine, *, at: float, reader: str, purpose: str, holders: list[str]) -> None:
    with engine.begin() as conn:
        conn.execute(contact_reads.insert().values(at=at, reader=reader, purpose=purpose, rows=len(holders),
                                                   holders=",".join(holders)))


def reads(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(contact_reads).order_by(contact_reads.c.id))]


def purge(engine: Engine, *, before: float) -> int:
    """Delete declarations made before `before` (the retention period's start); logs the count."""
    with engine.begin() as conn:
        count = conn.execute(declarations.delete().where(declarations.c.declared_at < before)).rowcount
    if count:
        log.info("purged %s declarations past their retention period", count)
    return count


def publish_settings(engine: Engine, body: str, secret_fingerprint: str, at: float) -> None:
    """Keep the server's settings where a gate's guard desk reads them (one row, replaced)."""
    with engine.begin() as conn:
        conn.execute(published_settings.delete())
        conn.execute(published_settings.insert().values(id=1, saved_at=at, secret_fingerprint=secret_fingerprint,
                                                        body=body))


def read_settings(engine: Engine) -> tuple[str, str] | None:
    """(settings JSON, site secret fingerprint) the server published, or None before it ever did."""
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table(published_settings.name):  # a database no server has set up
            return None
        row = conn.execute(sa.select(published_settings.c.body, published_settings.c.secret_fingerprint)).first()
    return (row.body, row.secret_fingerprint) if row else None


def _v1(conn) -> None:
    metadata.create_all(conn)


def _v2(conn) -> None:
    metadata.create_all(conn, tables=[published_settings])


#: the "declaration" component's migrations, in order, for the server's
#: db.register_migrations("declaration", MIGRATIONS)
MIGRATIONS = [_v1, _v2]
