"""The site database equals the union of the gates' ledgers, whatever the network did.

Three production GateApps (mock pins, real ledgers) publish through their MqttReporter to a
real Mosquitto. Then gate g3 is cut off from the broker (a partition: it keeps deciding, its
events wait in its outbox) and the site server goes down while g1 and g2 keep publishing (the
broker keeps their events for the server's persistent session). The server restarts, the
partition heals, and the site database must hold exactly the events of the three ledgers.

And when the broker kept nothing for the server (a new session) while the gates' outboxes had
already delivered, the server catches up through the site exchange alone (gates that do not
answer for their history: the shared events), or through each gate's history (every event).
"""

from __future__ import annotations

import threading
import time
import uuid

import paho.mqtt.client as paho
from sqlalchemy import select

from conftest import mock_gate_app, site_gate_app
from gatesim.broker import MosquittoBroker
from qrgate.comms.mqtt import MqttReporter
from qrgate.comms.topics import GateTopics
from qrgate.config.mqtt import BrokerConfig
from qrgate.ledger import SYNC_TYPES
from qrgate.model import Direction, Scan
from qrgate.server.db import Database, events, gate_heads, site_heads
from qrgate.server.ingest import Ingest
from site_server_fixtures import db_url, pg_database, server_config  # noqa: F401
from waiting import wait_until as wait

GATES = ("g1", "g2", "g3")


def start_server(db_url: str, site: str, port: int, name: str) -> tuple[Database, Ingest]:
    """A site server for `site` under client id `name`, started and connected."""
    cfg = server_config(db_url, sites=[{"id": site}],
                        mqtt={"host": "127.0.0.1", "port": port, "client_id": name, "batch_seconds": 0.05})
    db = Database(cfg.database)
    db.migrate()
    ingest = Ingest(cfg, db)
    ingest.start()
    assert wait(ingest.connected.is_set)
    return db, ingest


def down_while(db: Database, ingest: Ingest, gates: dict, record) -> None:
    """The server goes down; the gates record() meanwhile, and their outboxes deliver all of it to the broker."""
    ingest.stop()
    db.close()
    record()
    assert wait(lambda: not any(a.ledger.pending(1) for a in gates.values()))


def shut_down(db: Database | None, ingest: Ingest | None, gates: dict) -> None:
    if ingest is not None:
        ingest.stop()
    for app in gates.values():
        app.stop()
    if db is not None:
        db.close()


def stored_ids(db: Database) -> list[str]:
    with db.engine.connect() as conn:
        return [r[0] for r in conn.execute(select(events.c.id))]


def test_the_site_database_is_the_union_of_the_ledgers_after_a_partition_and_a_restart(tmp_path, keys, office,
                                                                                       db_url):
    broker = MosquittoBroker(extra_conf=f"persistence true\npersistence_location {tmp_path}/\n"
                                        "max_queued_messages 0\nmax_inflight_messages 1000\n")
    settings = BrokerConfig(host="127.0.0.1", port=broker.port)
    cfg = server_config(db_url, mqtt={"host": "127.0.0.1", "port": broker.port, "client_id": f"site-{tmp_path.name}",
                                      "batch_seconds": 0.05})
    gates = {g: mock_gate_app(tmp_path, keys["trust"], gate=g)[0] for g in GATES}
    for app in gates.values():
        app.start(cameras=False)
    reporters = {g: MqttReporter(ledger=a.ledger, topics=GateTopics("qrgate", "site1", g), broker=settings, gate=a)
                 for g, a in gates.items()}
    now = time.time()
    passes = [office.issue(f"visitor-{i}", now - 3600, now + 3600) for i in range(30)]
    expired = office.issue("late", now - 7200, now - 3600)

    def scans(gate: str, batch: range) -> None:
        for i in batch:
            direction = Direction.ENTRY if i % 3 else Direction.EXIT
            gates[gate].controller.handle_scan(Scan(passes[i], gate, direction, time.time()))
        gates[gate].controller.handle_scan(Scan(expired, gate, Direction.ENTRY, time.time()))  # a denial

    db = Database(cfg.database)
    db.migrate()
    server = Ingest(cfg, db)
    try:
        for r in reporters.values():
            r.start()
        server.start()
        assert wait(server.connected.is_set)
        for gate, batch in zip(GATES, (range(0, 10), range(10, 20), range(20, 30))):
            scans(gate, batch)
        union = lambda: {e.id for a in gates.values() for e in a.ledger.events()}  # noqa: E731
        assert wait(lambda: set(stored_ids(db)) == union())

        reporters["g3"].abandon()  # g3 is cut off; it keeps deciding on its own
        server.stop()  # and the server goes down
        db.close()
        for gate in GATES:
            scans(gate, range(0, 30, 2))
        assert gates["g3"].ledger.pending(1)  # g3's events wait in its outbox
        assert wait(lambda: not gates["g1"].ledger.pending(1) and not gates["g2"].ledger.pending(1))

        db = Database(cfg.database)  # the server comes back: its session kept g1's and g2's events
        server = Ingest(cfg, db)
        server.start()
        reporters["g3"] = MqttReporter(ledger=gates["g3"].ledger, topics=GateTopics("qrgate", "site1", "g3"),
                                       broker=settings, gate=gates["g3"])
        reporters["g3"].start()  # the partition heals
        assert wait(lambda: set(stored_ids(db)) == union(), timeout=60), (len(stored_ids(db)), len(union()))
        ids = stored_ids(db)
        assert len(ids) == len(set(ids)) == len(union()) == 30 + 3 + 3 * 15 + 3  # one event per scan
        kinds = {(e.type) for a in gates.values() for e in a.ledger.events()}
        assert {"entry", "exit", "denied"} <= kinds
    finally:
        server.stop()
        for r in reporters.values():
            r.stop(timeout=0.5)
        for app in gates.values():
            app.stop()
        db.close()
        broker.close()


def test_one_server_ingests_two_sites_through_bridged_building_brokers(tmp_path, keys, office):
    """A broker per building, each bridged to a central one that the server subscribes to."""
    central = MosquittoBroker()
    bridge = (f"connection central\naddress 127.0.0.1:{central.port}\ncleansession false\n"
              "bridge_protocol_version mqttv311\ntopic qrgate/+/+/events out 1\n")
    buildings = [MosquittoBroker(extra_conf=bridge) for _ in range(2)]
    cfg = server_config(f"sqlite:///{tmp_path}/site.db",
                        sites=[{"id": "site1"}, {"id": "site2"}],
                        mqtt={"host": "127.0.0.1", "port": central.port, "batch_seconds": 0.05})
    gates, reporters = [], []
    for n, building in enumerate(buildings, start=1):
        folder = tmp_path / f"b{n}"
        folder.mkdir()
        app = mock_gate_app(folder, keys["trust"], site=f"site{n}", gate="g1")[0]
        app.start(cameras=False)
        gates.append(app)
        reporters.append(MqttReporter(ledger=app.ledger, topics=GateTopics("qrgate", f"site{n}", "g1"),
                                      broker=BrokerConfig(host="127.0.0.1", port=building.port), gate=app))
    db = Database(cfg.database)
    db.migrate()
    server = Ingest(cfg, db)
    try:
        server.start()
        for r in reporters:
            r.start()
        assert wait(server.connected.is_set)
        time.sleep(1.0)  # the bridges connect
        now = time.time()
        for n, app in enumerate(gates, start=1):
            for i in range(5):
                app.controller.handle_scan(Scan(office.issue(f"b{n}-{i}", now - 60, now + 3600), "g1",
                                                Direction.ENTRY, time.time()))
        expected = {(f"site{n}", e.id) for n, app in enumerate(gates, start=1) for e in app.ledger.events()}

        def with_site() -> set[tuple[str, str]]:
            with db.engine.connect() as conn:
                return {(r.site, r.id) for r in conn.execute(select(events.c.site, events.c.id))}

        assert wait(lambda: with_site() == expected), (len(with_site()), len(expected))
        assert len(expected) == 10
    finally:
        server.stop()
        for r in reporters:
            r.stop(timeout=0.5)
        for app in gates:
            app.stop()
        db.close()
        for b in buildings + [central]:
            b.close()


def test_events_wait_while_the_database_is_away_and_none_is_lost(pg_database, mosquitto, caplog):
    import json
    import uuid

    import paho.mqtt.client as paho
    import psycopg

    from site_server_fixtures import PG_ADMIN, empty_schema

    empty_schema(pg_database)
    name = pg_database.rsplit("/", 1)[1]
    cfg = server_config(pg_database, mqtt={"host": "127.0.0.1", "port": mosquitto.port,
                                           "client_id": f"site-{uuid.uuid4().hex[:8]}", "batch_seconds": 0.05})
    db = Database(cfg.database)
    db.migrate()
    server = Ingest(cfg, db)
    gate = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"gate-{uuid.uuid4().hex[:8]}")
    gate.connect("127.0.0.1", mosquitto.port)
    gate.loop_start()
    admin = psycopg.connect(PG_ADMIN, autocommit=True)

    def send(first: int, n: int) -> None:
        for seq in range(first, first + n):
            doc = {"id": f"ev-{seq}", "seq": seq, "at": time.time(), "type": "entry", "pseudonym": "ab" * 8}
            gate.publish("qrgate/site1/g1/events", json.dumps(doc), qos=1).wait_for_publish(5)

    try:
        server.start()
        assert wait(server.connected.is_set)
        send(1, 10)
        assert wait(lambda: len(stored_ids(db)) == 10)
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        send(11, 10)  # the database is away: these wait, unacknowledged
        assert wait(lambda: "cannot write" in caplog.text, timeout=15)
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        assert wait(lambda: sorted(stored_ids(db)) == sorted(f"ev-{i}" for i in range(1, 21)), timeout=30)
    finally:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        admin.close()
        gate.disconnect()
        gate.loop_stop()
        server.stop()
        db.close()


def test_a_server_whose_session_was_lost_catches_up_through_the_site_exchange_alone(tmp_path, keys, office,
                                                                                     mosquitto, db_url):
    site = f"s{uuid.uuid4().hex[:8]}"
    gates = {g: site_gate_app(tmp_path, keys["trust"], mosquitto.port, site, g, start=False) for g in GATES}
    for app in gates.values():  # gates of a version that does not answer for its history: the exchange alone
        app.reporter.extensions.remove(app.reporter.history)
        app.start(cameras=False)
    heard: list[str] = []  # every topic published on the site, whoever published it
    spy = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"spy-{site}")
    subscribed = threading.Event()
    spy.on_subscribe = lambda *a: subscribed.set()
    spy.on_message = lambda c, u, m: heard.append(m.topic)
    spy.connect("127.0.0.1", mosquitto.port)
    spy.subscribe(f"qrgate/{site}/#", qos=1)
    spy.loop_start()
    now = time.time()
    passes = iter(office.issue(f"v-{i}", now - 3600, now + 3600) for i in range(1000))

    def come_and_go(gate: str, people: int) -> None:
        app = gates[gate]
        for _ in range(people):
            text = next(passes)
            for direction in (Direction.ENTRY, Direction.EXIT):
                assert app.controller.handle_scan(Scan(text, gate, direction, time.time())).decision.granted

    def union() -> set[str]:
        return {e.id for a in gates.values() for e in a.ledger.events()}

    def server(name: str) -> tuple[Database, Ingest]:
        return start_server(db_url, site, mosquitto.port, name)

    def heads(db: Database) -> dict[str, int]:
        with db.engine.connect() as conn:
            return dict(conn.execute(select(site_heads.c.origin, site_heads.c.seq)
                                     .where(site_heads.c.site == site)).all())

    db, ingest = None, None
    try:
        assert subscribed.wait(5)
        assert wait(lambda: all(a.site.peers.get(p) is not None and a.site.peers[p].heard
                                for g, a in gates.items() for p in GATES if p != g))
        db, ingest = server(f"first-{site}")
        for gate in GATES:
            come_and_go(gate, 3)
        gates["g1"].controller.handle_scan(Scan(office.issue("late", now - 7200, now - 3600), "g1", Direction.ENTRY,
                                                time.time()))  # a denial: not shared, it comes by the outbox only
        assert wait(lambda: set(stored_ids(db)) == union())
        # meanwhile the server has followed the gates' heads through the exchange
        assert wait(lambda: heads(db) == {g: a.ledger.last_seq_from(g) for g, a in gates.items()})
        before = union()
        down_while(db, ingest, gates, lambda: [come_and_go(gate, 20) for gate in GATES])  # the server goes down...
        missed = union() - before
        assert len(missed) == 3 * 20 * 2

        # ... and comes back with a session the broker knows nothing of (a new client id): no queued
        # events, no outbox to drain; only the site exchange can bring what it missed
        db, ingest = server(f"second-{site}")
        assert wait(lambda: set(stored_ids(db)) == union(), timeout=60), (len(stored_ids(db)), len(union()))
        assert ingest.stats.written == 0  # not one event came on the gates' events topics
        assert ingest.catchup.caught_up == len(missed)
        with db.engine.connect() as conn:  # seq 0: the exchange brought them, without the gate's log seq
            assert {r.id for r in conn.execute(select(events.c.id).where(events.c.seq == 0))} == missed
        assert heads(db) == {g: a.ledger.last_seq_from(g) for g, a in gates.items()}

        # a read-only participant: it asked, and published nothing else; the gates never took it for a peer
        servers = {f"first-{site}", f"second-{site}"}
        ours = [t for t in heard if any(f"/{name}/" in t or t.endswith(f"/{name}") for name in servers)]
        assert ours and set(ours) <= ({f"qrgate/{site}/sync/{name}/req" for name in servers}
                                      | {f"qrgate/{site}/{g}/history/req/{name}" for name in servers for g in GATES})
        for app in gates.values():
            assert set(app.site.peers) <= set(GATES)
            assert set(app.site.site_gates()) == set(GATES)
        presence = gates["g1"].ledger.presence_rows()
        assert all(a.ledger.presence_rows() == presence for a in gates.values())

        held = union()
        come_and_go("g2", 1)  # afterwards, events come by both ways; the gate's own copy brings the seq
        fresh = union() - held

        def unknown_seqs() -> set[str]:
            with db.engine.connect() as conn:
                return {r.id for r in conn.execute(select(events.c.id).where(events.c.seq == 0))}

        assert wait(lambda: fresh <= set(stored_ids(db)) and not fresh & unknown_seqs())
        assert set(stored_ids(db)) == union()
    finally:
        shut_down(db, ingest, gates)
        spy.disconnect()
        spy.loop_stop()


def test_a_server_whose_session_was_lost_gets_every_type_of_event_from_the_gates_histories(tmp_path, keys, office,
                                                                                          mosquitto, db_url):
    """Denials and alarms are not in the site exchange: after a lost session the gates' own
    histories bring them, and the database equals the union of the ledgers, seq and all."""
    site = f"s{uuid.uuid4().hex[:8]}"
    gates = {g: site_gate_app(tmp_path, keys["trust"], mosquitto.port, site, g) for g in GATES}
    now = time.time()
    passes = iter(office.issue(f"v-{i}", now - 3600, now + 3600) for i in range(1000))
    expired = office.issue("late", now - 7200, now - 3600)

    def record_all_kinds(gate: str, people: int) -> None:
        app = gates[gate]
        for _ in range(people):
            text = next(passes)
            for direction in (Direction.ENTRY, Direction.EXIT):
                assert app.controller.handle_scan(Scan(text, gate, direction, time.time())).decision.granted
            assert not app.controller.handle_scan(Scan(expired, gate, Direction.ENTRY, time.time())).decision.granted
        alarms = lambda: sum(e.type == "alarm" for e in app.ledger.events())  # noqa: E731
        raised = alarms()
        app.io.tamper.pin.drive_high()  # the enclosure is opened and shut: an alarm
        assert wait(lambda: alarms() > raised)
        app.io.tamper.pin.drive_low()

    def own_events() -> set[tuple]:
        """(id, gate, seq, type) of every event each gate recorded itself: what its events topic carries."""
        return {(e.id, e.gate_id, e.seq, e.type) for g, a in gates.items() for e in a.ledger.events() if e.gate_id == g}

    def stored(db: Database) -> set[tuple]:
        with db.engine.connect() as conn:
            return {tuple(r) for r in conn.execute(select(events.c.id, events.c.gate, events.c.seq, events.c.type))}

    def server(name: str) -> tuple[Database, Ingest]:
        return start_server(db_url, site, mosquitto.port, name)

    db, ingest = None, None
    try:
        db, ingest = server(f"first-{site}")
        for gate in GATES:
            record_all_kinds(gate, 2)
        assert wait(lambda: stored(db) == own_events()), (len(stored(db)), len(own_events()))
        before = own_events()
        down_while(db, ingest, gates, lambda: [record_all_kinds(gate, 5) for gate in GATES])  # the server goes down...
        missed = own_events() - before
        kinds = {kind for _id, _gate, _seq, kind in missed}
        assert {"entry", "exit", "denied", "alarm"} <= kinds, kinds

        # ... and comes back under a client id the broker never saw: nothing queued, no outbox to drain
        db, ingest = server(f"second-{site}")
        assert wait(lambda: stored(db) == own_events(), timeout=60), sorted(own_events() - stored(db))[:5]
        # movements may come first through the site exchange; nothing else brings the rest
        only_in_histories = {m for m in missed if m[3] not in SYNC_TYPES}
        assert ingest.stats.rejected == 0 and ingest.history.received >= len(only_in_histories) > 0
        with db.engine.connect() as conn:
            assert conn.execute(select(events.c.id).where(events.c.seq == 0)).first() is None

        # caught up, a second catch-up (a new connect) brings nothing again: the gate skips what it holds
        answered = {g: a.reporter.history.answered for g, a in gates.items()}
        received = ingest.history.received
        ingest.client.reconnect()
        assert wait(lambda: all(a.reporter.history.answered > answered[g] for g, a in gates.items()))
        assert ingest.history.received == received
        assert stored(db) == own_events()
    finally:
        shut_down(db, ingest, gates)


def test_the_server_moves_a_gates_head_only_by_its_answers_and_starts_again_on_a_new_log(tmp_path):
    """server/history.py on its own (a real SQLite database, no broker): what it asks and how each
    answer moves the head; stale, malformed and new-log answers."""
    import json

    cfg = server_config(f"sqlite:///{tmp_path}/site.db", sites=[{"id": "s1"}], mqtt={"client_id": "srv"})
    db = Database(cfg.database)
    db.migrate()
    asked: list[tuple[str, dict]] = []
    history = Ingest(cfg, db).history
    history.publish = lambda topic, payload: asked.append((topic, json.loads(payload)))
    history.load()
    event = {"id": "e-1", "seq": 3, "at": 1000.0, "gate": "g1", "type": "denied", "reason": "expired"}

    def answer(**body) -> None:
        history.handle("answer", "s1", "g1", json.dumps({"events": [], "more": False, **body}).encode())

    history.handle("availability", "s1", "g1", b"online")
    history.tick()
    assert asked == [("qrgate/s1/g1/history/req/srv", {"after": 0})]
    answer(after=0, through=10, oldest=3, newest=10, events=[event, {"id": "no-seq", "type": "denied"}, "x"])
    assert stored_ids(db) == ["e-1"] and history.held[("s1", "g1")] == 10
    answer(after=0, through=12, newest=12, events=[{**event, "id": "e-2"}])  # an answer to an earlier request
    for bad in ({"after": 10, "through": 9}, {"after": 10, "through": 2**70}, {"after": "10", "through": 11}):
        answer(**bad)
    assert stored_ids(db) == ["e-1"] and history.held[("s1", "g1")] == 10
    answer(after=10, through=10, oldest=1, newest=2)  # the gate's log starts again
    assert history.held[("s1", "g1")] == 0
    history.tick()
    assert asked[-1] == ("qrgate/s1/g1/history/req/srv", {"after": 0, "have": 1, "upto": 3})
    with db.engine.connect() as conn:
        assert conn.execute(select(gate_heads.c.seq)).scalar() == 0
    db.close()
