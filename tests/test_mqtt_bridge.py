"""A site with a broker per building: two Mosquittos on loopback, bridged as docs/mqtt.md shows,
a gate on each. Events, commands and their results, the site's signed lists, the site's mode and
the sync topics all cross the bridge, in both directions."""

from __future__ import annotations

import threading
import time
import uuid

import paho.mqtt.client as paho

import pytest

from conftest import mock_gate_app
from gatesim.broker import MosquittoBroker
from gatesim.observer import MqttObserver
from qrgate.credentials import native
from qrgate.credentials.keys import load_private_key
from qrgate.credentials.revocation import sign_list
from qrgate.errors import BrokerError
from qrgate.model import Direction, Scan
from test_trust_live import gate_folder, publish, wait_until

HOUR = 3600


def bridge_conf(site: str, remote_port: int) -> str:
    """The bridge section docs/mqtt.md gives, on the second building's broker."""
    return (f"connection building-a\n"
            f"address 127.0.0.1:{remote_port}\n"
            f"remote_clientid bridge-building-b-{site}\n"
            "cleansession false\n"
            "try_private true\n"
            "restart_timeout 1 5\n"
            "notifications false\n"
            f"topic qrgate/{site}/# both 1\n"
            "topic homeassistant/# both 1\n")


@pytest.fixture
def buildings():
    site = f"b{uuid.uuid4().hex[:8]}"
    try:
        a = MosquittoBroker()
        b = MosquittoBroker(extra_conf=bridge_conf(site, a.port))
    except BrokerError as exc:
        pytest.fail(f"the bridge test needs Mosquitto: {exc}")
    yield site, a, b
    b.close()
    a.close()


def test_gates_on_two_bridged_brokers_work_as_one_site(tmp_path, keys, office, buildings):
    site, a, b = buildings
    apps = {}
    for name, broker in (("north", a), ("south", b)):
        app, _pins = mock_gate_app(gate_folder(tmp_path, name), keys["trust"], site=site, gate=name, mqtt_port=broker.port)
        apps[name] = app.start(cameras=False)
    north, south = apps["north"], apps["south"]
    dash_a = MqttObserver("127.0.0.1", a.port, f"qrgate/{site}/#", client_id=f"dash-a-{site}")
    dash_b = MqttObserver("127.0.0.1", b.port, f"qrgate/{site}/#", client_id=f"dash-b-{site}")
    now = time.time()
    try:
        # the bridge is up once a message from one building arrives in the other
        assert dash_a.wait_for(lambda o: o.latest(south.topics.availability) == "online", timeout=15)
        assert dash_b.wait_for(lambda o: o.latest(north.topics.availability) == "online", timeout=15)

        # events cross both ways
        visitor = office.issue("visitor", now - HOUR, now + HOUR)
        at_south = south.controller.handle_scan(Scan(visitor, "south", Direction.ENTRY, time.time())).event
        at_north = north.controller.handle_scan(Scan(visitor, "north", Direction.EXIT, time.time())).event
        assert dash_a.wait_for(lambda o: at_south.id in o.events)
        assert dash_b.wait_for(lambda o: at_north.id in o.events)

        # a command sent in building A opens the door in building B, and its answer comes back
        publish(a.port, south.topics.command("open"), {"request_id": "x-1", "by": "admin"})
        assert dash_a.wait_for(lambda o: [r["reason"] for r in o.on_topic(south.topics.result)
                                          if r.get("request_id") == "x-1"] == ["done"])
        assert any(e.type == "remote_open" for e in south.ledger.events())

        # the site's mode, sent in building B, reaches both gates
        publish(b.port, north.topics.site_command("lockdown"), {"request_id": "x-2", "value": True})
        assert wait_until(lambda: all(g.gate_state.mode.value == "lockdown" for g in apps.values()))

        # a signed revocation list published retained in building A reaches building B's gate
        key = load_private_key(keys["private_key"])[1]
        publish(a.port, north.topics.site_revocations,
                sign_list(key, 1, [native.pass_id_of(visitor)], int(now)), retain=True)
        assert wait_until(lambda: south.trust.revocation_version == 1 and north.trust.revocation_version == 1)
        # kept retained in building B as well: a dashboard connecting there now is handed it
        late = MqttObserver("127.0.0.1", b.port, north.topics.site_revocations, client_id=f"late-{site}")
        try:
            assert late.wait_for(lambda o: [(p["version"], r) for _t, p, r in o.messages] == [(1, True)])
        finally:
            late.close()

        # the gates' sync topics are bridged too (a dashboard never reads them: a plain subscriber does)
        probe = f"qrgate/{site}/sync/south/probe"
        heard = threading.Event()
        listener = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"sync-a-{site}")
        listener.on_message = lambda c, u, m: heard.set() if m.topic == probe else None
        listener.connect("127.0.0.1", a.port)
        listener.loop_start()
        try:
            assert listener.subscribe(f"qrgate/{site}/sync/#", qos=1)[0] == paho.MQTT_ERR_SUCCESS
            time.sleep(0.3)  # the subscription is in place
            publish(b.port, probe, {"probe": 1})
            assert heard.wait(10), "a message on the sync topics did not cross the bridge"
        finally:
            listener.disconnect()
            listener.loop_stop()

        # and nothing came back round the bridge twice
        assert dash_a.duplicates == 0 and dash_b.duplicates == 0
        assert sorted(p["request_id"] for t, p, _r in dash_b.messages
                      if t == south.topics.result) == ["x-1", "x-2"]
    finally:
        dash_a.close()
        dash_b.close()
        for app in apps.values():
            app.stop()
