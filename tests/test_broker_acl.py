"""hardware/mosquitto/acl on a real Mosquitto with a mosquitto_passwd file.

Mosquitto drops a publish the ACL denies (the client still gets its PUBACK) and does not
deliver a message a subscriber may not read, so each check sends a forbidden message and
then a permitted marker on the same path; once the marker has arrived, the forbidden one
would have arrived before it.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from pathlib import Path

import paho.mqtt.client as paho
import pytest

from gatesim.broker import MosquittoBroker
from conftest import mock_gate_app, site_gate_app
from qrgate.comms.mqtt import BrokerSettings, MqttReporter
from qrgate.comms.topics import GateTopics
from qrgate.gate.pins import DEFAULT_PINS
from site_server_fixtures import server_config
from waiting import wait_until as _wait

REPO = Path(__file__).resolve().parents[1]
ACL = REPO / "hardware" / "mosquitto" / "acl"
CONF = REPO / "hardware" / "mosquitto" / "mosquitto.conf"
USERS = ("dashboard", "qrgate-admin", "qrgate-site-server", "site1-gate1", "site1-gate2", "site2-gate1")


def password(user: str) -> str:
    return f"pw-{user}"


def client_id_rule() -> str:
    """The example config's rule that ties client ids to accounts, as it is written there."""
    lines = [line.strip() for line in CONF.read_text().splitlines() if line.strip().startswith("use_username_as_clientid")]
    assert lines == ["use_username_as_clientid true"], f"{CONF} must tie client ids to usernames"
    return lines[0]


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    tool = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
    if not Path(tool).exists():
        pytest.fail("mosquitto_passwd is missing (it ships with the mosquitto package)")
    pwfile = tmp_path_factory.mktemp("acl") / "passwd"
    for i, user in enumerate(USERS):
        args = [tool, "-b"] + (["-c"] if i == 0 else []) + [str(pwfile), user, password(user)]
        subprocess.run(args, check=True, capture_output=True)
    # MosquittoBroker keeps the test's own user, so the broker can read pytest's private tmp dir
    broker = MosquittoBroker(anonymous=False,
                             extra_conf=f"password_file {pwfile}\nacl_file {ACL}\n{client_id_rule()}\n")
    yield broker
    broker.close()


class Client:
    def __init__(self, port: int, user: str | None, pw: str | None = None, subscribe: str | None = None,
                 client_id: str | None = None):
        self.seen: list[tuple[str, bytes]] = []
        self.connack = threading.Event()
        self.reason = None
        self._subscribed = threading.Event()
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=client_id or f"t-{user}-{id(self)}")
        if user is not None:
            self.client.username_pw_set(user, pw if pw is not None else password(user))
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = lambda *a: self._subscribed.set()
        self.client.on_message = lambda c, u, m: self.seen.append((m.topic, bytes(m.payload)))
        self._topic = subscribe
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        assert self.connack.wait(5)
        if subscribe and self.ok:
            assert self._subscribed.wait(5)

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        self.reason = reason_code
        if not reason_code.is_failure and self._topic:
            client.subscribe(self._topic, qos=1)
        self.connack.set()

    @property
    def ok(self) -> bool:
        return self.reason is not None and not self.reason.is_failure

    def publish(self, topic: str, payload: str) -> None:
        self.client.publish(topic, payload, qos=1).wait_for_publish(5)

    def wait_seen(self, payload: str, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(p == payload.encode() for _t, p in self.seen):
                return True
            time.sleep(0.02)
        return False

    def payloads(self) -> set[bytes]:
        return {p for _t, p in self.seen}

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()


def test_anonymous_and_wrong_passwords_are_refused(broker):
    anonymous = Client(broker.port, None)
    assert not anonymous.ok and "authori" in str(anonymous.reason).lower()
    wrong = Client(broker.port, "site1-gate1", "guess")
    assert not wrong.ok
    right = Client(broker.port, "site1-gate1")
    assert right.ok
    for c in (anonymous, wrong, right):
        c.close()


def test_a_gate_cannot_publish_as_another_gate_and_dashboards_cannot_publish(broker):
    watcher = Client(broker.port, "qrgate-admin", subscribe="qrgate/#")  # one client per account
    gate1 = Client(broker.port, "site1-gate1")
    dash = Client(broker.port, "dashboard")
    try:
        gate1.publish("qrgate/site1/gate2/events", "spoofed-by-gate1")
        gate1.publish("qrgate/site2/gate1/counts", "other-site-by-gate1")
        dash.publish("qrgate/site1/gate1/state", "spoofed-by-dashboard")
        gate1.publish("qrgate/site1/gate1/events", "marker-1")
        assert watcher.wait_seen("marker-1")
        assert watcher.payloads() == {b"marker-1"}
    finally:
        for c in (watcher, gate1, dash):
            c.close()


def test_a_gate_reads_its_own_site_only(broker):
    site2 = Client(broker.port, "site2-gate1", subscribe="qrgate/#")
    gate1 = Client(broker.port, "site1-gate1")
    try:
        gate1.publish("qrgate/site1/gate1/events", "site1-news")
        site2.publish("qrgate/site2/gate1/events", "site2-marker")
        assert site2.wait_seen("site2-marker")
        assert b"site1-news" not in site2.payloads()
    finally:
        site2.close()
        gate1.close()


@pytest.fixture
def gate2(broker, tmp_path, keys):
    """A real gate (site1/gate2) on the broker, with its own account, mock pins and ledger."""
    app, pins = mock_gate_app(tmp_path, keys["trust"], site="site1", gate="gate2", relay_seconds=0.1)
    topics = GateTopics("qrgate", "site1", "gate2")
    reporter = MqttReporter(ledger=app.ledger, topics=topics, gate=app,
                            broker=BrokerSettings(host="127.0.0.1", port=broker.port, username="site1-gate2",
                                                  password=password("site1-gate2")))
    reporter.start()
    yield reporter, topics, pins, app.ledger
    reporter.stop()
    app.stop()


def test_only_the_admin_identity_can_command_a_gate(broker, gate2):
    reporter, topics, pins, ledger = gate2
    watcher = Client(broker.port, "dashboard", subscribe="qrgate/site1/gate2/#")
    gate1 = Client(broker.port, "site1-gate1")
    admin = Client(broker.port, "qrgate-admin")
    try:
        # the gate subscribes to its commands before it first publishes its state
        assert _wait(lambda: any(t == topics.state for t, _p in watcher.seen))
        gate1.publish(topics.command("open"), '{"request_id": "from-gate1"}')
        gate2_itself = reporter.client.publish(topics.command("open"), '{"request_id": "from-gate2"}', qos=1)
        gate2_itself.wait_for_publish(5)
        watcher.publish(topics.command("open"), '{"request_id": "from-dashboard"}')
        admin.publish(topics.command("open"), '{"request_id": "from-admin", "by": "admin"}')
        assert _wait(lambda: any(b'"from-admin"' in p for t, p in watcher.seen if t == topics.result))
        results = b" ".join(p for t, p in watcher.seen if t in (topics.result, topics.command("open")))
        assert b"from-gate2" not in results
        assert b"from-gate1" not in results and b"from-dashboard" not in results
        assert sum(1 for s in pins.pin(DEFAULT_PINS["relay"]).states if s.state) == 1
        assert [e.type for e in ledger.events()] == ["remote_open"]
    finally:
        for c in (watcher, gate1, admin):
            c.close()


def test_a_dashboard_with_the_gates_client_id_cannot_take_the_gate_off(broker, gate2, caplog):
    reporter, topics, _pins, ledger = gate2
    caplog.set_level("WARNING", logger="qrgate.comms.mqtt")
    admin = Client(broker.port, "qrgate-admin", subscribe="qrgate/site1/gate2/#")
    intruders = []
    try:
        assert _wait(lambda: any(t == topics.state for t, _p in admin.seen))
        # an earlier test's gate2 left "offline" retained: only what comes from now on counts
        assert _wait(lambda: (topics.availability, b"online") in admin.seen)
        seen_before = len(admin.seen)
        gate_id = reporter.client._client_id.decode()
        assert gate_id == "qrgate-site1-gate2"
        for i in range(7):  # seven takeover attempts, a command after each
            intruders.append(Client(broker.port, "dashboard", client_id=gate_id))
            assert intruders[-1].ok
            admin.publish(topics.command("open"), '{"request_id": "after-takeover-%d", "by": "admin"}' % i)
            time.sleep(0.1)
        assert _wait(lambda: sum(b'"reason": "done"' in p for t, p in admin.seen if t == topics.result) == 7)
        assert reporter.is_connected and "lost the broker" not in caplog.text
        assert b"offline" not in {p for t, p in admin.seen[seen_before:] if t == topics.availability}
        assert [e.type for e in ledger.events()] == ["remote_open"] * 7
    finally:
        for c in intruders + [admin]:
            c.close()


def test_only_the_admin_publishes_what_every_gate_takes(broker):
    """Revocation lists, trust updates and site commands: a gate or a dashboard cannot send them
    (the gates verify signatures as well; the ACL keeps the topics clean)."""
    watcher = Client(broker.port, "site1-gate2", subscribe="qrgate/site1/site/#")
    gate1 = Client(broker.port, "site1-gate1")
    dash = Client(broker.port, "dashboard")
    admin = Client(broker.port, "qrgate-admin")
    try:
        gate1.publish("qrgate/site1/site/revocations", "list-by-gate1")
        dash.publish("qrgate/site1/site/trust", "trust-by-dashboard")
        gate1.publish("qrgate/site1/site/cmd/lockdown", "lockdown-by-gate1")
        admin.publish("qrgate/site1/site/revocations", "list-by-admin")
        admin.publish("qrgate/site1/site/trust", "trust-by-admin")
        admin.publish("qrgate/site1/site/cmd/lockdown", "lockdown-by-admin")
        assert watcher.wait_seen("lockdown-by-admin")
        assert watcher.payloads() == {b"list-by-admin", b"trust-by-admin", b"lockdown-by-admin"}
    finally:
        for c in (watcher, gate1, dash, admin):
            c.close()


def test_sync_topics_are_for_the_sites_gates_alone(broker):
    dashboard = Client(broker.port, "dashboard", subscribe="qrgate/#")
    admin = Client(broker.port, "qrgate-admin", subscribe="qrgate/#")
    gate2 = Client(broker.port, "site1-gate2", subscribe="qrgate/site1/sync/#")
    other_site = Client(broker.port, "site2-gate1", subscribe="qrgate/+/sync/#")
    gate1 = Client(broker.port, "site1-gate1")
    try:
        gate1.publish("qrgate/site1/sync/gate1/events", "sync-by-gate1")
        gate1.publish("qrgate/site1/sync/gate2/hello", "spoofed-hello-by-gate1")
        dashboard.publish("qrgate/site1/sync/gate1/events", "sync-by-dashboard")
        admin.publish("qrgate/site1/sync/gate1/req", "sync-by-admin")
        other_site.publish("qrgate/site1/sync/gate1/events", "sync-by-site2")
        assert gate2.wait_seen("sync-by-gate1")
        gate1.publish("qrgate/site1/gate1/events", "marker-2")
        assert dashboard.wait_seen("marker-2") and admin.wait_seen("marker-2")
        gate1.publish("qrgate/site1/sync/gate1/events", "marker-3")
        assert gate2.wait_seen("marker-3")
        assert gate2.payloads() == {b"sync-by-gate1", b"marker-3"}  # no spoof, nothing from outsiders
        assert not [t for t, _p in dashboard.seen + admin.seen if "/sync/" in t], dashboard.seen + admin.seen
        assert other_site.payloads() == set()
    finally:
        for c in (dashboard, admin, gate2, other_site, gate1):
            c.close()


def test_two_gates_share_presence_under_the_acl(broker, tmp_path, keys, office):
    now = time.time()
    apps = [site_gate_app(tmp_path, keys["trust"], broker.port, "site1", gate, username=f"site1-{gate}",
                          password=password(f"site1-{gate}")) for gate in ("gate1", "gate2")]
    gate1, gate2 = apps
    try:
        assert _wait(lambda: all(p.online and p.heard for a in apps for p in a.site.peers.values()
                                 if p.gate in ("gate1", "gate2")) and len(gate1.site.peers) >= 1)
        visitor = office.issue("v-acl", now - 3600, now + 3600)
        from qrgate.model import Direction, Scan

        assert gate1.controller.handle_scan(Scan(visitor, "gate1", Direction.ENTRY, time.time())).decision.granted
        assert _wait(lambda: gate2.ledger.occupancy() == 1)
        decision = gate2.controller.handle_scan(Scan(visitor, "gate2", Direction.ENTRY, time.time())).decision
        assert decision.reason == "already_inside"
    finally:
        for app in apps:
            app.stop()


def test_the_site_server_catches_up_under_the_acl_and_may_only_ask(broker, tmp_path, keys, office):
    from sqlalchemy import select

    from qrgate.model import Direction, Scan
    from qrgate.server.db import Database, events
    from qrgate.server.ingest import Ingest

    server = "qrgate-site-server"
    for gate in ("gate1", "gate2"):  # forget the earlier tests' gates (their secret, their heads)
        earlier = Client(broker.port, f"site1-{gate}")
        earlier.client.publish(f"qrgate/site1/sync/{gate}/hello", b"", qos=1, retain=True).wait_for_publish(5)
        earlier.close()
    apps = {gate: site_gate_app(tmp_path, keys["trust"], broker.port, "site1", gate, username=f"site1-{gate}",
                                password=password(f"site1-{gate}")) for gate in ("gate1", "gate2")}
    cfg = server_config(f"sqlite:///{tmp_path}/site.db", sites=[{"id": "site1"}],
                        mqtt={"host": "127.0.0.1", "port": broker.port, "username": server,
                              "password": password(server), "client_id": server, "batch_seconds": 0.05})
    db = Database(cfg.database)
    db.migrate()
    ingest = Ingest(cfg, db)
    try:
        assert _wait(lambda: all(a.site.peers.get(p) is not None and a.site.peers[p].heard
                                 for g, a in apps.items() for p in apps if p != g))
        now = time.time()
        expired = office.issue("acl-late", now - 7200, now - 3600)
        for gate, app in apps.items():  # before the server ever connected: the broker keeps none of it
            for i in range(3):
                text = office.issue(f"acl-{gate}-{i}", now - 3600, now + 3600)
                for direction in (Direction.ENTRY, Direction.EXIT):
                    assert app.controller.handle_scan(Scan(text, gate, direction, time.time())).decision.granted
            assert not app.controller.handle_scan(Scan(expired, gate, Direction.ENTRY, time.time())).decision.granted
        assert _wait(lambda: not any(a.ledger.pending(1) for a in apps.values()))
        ours = {e.id for a in apps.values() for e in a.ledger.events()}
        ingest.start()

        def stored() -> set[str]:
            with db.engine.connect() as conn:
                return set(conn.execute(select(events.c.id)).scalars())

        # asked and answered through the ACL: the shared events by the exchange, the rest (the denials)
        # by each gate's history
        assert _wait(lambda: ours <= stored())
        assert ingest.catchup.caught_up + ingest.history.received >= len(ours)
    finally:
        ingest.stop()
        db.close()
        for app in apps.values():
            app.stop()

    # the server's account (its client id is its user name: one client at a time) may ask, and nothing else
    gate = Client(broker.port, "site1-gate2", subscribe="qrgate/site1/#")
    as_server = Client(broker.port, server, subscribe="qrgate/site1/#")  # it reads what the ACL lets it
    try:
        for topic in (f"qrgate/site1/sync/{server}/hello", f"qrgate/site1/sync/{server}/events",
                      f"qrgate/site1/sync/{server}/batch", "qrgate/site1/sync/gate1/req",
                      f"qrgate/site1/{server}/availability", f"qrgate/site1/{server}/events",
                      f"qrgate/site1/gate1/history/ans/{server}", "qrgate/site1/gate1/history/req/someone-else"):
            as_server.publish(topic, f"spoof {topic}")
        as_server.publish(f"qrgate/site1/sync/{server}/req", "server-marker")
        assert gate.wait_seen("server-marker")
        assert {p for p in gate.payloads() if p.startswith(b"spoof")} == set()
        gate.publish("qrgate/site1/sync/gate2/events", "gates-only")
        gate.publish("qrgate/site1/sync/gate2/req", "gates-only-too")
        gate.publish("qrgate/site1/sync/gate2/hello", "hello-marker")
        assert as_server.wait_seen("hello-marker")
        assert not {b"gates-only", b"gates-only-too"} & as_server.payloads()
        # it asks a gate for its history and reads the answers to it; a gate answers, and may not ask
        as_server.publish(f"qrgate/site1/gate1/history/req/{server}", "history-marker")
        assert gate.wait_seen("history-marker")
        gate.publish(f"qrgate/site1/gate2/history/req/{server}", "a-gate-asks")
        gate.publish(f"qrgate/site1/gate2/history/ans/{server}", "answer-marker")
        assert as_server.wait_seen("answer-marker")
        gate.publish("qrgate/site1/gate2/events", "marker-after-asking")
        assert gate.wait_seen("marker-after-asking")
        assert b"a-gate-asks" not in gate.payloads() | as_server.payloads()
    finally:
        gate.close()
        as_server.close()
