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
    register: Path
    stopping: list = field(default_factory=list)
    passes: dict = field(default_factory=dict)

    def pass_of(self, holder: str, phone: str = "") -> str:
        """The holder's pass (one per holder), its name and phone sealed in the site's register."""
        if holder not in self.passes:
            from qrgate.credentials import native
            from qrgate.server.register import add_entry

            now = time.time()
            payload = self.office.issue(holder, now - HOUR, now + 8 * HOUR)
            add_entry(self.register, pass_id=native.pass_id_of(payload), fmt=native.FORMAT,
                      holder_hex=native.holder_pseudonym(self.office.secret, holder).hex(), name=holder, phone=phone,
                      issued_at=now)
            self.passes[holder] = payload
        return self.passes[holder]

    def scan(self, holder: str, direction: Direction = Direction.ENTRY):
        """A visitor shows a pass at gate g1: the decision, after the ledger commit."""
        return self.gate.controller.handle_scan(Scan(self.pass_of(holder), "g1", direction, time.time()))

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


def start_site(tmp_path: Path, broker_port: int, trust_file: str, office, other_sites: tuple[str, ...] = ()) -> SiteRig:
    """The rig's own site first (its gate g1), then `other_sites` the server also serves."""
    from qrgate.server.register import init_register

    site = f"s{uuid.uuid4().hex[:8]}"
    gate, _pins = mock_gate_app(tmp_path / "gate", trust_file, site=site, gate="g1")
    register, register_key = tmp_path / "register.jsonl", tmp_path / "register.key"
    init_register(register, register_key)
    server = SimSiteServer(tmp_path, "127.0.0.1", broker_port, [site, *other_sites],
                           users={name: (role, PASSWORD) for name, role in USERS.items()},
                           secret_file=gate.cfg.site.secret_file,
                           register={"path": str(register), "key_file": str(register_key)}).start()
    reporter = MqttReporter(ledger=gate.ledger, topics=GateTopics("qrgate", site, "g1"), gate=gate,
                            broker=BrokerSettings(host="127.0.0.1", port=broker_port))
    reporter.start()
    rig = SiteRig(site, server.url, server.app, gate, reporter, office, register)

    def stop():
        reporter.stop()
        gate.stop()
        server.stop()

    rig.stopping.append(stop)
    return rig


def _rig(tmp_path, port, trust_file, office, other_sites=()):
    (tmp_path / "gate").mkdir()
    rig = start_site(tmp_path, port, trust_file, office, other_sites)
    yield rig
    for stop in rig.stopping:
        stop()


@pytest.fixture
def site_rig(tmp_path, mosquitto, keys, office):
    """A site server and its gate g1."""
    yield from _rig(tmp_path, mosquitto.port, keys["trust"], office)


@pytest.fixture
def two_site_rig(tmp_path, mosquitto, keys, office):
    """The same, with a second site "annex" the server serves too."""
    yield from _rig(tmp_path, mosquitto.port, keys["trust"], office, ("annex",))


def log_in(browser, url: str, name: str, password: str = PASSWORD):
    """A new browser context logged in through the login page; (context, page) on /manage."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.console_errors = []  # e.g. what the Content-Security-Policy refused
    page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
    page.goto(url + "/manage")
    page.wait_for_url(url + "/login")
    page.wait_for_selector("body[data-ready='1']")
    page.fill("#name", name)
    page.fill("#password", password)
    page.click("#login")
    page.wait_for_url(url + "/manage")
    page.wait_for_selector("body[data-ready='1']")
    return context, page
