"""A PostgreSQL database of a bench's own at 127.0.0.1:5432, dropped afterwards (used by the site benches)."""

from __future__ import annotations

import contextlib
import os
import uuid

ADMIN = os.environ.get("QRGATE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextlib.contextmanager
def scratch_database(tag: str):
    import psycopg

    name = f"qrgate_bench_{tag}_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(ADMIN, autocommit=True, connect_timeout=5)
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
