"""The declarations' tables on PostgreSQL (127.0.0.1:5432, a database of this test's own): the same
statements as on SQLite, the same pass back the same day, sealed contacts, the tracer's read."""

from __future__ import annotations

import os
import uuid

import pytest
import sqlalchemy as sa

from declaration_fixtures import NOW, TODAY, form_of, people  # noqa: F401
from qrgate.credentials.keys import load_private_key
from qrgate.server.declaration import store
from qrgate.server.declaration.form import validate
from qrgate.server.declaration.service import DeclarationService, NotTracer
from qrgate.server.declaration.settings import DeclarationSettings

PG_ADMIN = os.environ.get("QRGATE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture
def pg_engine():
    try:
        import psycopg
    except ImportError:
        pytest.fail("these tests need psycopg 3: pip install -e '.[test]' (make test does it)", pytrace=False)
    name = f"qrgate_decl_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(f"these tests need PostgreSQL at {PG_ADMIN} ({str(exc).strip().splitlines()[0]}); "
                    "'make test' installs and starts it", pytrace=False)
    admin.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + f"/{name}"
    engine = sa.create_engine(url)
    yield engine
    engine.dispose()
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def test_declarations_on_postgresql(pg_engine, keys, people):
    service = DeclarationService(pg_engine, DeclarationSettings(site_number=7), site_secret=b"p" * 32,
                                 signing_key=load_private_key(keys["private_key"])[1])
    with pg_engine.begin() as conn:  # the migration is idempotent: the server's migrate() may run it again
        store.MIGRATIONS[0](conn)
    declaration, _ = validate(form_of(people[0]), service.settings.questions, TODAY)
    first = service.declare(declaration, NOW)
    assert service.declare(declaration, NOW + 60).pass_text == first.pass_text
    refused, _ = validate(form_of(people[1], q_fever="yes"), service.settings.questions, TODAY)
    assert service.declare(refused, NOW).reasons == ("fever",)
    with pg_engine.connect() as conn:
        sealed = [bytes(r.sealed) for r in conn.execute(sa.select(store.declarations))]
    assert all(people[0].phone.encode() not in box for box in sealed)
    with pytest.raises(NotTracer):
        service.contacts("mai", ["manager"], NOW, purpose="x")
    rows = service.contacts("lan", ["tracer"], NOW, purpose="case 3", day=TODAY.isoformat())
    assert sorted(r["phone"] for r in rows) == sorted([people[0].phone, people[1].phone])
    assert service.purge(NOW + 22 * 86400) == 2
