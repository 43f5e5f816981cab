"""A site server (create_app + ingest + uvicorn on a free loopback port, SQLite) beside a gate
(mock_gate_app) that publishes over a real Mosquitto, for the managers' pages in chromium."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn

from conftest import mock_gate_app
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


def serve(app) -> tuple[uvicorn.Server, threading.Thread, str]:
    """uvicorn on a socket bound before its thread starts (port 0: a free one)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on",
                                           timeout_graceful_shutdown=1, http="h11", ws="none"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="site-web", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started, "the site server's web side did not start"
    return server, thread, f"http://127.0.0.1:{sock.getsockname()[1]}"


def start_site(tmp_path: Path, broker_port: int, trust_file: str, office) -> SiteRig:
    from qrgate.server.app import create_app
    from qrgate.server.config import ServerConfig
    from qrgate.server.ingest import Ingest

    site = f"s{uuid.uuid4().hex[:8]}"
    cfg = ServerConfig.model_validate({
        "database": {"url": f"sqlite:///{tmp_path / 'site.db'}"},
        "mqtt": {"host": "127.0.0.1", "port": broker_port, "client_id": f"site-server-{site}"},
        "sites": [{"id": site, "tz": "Asia/Ho_Chi_Minh"}],
    })
    app = create_app(cfg)
    for name, role in USERS.items():
        app.state.auth.add_user(name, role, PASSWORD, time.time())
    ingest = Ingest(cfg, app.state.db, app.state.bus)
    ingest.start()
    server, thread, url = serve(app)
    gate, _pins = mock_gate_app(tmp_path / "gate", trust_file, site=site, gate="g1")
    reporter = MqttReporter(ledger=gate.ledger, topics=GateTopics("qrgate", site, "g1"), gate=gate,
                            broker=BrokerSettings(host="127.0.0.1", port=broker_port))
    reporter.start()
    rig = SiteRig(site, url, app, gate, reporter, office)

    def stop():
        reporter.stop()
        gate.stop()
        server.should_exit = True
        thread.join(10)
        ingest.stop()
        app.state.db.close()

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
