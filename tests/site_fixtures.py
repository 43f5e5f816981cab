"""A site server (gatesim's SimSiteServer: create_app, ingest, uvicorn on a free port, SQLite) beside a gate
(mock_gate_app) that publishes over a real Mosquitto, for the managers' pages in chromium."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import mock_gate_app
from gatesim.site_server import SimSiteServer
from qrgate.comms.mqtt import BrokerSettings, MqttReporter
from qrgate.comms.topics import GateTopics
from qrgate.model import Direction, Scan

PASSWORD = "correct horse battery"
USERS = {"mai": "manager", "tuan": "tracer"}
HOUR = 3600


@dataclass
class SiteRig:
    site: str
    url: str
    app: object
    gate: object
    reporter: MqttReporter
    office: object
    stopping: list = field(default_factory=list)

    def scan(self, holder: str, direction: Direction = Direction.ENTRY):
        """A visitor shows a pass at gate g1: the decision, after the ledger commit."""
        now = time.time()
        payload = self.office.issue(holder, now - HOUR, now + 8 * HOUR)
        return self.gate.controller.handle_scan(Scan(payload, "g1", direction, time.time()))

    def stored(self, count: int, timeout: float = 10.0) -> None:
        """Wait until the server's database holds `count` events of this site."""
        from sqlalchemy import func, select

        from qrgate.server.db import events

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.app.state.db.engine.connect() as conn:
                n = conn.execute(select(func.count()).select_from(events).where(events.c.site == self.site)).scalar()
            if n >= count:
                return
            time.sleep(0.02)
        raise AssertionError(f"the server stored {n} of {count} events within {timeout} s")


def start_site(tmp_path: Path, broker_port: int, trust_file: str, office) -> SiteRig:
    site = f"s{uuid.uuid4().hex[:8]}"
    server = SimSiteServer(tmp_path, "127.0.0.1", broker_port, [site],
                           users={name: (role, PASSWORD) for name, role in USERS.items()}).start()
    gate, _pins = mock_gate_app(tmp_path / "gate", trust_file, site=site, gate="g1")
    reporter = MqttReporter(ledger=gate.ledger, topics=GateTopics("qrgate", site, "g1"), gate=gate,
                            broker=BrokerSettings(host="127.0.0.1", port=broker_port))
    reporter.start()
    rig = SiteRig(site, server.url, server.app, gate, reporter, office)

    def stop():
        reporter.stop()
        gate.stop()
        server.stop()

    rig.stopping.append(stop)
    return rig


@pytest.fixture
def site_rig(tmp_path, mosquitto, keys, office):
    (tmp_path / "gate").mkdir()
    rig = start_site(tmp_path, mosquitto.port, keys["trust"], office)
    yield rig
    for stop in rig.stopping:
        stop()


def log_in(browser, url: str, name: str, password: str = PASSWORD):
    """A new browser context logged in through the login page; (context, page) on /manage."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(url + "/manage")
    page.wait_for_url(url + "/login")
    page.wait_for_selector("body[data-ready='1']")
    page.fill("#name", name)
    page.fill("#password", password)
    page.click("#login")
    page.wait_for_url(url + "/manage")
    page.wait_for_selector("body[data-ready='1']")
    return context, page
