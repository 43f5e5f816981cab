"""The declarations' tables on PostgreSQL (127.0.0.1:5432, a database of this test's own): the same
statements as on SQLite, the same pass back the same day, sealed contacts, the tracer's read."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from declaration_fixtures import NOW, TODAY, form_of, people  # noqa: F401
from site_server_fixtures import scratch_database
from qrgate.credentials.keys import load_private_key
from qrgate.server.declaration import store
from qrgate.server.declaration.form import validate
from qrgate.server.declaration.service import DeclarationService, NotTracer
from qrgate.server.declaration.settings import DeclarationSettings


@pytest.fixture
def pg_engine():
    """An engine on a database of this test's own."""
    with scratch_database("qrgate_decl") as url:
        engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        yield engine
        engine.dispose()


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
