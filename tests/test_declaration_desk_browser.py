"""The guard's desk on a running gate's console, in Debian's chromium, set up as a site does it:
the site server starts on its database and publishes its [declaration] settings there, and the
gate's `[web] declaration_database` names that database. The guard logs in, the visitor's CCCD
card is read by the gate's camera, the guard takes the phone number and the answers, and the
printed day pass opens the gate under the card's own pseudonym."""

from __future__ import annotations

import dataclasses
import io
import random

import numpy as np
import pytest
from PIL import Image

from declaration_fixtures import TODAY
from gatesim.vietnam import cccd_text, fake_citizen
from qrgate.credentials.keys import new_key
from qrgate.pseudonym import load_or_create_secret
from qrgate.server.app import create_app
from qrgate.server.config import ServerConfig
from qrgate.server.declaration.settings import DEFAULT_QUESTIONS, Question
from qrgate.vision.decoder import Decoder
from web_fixtures import browser, scan, shots, start_web_gate  # noqa: F401

from test_web_pages import login


#: a question of this site's own: the desk must ask what the server's [declaration] asks
TRAVEL = Question(id="travel", vi="Anh/chị có đi nước ngoài trong 14 ngày qua không?",
                  en="Have you been abroad in the last 14 days?", refuse_if_yes=False)


def start_site_server(tmp_path, keys, site_number: int = 7):
    """The site server's app on its SQLite file, as `qrgate site serve` makes it (migrations, the
    declaration published); the gates' site secret is tmp_path/site.secret."""
    load_or_create_secret(tmp_path / "site.secret")
    cfg = ServerConfig.model_validate({
        "database": {"url": f"sqlite:///{tmp_path / 'site.db'}"},
        "sites": [{"id": "site1", "tz": "Asia/Ho_Chi_Minh", "secret_file": str(tmp_path / "site.secret")}],
        "keys": {"pass_key": keys["private_key"]},
        "declaration": {"site_number": site_number, "questions": [*DEFAULT_QUESTIONS, TRAVEL]}})
    return create_app(cfg)


@pytest.fixture
def desk_gate(tmp_path, mosquitto):
    keys = new_key(tmp_path / "keys")
    server = start_site_server(tmp_path, keys)
    gate = start_web_gate(tmp_path, mosquitto, keys, declaration_database=f"sqlite:///{tmp_path / 'site.db'}")
    gate.server = server
    yield gate
    gate.stop()


def test_the_guard_declares_for_a_visitor_without_a_phone_at_the_console(desk_gate, browser, shots):
    web_gate, app = desk_gate, desk_gate.app
    app.controller.policy = dataclasses.replace(app.controller.policy, site_number=7)
    service = web_gate.server.state.declaration  # the server's side of the same database

    visitor = fake_citizen(random.Random(5), TODAY)
    context, page = login(browser, web_gate.url)
    page.goto(web_gate.url + "/console/declare")
    assert TRAVEL.en in page.content()  # the server's questions, read from its database
    card = scan(web_gate, cccd_text(visitor))  # the card at the gate's reader (ID cards are denied at this gate)
    assert card.verification.valid and not card.decision.granted
    page.fill("input[name=phone]", visitor.phone)
    page.check("input[name=consent]")
    page.click("button[type=submit]")
    page.wait_for_selector("#sheet:not([hidden])")
    assert "Passed" in page.locator("#answer").inner_text()
    page.screenshot(path=str(shots / "declaration-guard-desk.png"), full_page=True)
    sheet = page.request.get(web_gate.url + page.locator("#sheet").get_attribute("src"))
    assert sheet.ok and sheet.headers["content-type"] == "image/png"
    png = sheet.body()
    context.close()

    gray = np.asarray(Image.open(io.BytesIO(png)).convert("L"))
    [code] = [c for c in Decoder().decode(gray, still=True) if c.text.startswith("QG1:")]
    entry = scan(web_gate, code.text)
    assert entry.decision.granted, entry.decision.reason
    assert entry.event.holder == card.event.holder  # the printed pass and the card: one person in the log
    [row] = service.guard_report(service.today(entry.scan.at).isoformat())
    assert row["guard"] == "an" and row["pass_id"] == entry.verification.credential.pass_id


def test_a_desk_on_a_database_the_server_has_not_set_up_says_so_and_the_gate_still_decides(
        tmp_path, mosquitto, browser):
    keys = new_key(tmp_path / "keys")
    load_or_create_secret(tmp_path / "site.secret")
    (tmp_path / "site.db").write_bytes(b"")  # an empty SQLite file: no server has started on it
    gate = start_web_gate(tmp_path, mosquitto, keys, declaration_database=f"sqlite:///{tmp_path / 'site.db'}")
    try:
        context, page = login(browser, gate.url)
        answer = page.goto(gate.url + "/console/declare")
        assert answer.status == 503
        assert "holds no declaration settings" in page.locator("#answer").inner_text()
        context.close()
        entry = scan(gate, gate.office.issue("v1", 0, 4102444800))
        assert entry.decision.granted, "the gate decides whatever the desk's database does"
    finally:
        gate.stop()
