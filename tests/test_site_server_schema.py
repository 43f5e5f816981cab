"""schemathesis, from the site server's own OpenAPI document: no request it makes gets a server error.

Each generated request goes in as a tracer and as an admin (each with its CSRF token), on
SQLite and on PostgreSQL, each holding a few hours of events at two gates, with a pass register to exercise pass ids.
Bounded: a few examples per operation, so it runs in seconds.
"""

from __future__ import annotations

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from qrgate.server.app import create_app
from qrgate.server.auth import COOKIE, Auth
from qrgate.server.db import Database
from qrgate.server.ingest import Ingest
from qrgate.server.register import add_entry, init_register
from site_server_fixtures import PASSWORD, empty_schema, pg_database, server_config  # noqa: F401

T0 = 1_795_000_000.0


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site_app(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("schema")
    if request.param == "sqlite":
        url = f"sqlite:///{tmp}/site.db"
    else:
        url = request.getfixturevalue("pg_database")
        empty_schema(url)
    (tmp / "site.secret").write_bytes(b"z" * 32)
    init_register(tmp / "reg.jsonl", tmp / "reg.key")
    add_entry(tmp / "reg.jsonl", pass_id="0123456789ab", fmt="qrgate-pass", holder_hex="0a" * 8, name="A",
              phone="1", issued_at=T0)
    cfg = server_config(url,
                        sites=[{"id": "site1", "tz": "Asia/Ho_Chi_Minh", "secret_file": str(tmp / "site.secret"),
                                "zones": {"hall": ["g1"]}}],
                        pass_register={"path": str(tmp / "reg.jsonl"), "key_file": str(tmp / "reg.key")},
                        auth={"login_attempts": 1000})
    db = Database(cfg.database)
    app = create_app(cfg, db=db, plugins=[])
    auth = Auth(db, cfg.auth)
    for name, role in (("tina", "tracer"), ("adam", "admin")):
        auth.add_user(name, role, PASSWORD, T0)
    Ingest(cfg, db).store([
        {"id": f"e{i}", "site": "site1", "gate": f"g{i % 2 + 1}", "seq": i, "at": T0 + 60 * i,
         "type": ("entry", "exit", "denied", "alarm")[i % 4], "reason": "granted", "direction": None,
         "pseudonym": f"{i % 7:016x}", "format": "qrgate-pass", "received_at": T0 + 60 * i} for i in range(200)])
    yield app
    db.close()


@pytest.fixture(scope="module")
def sessions(site_app):
    """(cookies, headers) of a tracer and of an admin."""
    found = []
    with TestClient(site_app) as client:
        for name in ("tina", "adam"):
            answer = client.post("/api/login", json={"name": name, "password": PASSWORD})
            assert answer.status_code == 200, answer.text
            found.append(({COOKIE: answer.cookies[COOKIE]}, {"X-CSRF-Token": answer.json()["csrf"]}))
    return found


def test_no_request_gets_a_server_error(site_app, sessions):
    schema = schemathesis.openapi.from_asgi("/openapi.json", site_app)
    tried, statuses = [], set()
    for result in schema.get_all_operations():
        operation = result.ok()
        # logging out or removing a user would end the sessions the other cases use
        if operation.path == "/api/logout" or operation.method.upper() == "DELETE":
            continue
        tried.append(f"{operation.method.upper()} {operation.path}")

        @given(operation.as_strategy())
        @settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def no_server_error(case):
            responses = []
            for cookies, headers in sessions:
                responses.append(case.call(cookies=cookies, headers={**(case.headers or {}), **headers}))
                if case.path_parameters and "site" in case.path_parameters:  # and again at the one real site
                    case.path_parameters["site"] = "site1"
                    responses.append(case.call(cookies=cookies, headers={**(case.headers or {}), **headers}))
            for response in responses:
                assert response.status_code < 500, (case.method, case.formatted_path, case.query, case.body,
                                                    response.status_code, response.text[:300])
                statuses.add(response.status_code)

        no_server_error()
    assert len(tried) >= 15, tried
    assert 200 in statuses  # the cases reached the code behind the checks, not only refusals
