"""The guard's desk mounted on a running gate's console, in Debian's chromium: the guard logs in,
the visitor's CCCD card is read by the gate's camera, the guard takes the phone number and the
answers, and the printed day pass opens the gate under the card's own pseudonym."""

from __future__ import annotations

import dataclasses
import io
import random

import numpy as np
import sqlalchemy as sa
from PIL import Image

from declaration_fixtures import TODAY
from gatesim.vietnam import cccd_text, fake_citizen
from qrgate.credentials.keys import load_private_key
from qrgate.server.declaration.guard_desk import GuardDesk
from qrgate.server.declaration.service import DeclarationService
from qrgate.server.declaration.settings import DeclarationSettings
from qrgate.vision.decoder import Decoder
from web_fixtures import browser, scan, shots, web_gate  # noqa: F401

from test_web_pages import login


def test_the_guard_declares_for_a_visitor_without_a_phone_at_the_console(web_gate, browser, shots, tmp_path):
    app = web_gate.app
    app.controller.policy = dataclasses.replace(app.controller.policy, site_number=7)
    service = DeclarationService(sa.create_engine(f"sqlite:///{tmp_path / 'site.db'}"),
                                 DeclarationSettings(site_number=7), site_secret=app.trust.pseudonym_key,
                                 signing_key=load_private_key(app.web.cfg.pass_key)[1])
    # the hook the gate's web server gets: the desk's routes, the console's login, the gate's reads
    desk = GuardDesk(service, app.trust, app.web.console._guarded)
    app.controller.listeners.append(desk.on_outcome)
    app.web.asgi.app.router.routes[0:0] = desk.routes()

    visitor = fake_citizen(random.Random(5), TODAY)
    context, page = login(browser, web_gate.url)
    page.goto(web_gate.url + "/console/declare")
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
