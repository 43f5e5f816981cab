"""The site database: SQLAlchemy Core tables, one engine, versioned migrations.

SQLite (a file, the default) or PostgreSQL (psycopg 3) behind the same Core statements. The
schema is versioned per component in `schema_version` (component, version); each component
(the server's own "core", the declaration form's "declaration", ...) registers an ordered list
of migration functions, and `Database.migrate()` runs those not yet applied, each in its own
transaction with its version bump, so a crash mid-way leaves a schema at a known version.
Why not Alembic: a handful of tables, migrations that must run unattended at `site serve`'s
start on both engines, and no second tool to install and learn; the table is the same idea.

Other packages of the server add tables to `metadata` and migrations with
`register_migrations(component, [fn, ...])` before `migrate()` runs (see app.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence

from sqlalchemy import (BigInteger, Column, Float, Index, Integer, MetaData, String, Table, Text, and_, create_engine,
                        event, inspect, literal_column, select)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql import ColumnElement
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from . import ServerError
from .config import DatabaseConfig

log = logging.getLogger(__name__)

metadata = MetaData()

schema_version = Table(
    "schema_version", metadata,
    Column("component", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
)

#: every gate's ledger events, once each: the event id is the key (docs/mqtt.md)
events = Table(
    "events", metadata,
    Column("id", String(64), primary_key=True),
    Column("site", String(64), nullable=False),
    Column("gate", String(64), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("at", Float, nullable=False),
    Column("type", String(32), nullable=False),
    Column("reason", String(64)),
    Column("direction", String(16)),
    Column("pseudonym", String(64)),
    Column("format", String(32)),
    Column("received_at", Float, nullable=False),
    # kept by pairing.py as rows arrive: the gate's zone (else the site), and on an entry the holder's
    # next movement there (its time, and its gate when it is an exit)
    Column("place", String(64)),
    Column("next_at", Float),
    Column("next_exit_gate", String(64)),
)
# covering on PostgreSQL: counts per gate and type over a span read the index only
Index("events_site_at", events.c.site, events.c.at,
      postgresql_include=["pseudonym", "type", "gate"])
# a holder's movements in one place in time order: pairing.py's neighbours, a holder's movements
Index("events_holder_at", events.c.pseudonym, events.c.site, events.c.place, events.c.at)
#: the rows that open stays, as the partial index below names them (a query must name them alike
#: to use it): a span's stays are read from that index only on PostgreSQL (reports.stays_select)
ENTRIES = and_(events.c.type == literal_column("'entry'"), events.c.pseudonym.is_not(None))
Index("events_entries", events.c.site, events.c.at, postgresql_where=ENTRIES, sqlite_where=ENTRIES,
      postgresql_include=["pseudonym", "place", "gate", "next_at", "next_exit_gate"])
Index("events_site_gate_seq", events.c.site, events.c.gate, events.c.seq)
Index("events_received_at", events.c.received_at)

users = Table(
    "users", metadata,
    Column("name", String(64), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)

sessions = Table(
    "sessions", metadata,
    Column("token_hash", String(64), primary_key=True),  # sha256 of the cookie: a DB leak is no login
    Column("name", String(64), nullable=False),
    Column("role", String(16), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("last_seen", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
)

#: who traced, re-identified, exported or purged what, when and why; readable by managers
audit = Table(
    "audit", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False),
    Column("user", String(64), nullable=False),
    Column("role", String(16), nullable=False),
    Column("action", String(32), nullable=False),
    Column("site", String(64)),
    Column("purpose", Text, nullable=False),
    Column("detail", Text, nullable=False),  # JSON: pseudonyms and counts, never a name or phone
)
Index("audit_at", audit.c.at)

#: per site and origin gate, the seq up to which every shared event of that gate is held (or was
#: never kept by the gates): how far the server has caught up through the site exchange (catchup.py)
site_heads = Table(
    "site_heads", metadata,
    Column("site", String(64), primary_key=True),
    Column("origin", String(64), primary_key=True),
    Column("seq", BigInteger, nullable=False),
)

#: per site and gate, the seq up to which the server holds every event the gate recorded itself (or
#: the gate no longer keeps): how far it has caught up through the gates' history answers (history.py)
gate_heads = Table(
    "gate_heads", metadata,
    Column("site", String(64), primary_key=True),
    Column("gate", String(64), primary_key=True),
    Column("seq", BigInteger, nullable=False),
)


#: per site, the zones its rows' places and pairs were made with, as JSON (pairing.py)
site_pairing = Table(
    "site_pairing", metadata,
    Column("site", String(64), primary_key=True),
    Column("zones", Text, nullable=False),
)


def _core_v1(conn: Connection) -> None:
    metadata.create_all(conn, tables=[events, users, sessions, audit])


def _core_v2(conn: Connection) -> None:
    metadata.create_all(conn, tables=[site_heads])


def _core_v3(conn: Connection) -> None:
    metadata.create_all(conn, tables=[gate_heads])


def _core_v4(conn: Connection) -> None:
    """Places and pairs (pairing.py): the columns, their index and the table of what was paired.
    The rows are paired at the server's start (pairing.repair), which knows the zones."""
    held = {column["name"] for column in inspect(conn).get_columns("events")}
    for name in ("place", "next_at", "next_exit_gate"):
        if name not in held:
            column = events.c[name]
            conn.exec_driver_sql(f"ALTER TABLE events ADD COLUMN {name} {column.type.compile(conn.dialect)}")
    conn.exec_driver_sql("DROP INDEX IF EXISTS events_pseudonym_at")  # events_holder_at leads with the pseudonym
    for index in events.indexes:
        if index.name in ("events_entries", "events_holder_at"):
            index.create(conn, checkfirst=True)
    metadata.create_all(conn, tables=[site_pairing])


Migration = Callable[[Connection], None]
_MIGRATIONS: dict[str, list[Migration]] = {"core": [_core_v1, _core_v2, _core_v3, _core_v4]}


def register_migrations(component: str, migrations: Sequence[Migration]) -> None:
    """Declare a component's migrations, oldest first; migration N brings it to version N.
    Append new ones at the end; never edit or reorder one that has shipped."""
    _MIGRATIONS[component] = list(migrations)


class Database:
    """One engine for the server's lifetime, and the migrations that bring it up to date."""

    def __init__(self, cfg: DatabaseConfig | str):
        cfg = cfg if isinstance(cfg, DatabaseConfig) else DatabaseConfig(url=cfg)
        self.url = cfg.url
        self.is_sqlite = cfg.is_sqlite
        url = cfg.url.replace("postgresql://", "postgresql+psycopg://", 1) if cfg.url.startswith(
            "postgresql://") else cfg.url
        try:
            if self.is_sqlite:
                self.engine: Engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
                event.listen(self.engine, "connect", _sqlite_pragmas)
            else:
                self.engine = create_engine(url, pool_size=cfg.pool_size, pool_pre_ping=True)
        except (SQLAlchemyError, ImportError, ValueError) as exc:
            raise ServerError(f"database {redact(cfg.url)}: {exc}") from None

    def migrate(self) -> dict[str, int]:
        """Run every registered migration not yet applied; the versions after it."""
        try:
            with self.engine.begin() as conn:
                metadata.create_all(conn, tables=[schema_version])
            done = {}
            for component, steps in _MIGRATIONS.items():
                with self.engine.begin() as conn:
                    current = conn.execute(select(schema_version.c.version).where(
                        schema_version.c.component == component)).scalar()
                current = current or 0
                if current > len(steps):
                    raise ServerError(f"database {redact(self.url)}: schema {component!r} is at version {current}, "
                                      f"newer than this qrgate ({len(steps)}); upgrade qrgate")
                for number, step in enumerate(steps[current:], start=current + 1):
                    with self.engine.begin() as conn:
                        step(conn)
                        if number == 1:
                            conn.execute(schema_version.insert().values(component=component, version=1))
                        else:
                            conn.execute(schema_version.update().where(
                                schema_version.c.component == component).values(version=number))
                    log.info("schema %s: migrated to version %s", component, number)
                done[component] = len(steps)
            return done
        except OperationalError as exc:
            raise ServerError(f"database {redact(self.url)}: {exc.orig or exc}".splitlines()[0]) from None

    def insert_ignoring_duplicates(self, conn: Connection, table: Table, rows: Iterable[dict],
                                   keys: Sequence[str]) -> None:
        """INSERT ... ON CONFLICT DO NOTHING on either engine: a row already held is skipped."""
        rows = list(rows)
        if not rows:
            return
        conn.execute(self._insert(table).on_conflict_do_nothing(index_elements=list(keys)), rows)

    def insert_or_update(self, conn: Connection, table: Table, rows: Iterable[dict], keys: Sequence[str],
                         column: str, when: Callable[[ColumnElement, ColumnElement], ColumnElement]) -> None:
        """INSERT ... ON CONFLICT on either engine: a row already held keeps everything but `column`,
        which takes the new value where when(held value, new value) is true."""
        rows = list(rows)
        if not rows:
            return
        stmt = self._insert(table)
        conn.execute(stmt.on_conflict_do_update(index_elements=list(keys), set_={column: stmt.excluded[column]},
                                                where=when(table.c[column], stmt.excluded[column])), rows)

    def refresh_statistics(self) -> None:
        """Let SQLite's planner see the tables as they are now: it keeps no statistics unless asked,
        and without them it reads a trace case's own stays by time (a day of entries), not by
        holder. A sample of each index is enough. PostgreSQL's autovacuum does this itself."""
        if self.is_sqlite:
            with self.engine.begin() as conn:
                conn.exec_driver_sql("PRAGMA analysis_limit = 1000")
                conn.exec_driver_sql("ANALYZE")

    def _insert(self, table: Table):
        return (sqlite if self.is_sqlite else postgresql).insert(table)

    def close(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # readers (the API) never wait on the ingest writer
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


class _Extreme(FunctionElement):
    """The greater or lesser of values that are never NULL: GREATEST / LEAST on PostgreSQL,
    max() / min() with several arguments on SQLite. Cheaper than a CASE, which a query that clips
    thousands of stays evaluates several times a row."""
    type = Float()
    inherit_cache = True
    names = ("", "")  # PostgreSQL's, SQLite's


class later(_Extreme):
    inherit_cache = True
    names = ("greatest", "max")


class earlier(_Extreme):
    inherit_cache = True
    names = ("least", "min")


@compiles(_Extreme)
def _extreme(element, compiler, **kw):
    return f"{element.names[0]}({compiler.process(element.clauses, **kw)})"


@compiles(_Extreme, "sqlite")
def _extreme_on_sqlite(element, compiler, **kw):
    return f"{element.names[1]}({compiler.process(element.clauses, **kw)})"


def redact(url: str) -> str:
    """A database URL without its password, for messages."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        cred, host = rest.rsplit("@", 1)
        return f"{scheme}://{cred.split(':', 1)[0]}@{host}"
    return url
