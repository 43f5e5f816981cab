"""The site server on SQLite and on a real PostgreSQL: migrations, exactly-once storage, logins,
roles and CSRF, reports in the site's time zone, contact tracing, re-identification, retention."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import subprocess
import sys
import uuid
import zoneinfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from qrgate.pseudonym import pseudonym
from qrgate.server import ServerError
from qrgate.server import db as site_db
from qrgate.server.app import create_app
from qrgate.server.auth import Auth
from qrgate.server.catchup import Catchup
from qrgate.server.db import Database, events, site_heads
from qrgate.server.ingest import BadEvent, Ingest, parse_event
from qrgate.server.pairing import Pairing
from qrgate.server.register import add_entry, init_register
from qrgate.server.rows import shared_event_row
from qrgate.server.retention import purge
from site_server_fixtures import PASSWORD, db_url, login, pg_database, server_config  # noqa: F401
from waiting import wait_until as wait

TZ = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")  # UTC+7
T0 = dt.datetime(2026, 11, 20, 8, 0, tzinfo=TZ).timestamp()  # 08:00 local
MIN = 60


def event(gate: str, seq: int, at: float, kind: str, holder: str | None = None, reason: str = "granted",
          site: str = "site1") -> dict:
    return {"id": uuid.uuid4().hex, "site": site, "gate": gate, "seq": seq, "at": at, "type": kind,
            "reason": reason, "direction": kind if kind in ("entry", "exit") else None, "pseudonym": holder,
            "format": "qrgate-pass", "received_at": at + 0.1}


def make_app(db_url, tmp_path=None, **overrides):
    cfg = server_config(db_url, **overrides)
    db = Database(cfg.database)
    app = create_app(cfg, db=db, plugins=[])
    auth = Auth(db, cfg.auth)
    for name, role in (("mona", "manager"), ("tina", "tracer"), ("adam", "admin")):
        auth.add_user(name, role, PASSWORD, T0)
    return app, db, cfg


def store(db, cfg, rows):
    Ingest(cfg, db).store(rows)


def test_migrations_run_once_and_refuse_a_newer_schema(db_url):
    db = Database(db_url)
    # components that registered their migrations when imported (the declaration form) come along
    first = db.migrate()
    assert first["core"] == 4
    assert db.migrate() == first  # a second start changes nothing
    calls = []
    site_db.register_migrations("testpart", [lambda conn: calls.append(1), lambda conn: calls.append(2)])
    try:
        assert db.migrate()["testpart"] == 2 and calls == [1, 2]
        assert db.migrate()["testpart"] == 2 and calls == [1, 2]
        site_db.register_migrations("testpart", [lambda conn: None])  # an older qrgate on a newer schema
        with pytest.raises(ServerError, match="newer than this qrgate"):
            db.migrate()
    finally:
        site_db._MIGRATIONS.pop("testpart")
        db.close()


def test_each_event_is_stored_once_by_id(db_url):
    cfg = server_config(db_url)
    db = Database(cfg.database)
    db.migrate()
    rows = [event("g1", i, T0 + i, "entry", f"{i:016x}") for i in range(300)]
    ingest = Ingest(cfg, db)
    ingest.store(rows[:200])
    ingest.store(rows[100:] + rows[:10])  # redelivered, and a batch holding one id twice
    ingest.store(rows[5:6] * 3)
    with db.engine.connect() as conn:
        ids = [r[0] for r in conn.execute(select(events.c.id))]
    assert sorted(ids) == sorted(r["id"] for r in rows)
    db.close()


def test_the_gates_copy_fills_in_the_seq_of_an_event_the_site_exchange_brought_first(db_url):
    cfg = server_config(db_url)
    db = Database(cfg.database)
    db.migrate()
    caught_up, known = event("g1", 0, T0, "entry", "ab" * 8), event("g1", 4, T0 + 1, "exit", "ab" * 8)
    ingest = Ingest(cfg, db)
    ingest.store([caught_up, known])
    ingest.store([{**caught_up, "seq": 7, "reason": "changed"}, {**known, "seq": 9}])  # the outbox's copies
    with db.engine.connect() as conn:
        held = {r.id: (r.seq, r.reason) for r in conn.execute(select(events.c.id, events.c.seq, events.c.reason))}
    assert held == {caught_up["id"]: (7, "granted"), known["id"]: (4, "granted")}  # nothing else changes
    db.close()


def test_a_shared_event_of_the_site_exchange_is_checked_as_the_gates_own():
    shared = {"id": "e1", "origin": "g2", "origin_seq": 5, "at": T0, "order_at": T0, "gate": "g2", "type": "exit",
              "reason": "granted", "direction": "exit", "holder": "cd" * 8, "format": "qrgate-pass",
              "pass_id": "p1", "code_step": None}
    assert shared_event_row("site1", shared, T0 + 1) == {
        "id": "e1", "site": "site1", "gate": "g2", "seq": 0, "at": T0, "type": "exit", "reason": "granted",
        "direction": "exit", "pseudonym": "cd" * 8, "format": "qrgate-pass", "received_at": T0 + 1}
    for change, said in (({"origin": None}, "no origin"), ({"holder": "x" * 65}, "bad pseudonym"),
                         ({"reason": "r\u0000"}, "bad reason"), ({"at": "now"}, "no time")):
        with pytest.raises(BadEvent, match=said):
            shared_event_row("site1", {**shared, **change}, T0)


def test_the_server_asks_the_gate_that_is_ahead_and_holds_only_what_a_whole_batch_shows(db_url, caplog):
    cfg = server_config(db_url)
    db = Database(cfg.database)
    db.migrate()
    asked: list[tuple[str, dict]] = []
    catchup = Catchup(db, "qrgate", Pairing(cfg.sites), "srv",
                      lambda topic, payload: asked.append((topic, json.loads(payload))))
    base = "qrgate/site1/sync"

    def shared(gate: str, seq: int, **change) -> dict:
        return {"id": f"{gate}-{seq}", "origin": gate, "origin_seq": seq, "at": T0 + seq, "order_at": T0 + seq,
                "gate": gate, "type": "entry", "reason": "granted", "direction": "entry", "holder": "ab" * 8,
                "format": "qrgate-pass", "pass_id": None, "code_step": None, **change}

    def batch(gate: str, origin: str, after: int, through: int, events: list, to: str = "srv") -> None:
        catchup.take(f"{base}/{gate}/batch", json.dumps({"to": to, "origin": origin, "after": after,
                                                         "through": through, "more": False, "events": events}).encode())

    def stored() -> set[str]:
        with db.engine.connect() as conn:
            return set(conn.execute(select(events.c.id)).scalars())

    catchup.start()
    try:
        catchup.take("qrgate/site1/g1/availability", b"online")
        catchup.take(f"{base}/g1/hello", json.dumps({"gate": "g1", "head": 3}).encode())
        assert wait(lambda: asked == [(f"{base}/srv/req", {"to": "g1", "after": {"g1": 0}})])
        batch("g1", "g1", 0, 3, [shared("g1", 1), shared("g1", 2, holder="x" * 65), shared("g1", 3)])
        assert wait(lambda: stored() == {"g1-1", "g1-3"})  # the good ones are kept; the head does not move
        with db.engine.connect() as conn:  # (rows and head go in one transaction)
            assert conn.execute(select(site_heads.c.seq)).all() == []
        assert "1 malformed event(s) in a batch from gate g1" in caplog.text
        batch("g1", "g1", 0, 3, [shared("g1", 1), shared("g1", 2), shared("g1", 3)], to="g2")  # not ours
        batch("g1", "g1", 0, 3, [shared("g1", 1), shared("g1", 2), shared("g1", 3)])
        assert wait(lambda: stored() == {"g1-1", "g1-2", "g1-3"} and catchup.held == {("site1", "g1"): 3})
        # a gate that is offline: an online gate that said hello relays what it holds of it
        catchup.take("qrgate/site1/g2/availability", b"offline")
        catchup.take(f"{base}/g2/hello", json.dumps({"gate": "g2", "head": 2}).encode())
        assert wait(lambda: (f"{base}/srv/req", {"to": "g1", "after": {"g2": 0}}) in asked)
        # a gate named like the server is named in the log, never asked
        catchup.take(f"{base}/srv/hello", json.dumps({"gate": "srv", "head": 9}).encode())
        assert wait(lambda: "a gate is named 'srv'" in caplog.text)
        assert not [a for a in asked if "srv" in a[1]["after"]]
        assert {topic for topic, _ in asked} == {f"{base}/srv/req"}
    finally:
        catchup.stop()
    with db.engine.connect() as conn:
        assert dict(conn.execute(select(site_heads.c.origin, site_heads.c.seq)).all()) == {"g1": 3}
    db.close()


def test_a_row_the_database_refuses_is_dropped_alone(db_url, caplog):
    cfg = server_config(db_url)
    db = Database(cfg.database)
    db.migrate()
    rows = [event("g1", i, T0 + i, "entry", f"{i:016x}") for i in range(5)]
    rows[2]["type"] = None  # NOT NULL: the database refuses it (parse_event never lets one through)
    ingest = Ingest(cfg, db)
    with pytest.raises(IntegrityError):
        ingest.store(rows)
    ingest._store_one_by_one(rows)
    with db.engine.connect() as conn:
        assert sorted(r[0] for r in conn.execute(select(events.c.id))) == sorted(
            r["id"] for i, r in enumerate(rows) if i != 2)
    assert ingest.stats.rejected == 1 and rows[2]["id"] in caplog.text
    db.close()


def test_a_bad_message_is_named_and_never_stored():
    good = json.dumps({"id": "a1", "seq": 3, "at": T0, "type": "entry", "pseudonym": "ab" * 8}).encode()
    assert parse_event("site1", "g1", good, T0)["seq"] == 3
    for payload, said in ((b"{", "not JSON"), (b"[]", "not a JSON object"), (b'{"seq": 1, "at": 1}', "no id"),
                          (json.dumps({"id": "x", "seq": -1, "at": 1, "type": "e"}).encode(), "no seq"),
                          (json.dumps({"id": "x", "seq": 1, "at": "now", "type": "e"}).encode(), "no time"),
                          (json.dumps({"id": "x", "seq": 1, "at": 1, "type": 5}).encode(), "bad type"),
                          (json.dumps({"id": "x", "seq": 2**63, "at": 1, "type": "e"}).encode(), "no seq"),
                          (json.dumps({"id": "x", "seq": 1, "at": float("nan"), "type": "e"}).encode(), "no time"),
                          (json.dumps({"id": "x", "seq": 1, "at": 1, "type": "entry\u0000"}).encode(), "bad type")):
        with pytest.raises(BadEvent, match=said):
            parse_event("site1", "g1", payload, T0)


def test_logins_roles_csrf_and_the_rate_limit(db_url):
    app, db, cfg = make_app(db_url)
    with TestClient(app) as client:
        assert client.get("/api/sites/site1/today").status_code == 401  # nobody logged in
        assert client.post("/api/login", json={"name": "mona", "password": "wrong password"}).status_code == 401
        me = login(client, "mona")
        assert me["role"] == "manager"
        assert client.get("/api/sites/site1/today").status_code == 200
        assert client.get("/api/sites/nowhere/today").status_code == 404
        body = {"case": "ab" * 8, "start": T0, "end": T0 + 3600, "purpose": "case 12"}
        assert client.post("/api/sites/site1/trace", json=body, headers={"X-CSRF-Token": me["csrf"]}).status_code == 403
        assert client.get("/api/users").status_code == 403
        assert client.get("/api/audit").status_code == 200  # managers read the trace log
    with TestClient(app) as client:
        me = login(client, "tina")
        body = {"case": "ab" * 8, "start": T0, "end": T0 + 3600, "purpose": "case 12"}
        assert client.post("/api/sites/site1/trace", json=body).status_code == 403  # no CSRF token
        assert client.post("/api/sites/site1/trace", json=body, headers={"X-CSRF-Token": "x" * 32}).status_code == 403
        assert client.post("/api/sites/site1/trace", json=body, headers={"X-CSRF-Token": me["csrf"]}).status_code == 200
        assert client.get("/api/audit").status_code == 403
    with TestClient(app) as client:
        for _ in range(cfg.auth.login_attempts):
            assert client.post("/api/login", json={"name": "adam", "password": "guess guess"}).status_code == 401
        # over the limit even the right password waits
        assert client.post("/api/login", json={"name": "adam", "password": PASSWORD}).status_code == 429
    db.close()


def test_sessions_expire_and_a_new_password_ends_them(db_url):
    app, db, cfg = make_app(db_url)
    auth = app.state.auth
    token, user = auth.login("mona", PASSWORD, "127.0.0.1", T0)
    assert auth.session(token, T0 + 60) == user
    assert auth.session(token, T0 + cfg.auth.idle_minutes * 60 + 120) is None  # idle too long
    token, _ = auth.login("mona", PASSWORD, "127.0.0.1", T0)
    assert auth.session(token, T0 + cfg.auth.session_minutes * 60 + 1) is None  # past its life
    token, _ = auth.login("mona", PASSWORD, "127.0.0.1", T0)
    auth.add_user("mona", "manager", "another long password", T0)
    assert auth.session(token, T0 + 1) is None
    with pytest.raises(ServerError, match="at least"):
        auth.add_user("bob", "manager", "short", T0)
    with pytest.raises(ServerError, match="role"):
        auth.add_user("bob", "boss", PASSWORD, T0)
    db.close()


def test_counts_fall_in_the_site_days_and_hours(db_url):
    app, db, cfg = make_app(db_url)
    midnight = dt.datetime(2026, 11, 21, 0, 0, tzinfo=TZ).timestamp()
    store(db, cfg, [
        event("g1", 1, midnight - 10 * MIN, "entry", "a" * 16),  # 23:50 on the 20th (16:50 UTC)
        event("g1", 2, midnight + 10 * MIN, "entry", "b" * 16),  # 00:10 on the 21st (still the 20th in UTC)
        event("g2", 1, midnight + 20 * MIN, "exit", "b" * 16),
        event("g2", 2, midnight + 30 * MIN, "denied", "c" * 16, reason="expired"),
        event("g2", 3, midnight + 31 * MIN, "denied", "c" * 16, reason="expired"),
        event("g1", 3, midnight + 65 * MIN, "denied", "d" * 16, reason="revoked"),
        event("g1", 4, midnight + 66 * MIN, "alarm", reason="door_forced"),
    ])
    with TestClient(app) as client:
        login(client, "mona")
        days = client.get("/api/sites/site1/counts", params={"from_day": "2026-11-20", "to_day": "2026-11-21"}).json()
        assert days == [
            {"site": "site1", "day": "2026-11-20", "gate": "g1", "entries": 1, "exits": 0, "denials": 0},
            {"site": "site1", "day": "2026-11-21", "gate": "g1", "entries": 1, "exits": 0, "denials": 1},
            {"site": "site1", "day": "2026-11-21", "gate": "g2", "entries": 0, "exits": 1, "denials": 2}]
        hours = client.get("/api/sites/site1/counts", params={"from_day": "2026-11-21", "by": "hour",
                                                              "gate": "g1"}).json()
        assert [(h["hour"], h["entries"], h["denials"]) for h in hours] == [
            ("2026-11-21T00:00", 1, 0), ("2026-11-21T01:00", 0, 1)]
        denials = client.get("/api/sites/site1/denials", params={"from_day": "2026-11-21"}).json()
        assert denials == [{"gate": "g2", "reason": "expired", "count": 2}, {"gate": "g1", "reason": "revoked",
                                                                             "count": 1}]
        alarms = client.get("/api/sites/site1/alarms", params={"from_day": "2026-11-21"}).json()
        assert [(a["gate"], a["alarm"]) for a in alarms] == [("g1", "door_forced")]
        occupancy = client.get("/api/sites/site1/occupancy", params={"day": "2026-11-21", "step_minutes": 15}).json()
        points = {p["at"]: p["inside"] for p in occupancy[0]["points"]}
        assert points[midnight] == 1  # a entered at 23:50 and never left
        assert points[midnight + 15 * MIN] == 2 and points[midnight + 30 * MIN] == 1  # b in 00:10-00:20
        gates = client.get("/api/sites/site1/gates").json()
        assert [(g["gate"], g["last_seq"]) for g in gates] == [("g1", 4), ("g2", 3)]
    db.close()


def trace_fixture(db, cfg):
    """Case c entered 08:00-10:00 at g1; x overlapped 09:30-11:00 (30 min), y 07:00-08:30 (30 min) and
    again 09:50-12:00 (10 min), z came after (none), w was in zone 'lab' (g3) 08:00-09:00."""
    h = 3600
    rows = [event("g1", 1, T0, "entry", "c" * 16), event("g2", 2, T0 + 2 * h, "exit", "c" * 16),
            event("g1", 3, T0 + 1.5 * h, "entry", "1" * 16), event("g2", 4, T0 + 3 * h, "exit", "1" * 16),
            event("g1", 5, T0 - h, "entry", "2" * 16), event("g1", 6, T0 + 0.5 * h, "exit", "2" * 16),
            event("g2", 7, T0 + 110 * MIN, "entry", "2" * 16), event("g1", 8, T0 + 4 * h, "exit", "2" * 16),
            event("g1", 9, T0 + 2.5 * h, "entry", "3" * 16), event("g1", 10, T0 + 3 * h, "exit", "3" * 16),
            event("g3", 1, T0, "entry", "4" * 16), event("g3", 2, T0 + h, "exit", "4" * 16)]
    store(db, cfg, rows)


def test_a_trace_finds_who_overlapped_and_for_how_long(db_url):
    app, db, cfg = make_app(db_url)
    trace_fixture(db, cfg)
    with TestClient(app) as client:
        me = login(client, "tina")
        body = {"case": "c" * 16, "start": "2026-11-20T00:00:00", "end": "2026-11-21T00:00:00",
                "purpose": "case 7 (health office request 12/2026)"}
        result = client.post("/api/sites/site1/trace", json=body, headers={"X-CSRF-Token": me["csrf"]}).json()
        got = [(c["pseudonym"], c["minutes"]) for c in result["contacts"]]
        # longest total first: w 60 min, y 30 + 10, x 30; z came after the case left
        assert got == [("4" * 16, 60.0), ("2" * 16, 30.0), ("2" * 16, 10.0), ("1" * 16, 30.0)]
        assert result["people"] == 3 and result["by"] == "site"
        answer = client.post("/api/sites/site1/trace.csv", json=body, headers={"X-CSRF-Token": me["csrf"]})
        assert answer.headers["content-type"].startswith("text/csv")
        assert answer.content.startswith(b"\xef\xbb\xbf")  # a BOM: Excel reads it as UTF-8
        table = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
        assert table[3]["pseudonym"] == "1" * 16 and table[3]["overlap_start"] == "2026-11-20T09:30:00+07:00"
        assert table[3]["minutes"] == "30.0" and table[3]["entry_gate"] == "g1"
        assert table[3]["exit_gate"] == "g2"  # the gate x left by at 11:00, after the case
    with TestClient(app) as client:
        login(client, "mona")
        log = client.get("/api/audit", params={"from_day": dt.date.today().isoformat()}).json()
        assert [(r["user"], r["action"]) for r in log][:2] == [("tina", "export"), ("tina", "trace")]
        assert log[1]["purpose"] == body["purpose"] and log[1]["detail"]["people"] == 3
    db.close()


def test_with_zones_a_trace_matches_the_same_zone_only(db_url):
    app, db, cfg = make_app(db_url, sites=[{"id": "site1", "tz": "Asia/Ho_Chi_Minh",
                                            "zones": {"hall": ["g1", "g2"], "lab": ["g3"]}}])
    trace_fixture(db, cfg)
    with TestClient(app) as client:
        me = login(client, "tina")
        body = {"case": "c" * 16, "start": T0 - 86400, "end": T0 + 86400, "purpose": "case 7"}
        result = client.post("/api/sites/site1/trace", json=body, headers={"X-CSRF-Token": me["csrf"]}).json()
        assert result["by"] == "zone"
        assert {c["pseudonym"] for c in result["contacts"]} == {"1" * 16, "2" * 16}  # not w in the lab
        assert {c["place"] for c in result["contacts"]} == {"hall"}
    db.close()


def test_only_a_tracer_turns_pass_ids_into_names_and_it_is_logged(db_url, tmp_path):
    secret = b"s" * 32
    (tmp_path / "site.secret").write_bytes(secret)
    register, key = tmp_path / "register.jsonl", tmp_path / "register.key"
    init_register(register, key)
    holders = {"c": "0a" * 8, "x": "0b" * 8}
    for pass_id, (label, holder) in zip(("aaaaaaaaaaa1", "aaaaaaaaaaa2"), holders.items()):
        add_entry(register, pass_id=pass_id, fmt="qrgate-pass", holder_hex=holder, name=f"Nguyễn Văn {label.upper()}",
                  phone="+84 90 000 000" + str(len(label)), issued_at=T0)
    assert b"Nguy" not in register.read_bytes() and b"+84" not in register.read_bytes()  # sealed at rest
    case, other = (pseudonym(secret, "qrgate-pass", h) for h in holders.values())
    app, db, cfg = make_app(db_url, sites=[{"id": "site1", "tz": "Asia/Ho_Chi_Minh",
                                            "secret_file": str(tmp_path / "site.secret")}],
                            pass_register={"path": str(register), "key_file": str(key)})
    store(db, cfg, [event("g1", 1, T0, "entry", case), event("g1", 2, T0 + 600, "entry", other),
                    event("g1", 3, T0 + 3600, "exit", case)])
    body = {"case": "aaaaaaaaaaa1", "start": T0 - 3600, "end": T0 + 7200, "purpose": "case 9", "reidentify": True}
    with TestClient(app) as client:
        me = login(client, "mona")
        assert client.post("/api/sites/site1/reidentify", json={"pseudonyms": [other], "purpose": "x" * 5},
                           headers={"X-CSRF-Token": me["csrf"]}).status_code == 403
    with TestClient(app) as client:
        me = login(client, "tina")
        answer = client.post("/api/sites/site1/trace.csv", json=body, headers={"X-CSRF-Token": me["csrf"]})
        assert answer.status_code == 200, answer.text
        rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
        assert [(r["pass_id"], r["name"], r["phone"], r["minutes"]) for r in rows] == [
            ("aaaaaaaaaaa2", "Nguyễn Văn X", "+84 90 000 0001", "50.0")]
        named = client.post("/api/sites/site1/reidentify", json={"pseudonyms": [other], "purpose": "call x"},
                            headers={"X-CSRF-Token": me["csrf"]}).json()
        assert named["holders"][other][0]["name"] == "Nguyễn Văn X"
    with TestClient(app) as client:
        login(client, "adam")
        log = client.get("/api/audit", params={"from_day": dt.date.today().isoformat()}).json()
        assert [r["action"] for r in log][:3] == ["reidentify", "reidentify", "export"]
        assert "Nguy" not in json.dumps(log)  # the log says who and why, never a name
    db.close()


def test_pass_issue_adds_a_sealed_row_to_the_register(tmp_path, keys):
    register, key = tmp_path / "register.jsonl", tmp_path / "register.key"
    init_register(register, key)
    out = subprocess.run([sys.executable, "-m", "qrgate", "pass", "issue", "--key", keys["private_key"], "--holder",
                          "Trần Thị B", "--phone", "0912345678", "--register", str(register), "--json"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    pass_id = json.loads(out.stdout)["pass_id"]
    rows = [json.loads(line) for line in register.read_text().splitlines()[1:]]
    assert [r["pass_id"] for r in rows] == [pass_id] and "0912345678" not in register.read_text()
    from qrgate.server.register import open_entries, read_entries
    entry = read_entries(register, b"k" * 32)[0]
    opened = open_entries(register, key, b"k" * 32, {entry.pseudonym})
    assert opened[entry.pseudonym] == [{"pass_id": pass_id, "name": "Trần Thị B", "phone": "0912345678"}]


def test_retention_purges_old_movements_and_logs_it(db_url):
    app, db, cfg = make_app(db_url)
    now = T0 + 30 * 86400
    store(db, cfg, [event("g1", 1, T0, "entry", "a" * 16), event("g1", 2, now - 3600, "entry", "b" * 16)])
    assert purge(db, cfg.retention, now) == {"events": 1, "trace_log": 0}
    with db.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(events)).scalar() == 1
    with TestClient(app) as client:
        login(client, "mona")
        log = client.get("/api/audit", params={"from_day": "2026-12-20"}).json()
        assert [(r["action"], r["detail"]["events"]) for r in log] == [("purge", 1)]
    db.close()


def test_site_serve_listens_on_loopback_with_the_api_described(tmp_path, mosquitto):
    import signal

    import httpx

    from gatesim.broker import free_port, wait_for_port

    port = free_port()
    config = tmp_path / "site.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/site.db"\n[http]\nport = {port}\n'
                      f'[mqtt]\nport = {mosquitto.port}\n[[sites]]\nid = "site1"\n')
    proc = subprocess.Popen([sys.executable, "-m", "qrgate", "site", "serve", "--config", str(config)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_port(port, timeout=30)
        doc = httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=5).json()
        assert "/api/sites/{site}/trace" in doc["paths"]
        answer = httpx.get(f"http://127.0.0.1:{port}/api/sites/site1/today", timeout=5)
        assert answer.status_code == 401 and answer.headers["x-frame-options"] == "DENY"
        rebound = httpx.get(f"http://127.0.0.1:{port}/api/me", headers={"Host": "evil.example"}, timeout=5)
        assert rebound.status_code == 400  # a page that rebinds its name to 127.0.0.1 gets nothing
        first = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in first
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(15)
    bad = tmp_path / "bad.toml"
    bad.write_text('[database]\nurl = "mysql://x"\n')
    out = subprocess.run([sys.executable, "-m", "qrgate", "site", "serve", "--config", str(bad)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and out.stderr.strip().count("\n") == 0 and "database.url" in out.stderr


def test_site_commands_add_users_from_stdin_and_make_the_register(tmp_path):
    config = tmp_path / "site.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/site.db"\n'
                      f'[pass_register]\npath = "{tmp_path}/reg.jsonl"\nkey_file = "{tmp_path}/reg.key"\n')

    def site(*argv, stdin=""):
        return subprocess.run([sys.executable, "-m", "qrgate", "site", *argv, "--config", str(config), "--json"],
                              input=stdin, capture_output=True, text=True, timeout=60)

    made = site("register-init")
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "reg.key").stat().st_mode & 0o077 == 0  # the key is its owner's only
    header = json.loads((tmp_path / "reg.jsonl").read_text().splitlines()[0])
    assert header["public_key"] == json.loads(made.stdout)["public_key"]
    again = site("register-init")
    assert again.returncode == 2 and "exists already" in again.stderr  # a key is never replaced
    added = site("user", "add", "--name", "lan", "--role", "tracer", stdin=PASSWORD + "\n")
    assert added.returncode == 0 and json.loads(added.stdout) == {"user": "lan", "role": "tracer", "new": True}
    assert PASSWORD not in added.stdout + added.stderr
    short = site("user", "add", "--name", "lan", "--role", "tracer", stdin="short\n")
    assert short.returncode == 2 and "at least 10" in short.stderr
    listed = json.loads(site("user", "list").stdout)["users"]
    assert [(u["name"], u["role"]) for u in listed] == [("lan", "tracer")]
    assert json.loads(site("purge").stdout) == {"events": 0, "trace_log": 0}
    migrated = json.loads(site("migrate").stdout)
    assert migrated["versions"] == {"core": 4, "declaration": 2}  # the plug-ins too
    assert migrated["paired"] == ["site1"] and json.loads(site("migrate").stdout)["paired"] == []  # once


def test_text_with_a_nul_and_days_out_of_range_are_refused_before_the_database(db_url):
    app, db, cfg = make_app(db_url)
    with TestClient(app) as client:
        assert client.post("/api/login", json={"name": "ti\x00na", "password": PASSWORD}).status_code == 422
        me = login(client, "tina")
        body = {"case": "ab" * 8, "start": T0, "end": T0 + 3600, "purpose": "case\x00 7"}
        answer = client.post("/api/sites/site1/trace", json=body, headers={"X-CSRF-Token": me["csrf"]})
        assert answer.status_code == 422
        assert client.get("/api/sites/site1/counts", params={"gate": "g\x001"}).status_code == 422
        assert client.get("/api/sites/site1/counts", params={"from_day": "9999-12-31"}).status_code == 422
        assert client.get("/api/sites/site1/occupancy", params={"day": "0001-01-01"}).status_code == 422
    db.close()
