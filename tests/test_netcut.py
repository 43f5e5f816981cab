"""The simulator's network cut (gatesim/netcut.py) on a real gate and a real Mosquitto: the gate's
connection dies at the socket, the broker sends its last will, reconnects are refused while the
cable is cut, and once mended the gate reconnects by itself and delivers what it decided meanwhile."""

from __future__ import annotations

import time
import uuid

from conftest import mock_gate_app
from gatesim.netcut import NetCut
from gatesim.observer import MqttObserver
from qrgate.model import Direction, Scan
from test_trust_live import wait_until

HOUR = 3600


def test_a_cut_cable_drops_the_gate_until_it_is_mended(tmp_path, keys, office, mosquitto):
    site = f"n{uuid.uuid4().hex[:8]}"
    cable = NetCut("127.0.0.1", mosquitto.port)
    app, _pins = mock_gate_app(tmp_path, keys["trust"], site=site, gate="east", mqtt_port=cable.port)
    app.start(cameras=False)
    obs = MqttObserver("127.0.0.1", mosquitto.port, f"qrgate/{site}/#", client_id=f"obs-{site}")
    try:
        assert wait_until(lambda: app.reporter.is_connected, timeout=10)
        assert obs.wait_for(lambda o: o.latest(app.topics.availability) == "online")
        cable.cut()
        assert wait_until(lambda: not app.reporter.is_connected, timeout=5), "the gate never saw the cut"
        assert obs.wait_for(lambda o: o.latest(app.topics.availability) == "offline"), "no last will"
        now = time.time()
        alone = app.controller.handle_scan(Scan(office.issue("v", now - HOUR, now + HOUR), "east",
                                                Direction.ENTRY, now))
        assert alone.decision.granted  # the gate decides on its own
        time.sleep(1.5)  # a reconnect or two is tried and refused meanwhile
        assert not app.reporter.is_connected and alone.event.id not in obs.events
        cable.mend()
        assert wait_until(lambda: app.reporter.is_connected, timeout=20), "the gate did not reconnect"
        assert obs.wait_for(lambda o: alone.event.id in o.events)
        assert obs.wait_for(lambda o: o.latest(app.topics.availability) == "online")
    finally:
        obs.close()
        app.stop()
        cable.close()
