"""Fixtures of the site server's tests: a PostgreSQL database of their own, a server config per engine.

PostgreSQL is the machine's at 127.0.0.1:5432 (trust auth; `make test` installs and starts it).
The session makes its own uniquely named database and drops it at the end; each test starts
from an empty schema. A missing PostgreSQL fails the tests that need it, naming it.
"""

from __future__ import annotations

import contextlib
import os
import uuid

import pytest

PG_ADMIN = os.environ.get("QRGATE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
PASSWORD = "correct horse battery"


@contextlib.contextmanager
def scratch_database(prefix: str):
    """postgresql://... of a new, uniquely named database, dropped on leaving."""
    import psycopg

    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(f"these tests need PostgreSQL at {PG_ADMIN} ({str(exc).strip().splitlines()[0]}). "
                    "Run 'make test', which installs and starts it.", pytrace=False)
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(scope="session")
def pg_database():
    """postgresql://... of a database made for this test session, dropped after it."""
    with scratch_database("qrgate_test") as url:
        yield url


def empty_schema(url: str) -> None:
    """Drop every table of the database, so a test starts with no schema at all."""
    from sqlalchemy import MetaData, create_engine

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    meta = MetaData()
    meta.reflect(engine)
    meta.drop_all(engine)
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A database URL of each engine, empty."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/site.db"
    url = request.getfixturevalue("pg_database")
    empty_schema(url)
    return url


def server_config(db_url: str, **overrides):
    from qrgate.server.config import ServerConfig

    doc = {"database": {"url": db_url},
           "sites": [{"id": "site1", "tz": "Asia/Ho_Chi_Minh"}]}
    doc.update(overrides)
    return ServerConfig.model_validate(doc)


def login(client, name: str, password: str = PASSWORD) -> dict:
    """Log a TestClient in; the answer has the CSRF token for actions."""
    answer = client.post("/api/login", json={"name": name, "password": password})
    assert answer.status_code == 200, answer.text
    return answer.json()
