"""The declaration on the site server: create_app mounts the form; the tracer reads the declared
contact details and a manager does not; the guard's list and the counts per day; the venue QR."""

from __future__ import annotations

import json
import time

import pytest
from starlette.testclient import TestClient

from declaration_fixtures import form_of, people  # noqa: F401
from qrgate.server.app import create_app
from qrgate.server.config import ServerConfig
from qrgate.server.declaration import install
from qrgate.server.declaration.daypass import local_day
from qrgate.vision.decoder import Decoder

PASSWORD = "correct horse battery"


@pytest.fixture
def site(tmp_path, keys):
    secret = tmp_path / "site.secret"
    secret.write_bytes(b"k" * 32)
    cfg = ServerConfig.model_validate({
        "database": {"url": f"sqlite:///{tmp_path}/site.db"}, "keys": {"pass_key": keys["private_key"]},
        "sites": [{"id": "site1", "tz": "Asia/Ho_Chi_Minh", "secret_file": str(secret)}]})
    app = create_app(cfg, plugins=[install])
    for name, role in (("lan", "tracer"), ("mai", "manager")):
        assert app.state.auth.add_user(name, role, PASSWORD, time.time())
    return app


def _login(app, name):
    client = TestClient(app)
    answer = client.post("/api/login", json={"name": name, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return client


def test_the_tracer_sees_declared_contacts_a_manager_does_not(site, people):
    visitor = TestClient(site)
    assert visitor.get("/declare/?lang=en").status_code == 200
    r = visitor.post("/declare/api/declarations", json=form_of(people[0]))
    assert r.json()["outcome"] == "pass", r.text
    day = local_day(time.time(), "Asia/Ho_Chi_Minh").isoformat()

    manager = _login(site, "mai")
    refused = manager.get(f"/api/declaration/days/{day}/contacts", params={"purpose": "curious"})
    assert refused.status_code == 403 and people[0].phone not in refused.text
    assert manager.get(f"/api/declaration/days/{day}/counts").json()["phone_pass"] == 1

    tracer = _login(site, "lan")
    [row] = tracer.get(f"/api/declaration/days/{day}/contacts", params={"purpose": "case 12"}).json()
    assert (row["name"], row["phone"], row["cccd"]) == (people[0].name, people[0].phone, people[0].number)
    from qrgate.server.declaration import store

    reads = store.reads(site.state.db.engine)
    assert [(r["reader"], r["purpose"], r["rows"]) for r in reads] == [("lan", "case 12", 1)]
    assert TestClient(site).get(f"/api/declaration/days/{day}/contacts", params={"purpose": "x" * 5}).status_code == 401


def test_the_guard_list_has_no_personal_data_and_the_venue_qr_is_for_managers(site, people):
    from qrgate.server.declaration.form import validate

    service = site.state.declaration
    now = time.time()
    declaration, _ = validate(form_of(people[1]), service.settings.questions, service.today(now))
    service.declare(declaration, now, via="guard", guard="an")
    manager = _login(site, "mai")
    day = service.today(now).isoformat()
    [row] = manager.get(f"/api/declaration/days/{day}/guard").json()
    assert row["guard"] == "an" and row["outcome"] == "pass"
    text = json.dumps(row)
    assert people[1].name not in text and people[1].phone not in text and people[1].number not in text
    poster = manager.get("/api/declaration/venue-qr.png")
    assert poster.headers["content-type"] == "image/png"
    import io

    import numpy as np
    from PIL import Image

    [code] = Decoder().decode(np.asarray(Image.open(io.BytesIO(poster.content)).convert("L")), still=True)
    assert code.text == "http://testserver/declare/"
    assert _login(site, "lan").get("/api/declaration/venue-qr.png").status_code == 403


def test_without_the_site_secret_the_form_is_not_served_and_the_log_says_why(tmp_path, keys, caplog):
    cfg = ServerConfig.model_validate({"database": {"url": f"sqlite:///{tmp_path}/site.db"},
                                       "keys": {"pass_key": keys["private_key"]}, "sites": [{"id": "site1"}]})
    app = create_app(cfg, plugins=[install])
    assert TestClient(app).get("/declare/").status_code == 404
    assert "needs [[sites]] secret_file of site site1" in caplog.text
