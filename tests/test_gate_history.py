"""A gate answers for its own events from its ledger (comms/history.py), over a real Mosquitto,
with the site sync off; malformed requests get a log line and no answer, and the gate goes on."""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid

import paho.mqtt.client as paho
import pytest

from conftest import mock_gate_app
from qrgate.comms.history import MAX_REQUESTERS, HistoryResponder
from qrgate.comms.mqtt import BrokerSettings
from qrgate.comms.topics import GateTopics
from qrgate.comms.wiring import connect_gate
from qrgate.ledger import Ledger
from qrgate.model import Direction, Scan
from waiting import wait_until as wait


class Asker:
    """A client that asks a gate for its history and keeps the answers to it."""

    def __init__(self, port: int, topics: GateTopics, name: str = "server"):
        self.topics, self.name = topics, name
        self.answers: list[dict] = []
        subscribed = threading.Event()
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"{name}-{uuid.uuid4().hex[:6]}")
        self.client.on_subscribe = lambda *a: subscribed.set()
        self.client.on_message = lambda c, u, m: self.answers.append(json.loads(m.payload))
        self.client.connect("127.0.0.1", port)
        self.client.subscribe(topics.history_answer(name), qos=1)
        self.client.loop_start()
        assert subscribed.wait(5)

    def send(self, payload, retain: bool = False, requester: str | None = None) -> None:
        body = payload if isinstance(payload, (str, bytes)) else json.dumps(payload)
        topic = self.topics.history_request(requester or self.name)
        self.client.publish(topic, body, qos=1, retain=retain).wait_for_publish(5)

    def ask(self, request: dict) -> dict:
        count = len(self.answers)
        self.send(request)
        assert wait(lambda: len(self.answers) > count)
        return self.answers[count]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def gate(tmp_path, keys, office, mosquitto):
    """A gate with its MQTT side and no site sync, that recorded entries, exits and denials."""
    site = f"s{uuid.uuid4().hex[:8]}"
    app, _pins = mock_gate_app(tmp_path, keys["trust"], site=site, gate="g1")
    reporter = connect_gate(gate=app, topics=app.topics, broker=BrokerSettings(host="127.0.0.1", port=mosquitto.port),
                            clock=app.clock)
    app.reporter = reporter
    app.start(cameras=False)
    assert app.site is None  # the site sync is off
    now = time.time()
    expired = office.issue("late", now - 7200, now - 3600)
    for i in range(4):
        text = office.issue(f"h-{i}", now - 3600, now + 3600)
        for direction in (Direction.ENTRY, Direction.EXIT):
            assert app.controller.handle_scan(Scan(text, "g1", direction, time.time())).decision.granted
        app.controller.handle_scan(Scan(expired, "g1", Direction.ENTRY, time.time()))
    assert wait(lambda: reporter.is_connected and not app.ledger.pending(1))
    asker = Asker(mosquitto.port, app.topics)
    yield app, asker
    asker.close()
    app.stop()


def own(app) -> list[dict]:
    return [e.to_json() for e in app.ledger.events() if e.gate_id == app.cfg.gate.id]


def test_a_gate_answers_for_its_own_events_in_pages_and_skips_what_the_asker_holds(gate):
    app, asker = gate
    events = own(app)
    assert {e["type"] for e in events} >= {"entry", "exit", "denied"}
    pages, after = [], 0
    while True:  # pages of 5, each after the previous one's `through`
        answer = asker.ask({"after": after, "limit": 5})
        assert answer["after"] == after
        pages.append(answer)
        after = answer["through"]
        if not answer["more"]:
            break
    assert len(pages) == 3
    assert [e for p in pages for e in p["events"]] == events  # as the events topic carries them
    assert pages[-1]["through"] == app.ledger.events()[-1].seq == pages[-1]["newest"]
    assert pages[0]["oldest"] == events[0]["seq"]

    # an asker that holds the first 8 after seq 0, up to the 8th's seq, gets only what follows
    answer = asker.ask({"after": 0, "have": 8, "upto": events[7]["seq"]})
    assert answer["events"] == events[8:] and not answer["more"]
    # one that says it holds fewer than there are gets them all again
    assert asker.ask({"after": 0, "have": 7, "upto": events[7]["seq"]})["events"] == events


def test_a_gate_ignores_malformed_history_requests_with_a_log_line_and_goes_on(gate, caplog):
    app, asker = gate
    caplog.set_level(logging.WARNING, logger="qrgate.comms.history")
    bad = [b"not json", b"[1, 2]", {"after": -1}, {"after": "3"}, {"after": True}, {}, {"after": 0, "have": 3},
           {"after": 5, "have": 1, "upto": 2}, {"after": 0, "limit": 0}, {"after": 0, "limit": 10**6},
           {"after": 2**70}, b"\xff\xfe", json.dumps({"after": 0, "pad": "x" * 5000})]
    for payload in bad:
        asker.send(payload)
    asker.send({"after": 0}, requester="two words")  # not a topic level a requester can have
    assert wait(lambda: len([r for r in caplog.records if "ignored a history request" in r.message]) == len(bad) + 1)
    assert all(r.exc_info is None for r in caplog.records)
    # no answer to any of them; the gate still answers, and still records and publishes
    answer = asker.ask({"after": 0})
    assert asker.answers == [answer] and answer["events"] == own(app)
    app.controller.handle_scan(Scan("garbage", "g1", Direction.ENTRY, time.time()))
    assert wait(lambda: not app.ledger.pending(1))
    assert asker.ask({"after": answer["through"]})["events"] == own(app)[-1:]


def test_purged_events_are_not_offered_and_the_answer_says_the_oldest_held(gate):
    app, asker = gate
    first = own(app)
    app.ledger.purge(first[3]["at"] + 1e-6)  # the first four past retention
    answer = asker.ask({"after": 0})
    assert answer["oldest"] == first[4]["seq"] and answer["events"] == first[4:]
    assert answer["through"] == app.ledger.events()[-1].seq and not answer["more"]


def test_one_request_waits_per_requester_and_requesters_are_bounded(tmp_path):
    ledger = Ledger(tmp_path / "g1.db")
    for i in range(3):
        ledger.record(at=1000.0 + i, gate_id="g1", type="denied", reason="expired")
    responder = HistoryResponder(ledger, GateTopics("qrgate", "s1", "g1"), clock=lambda: 0.0)
    sent: list[tuple[str, dict]] = []
    publish = lambda topic, payload, **kw: sent.append((topic, json.loads(payload))) or True  # noqa: E731
    topic = responder.topics.history_request
    responder.handle(topic("a"), b'{"after": 0}', True, publish)  # retained: it would be replayed forever
    assert not responder.waiting
    responder.handle(topic("a"), b'{"after": 0}', False, publish)
    responder.handle(topic("a"), b'{"after": 2}', False, publish)  # replaces the first
    for i in range(MAX_REQUESTERS + 3):
        responder.handle(topic(f"r{i}"), b'{"after": 0}', False, publish)
    assert len(responder.waiting) == MAX_REQUESTERS
    responder.pump(publish)
    answers_to_a = [body for t, body in sent if t.endswith("/history/ans/a")]
    assert [len(a["events"]) for a in answers_to_a] == [1]  # one answer, to the newer request
    assert len(sent) == MAX_REQUESTERS and not responder.waiting
    for _ in range(30):  # a requester asking again and again gets a burst, then nothing until time passes
        responder.handle(topic("a"), b'{"after": 0}', False, publish)
        responder.pump(publish)
    assert len([t for t, _ in sent if t.endswith("/ans/a")]) == 10
    ledger.close()
