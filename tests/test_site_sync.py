"""One site, many gates, on a real Mosquitto: shared presence, anti-passback and caps across gates,
a rotating code replayed at a second gate, a partition that heals with its conflict recorded once,
a gate restarted after missing 500 events, and a gate with another site secret refused.

Each gate is the production GateApp with its own ledger file and its own MQTT connection;
scans go through GateController.handle_scan as a camera's would.
"""

from __future__ import annotations

import time
import uuid

import pytest
from conftest import site_gate_app
from qrgate.app import GateApp
from qrgate.credentials.rotating import load_rotation_key, new_rotation_file
from qrgate.errors import SiteError
from qrgate.model import Direction, Scan
from waiting import wait_until as wait

HOUR = 3600
IN, OUT = Direction.ENTRY, Direction.EXIT


def site_gate(tmp_path, keys, port, site, gate, **options) -> GateApp:
    return site_gate_app(tmp_path, keys["trust"], port, site, gate, **options)


def scan(app: GateApp, text: str, direction: Direction, at: float | None = None):
    at = time.time() if at is None else at
    return app.controller.handle_scan(Scan(text, app.cfg.gate.id, direction, at)).decision


def heard(app: GateApp, origin: GateApp) -> bool:
    """`app` holds every shared event `origin` has made."""
    return app.ledger.last_seq_from(origin.cfg.gate.id) == origin.ledger.last_seq_from(origin.cfg.gate.id)


def online(app: GateApp, peer: str) -> bool:
    p = app.site.peers.get(peer)
    return p is not None and p.online and p.heard


@pytest.fixture
def site_id():
    return f"s{uuid.uuid4().hex[:8]}"


@pytest.fixture
def gates(tmp_path, keys, mosquitto, site_id):
    made = []

    def make(gate, **options):
        app = site_gate(tmp_path, keys, mosquitto.port, site_id, gate, **options)
        made.append(app)
        return app

    yield make
    for app in made:
        try:
            app.stop()
        except Exception:
            pass


def test_enter_at_a_leave_by_b_enter_at_a_again(gates, office):
    now = time.time()
    a, b = gates("a"), gates("b")
    assert wait(lambda: online(a, "b") and online(b, "a"))
    visitor = office.issue("v-ab", now - HOUR, now + HOUR)
    assert scan(a, visitor, IN).reason == "granted"
    assert wait(lambda: heard(b, a))
    assert b.ledger.occupancy() == 1
    assert scan(b, visitor, OUT).reason == "granted"  # B knew they were inside
    assert wait(lambda: heard(a, b))
    assert a.ledger.occupancy() == 0
    assert scan(a, visitor, IN).reason == "granted"  # not locked out
    assert wait(lambda: heard(b, a))
    assert a.ledger.presence_rows() == b.ledger.presence_rows()
    # each gate counts its own movements; the site's presence is shared
    assert a.counts()["total"]["entries"] == 2 and b.counts()["total"]["exits"] == 1


def test_anti_passback_cap_and_auto_direction_across_gates(gates, office):
    now = time.time()
    policy = {"occupancy_cap": 2}
    a, b = gates("a", policy=policy, gates=["a", "b"]), gates("b", policy=policy, gates=["a", "b"])
    assert wait(lambda: online(a, "b") and online(b, "a"))
    first, second, third = (office.issue(f"v-cap-{i}", now - HOUR, now + HOUR) for i in range(3))
    assert scan(a, first, IN).reason == "granted"
    assert wait(lambda: heard(b, a))
    assert scan(b, first, IN).reason == "already_inside"  # anti-passback holds site-wide
    assert scan(b, second, IN).reason == "granted"
    assert wait(lambda: heard(a, b))
    assert scan(a, third, IN).reason == "occupancy_full"  # one at each gate: the cap is the site's
    assert scan(b, third, IN).reason == "occupancy_full"
    # a one-camera gate knows a holder who came in elsewhere is leaving
    assert a.controller.handle_scan(Scan(second, "a", Direction.AUTO, time.time())).decision.direction is OUT
    assert wait(lambda: heard(b, a))
    assert scan(b, third, IN).reason == "granted"


def test_a_rotating_code_is_accepted_at_one_gate_only(gates, office, tmp_path):
    rotation = new_rotation_file(tmp_path)
    key = load_rotation_key(rotation)
    a, b = gates("a", extra_trust=[str(rotation)]), gates("b", extra_trust=[str(rotation)])
    assert wait(lambda: online(a, "b") and online(b, "a"))
    now = time.time()
    static = office.issue("v-rot", now - HOUR, now + HOUR, rotating=True)
    code = office.rotating_code(static, key, now)
    assert scan(a, code, IN, now).reason == "granted"
    assert wait(lambda: heard(b, a))
    # the same code shown at B a moment later (a screenshot sent to a friend): refused there too
    assert scan(b, code, OUT, now + 1).reason == "code_reused"
    assert scan(b, code, IN, now + 1).reason == "code_reused"


def test_a_partition_keeps_caps_by_shares_and_its_conflict_is_recorded_once(gates, office):
    now = time.time()
    policy = {"occupancy_cap": 4}
    a, b = gates("a", policy=policy, gates=["a", "b"]), gates("b", policy=policy, gates=["a", "b"])
    assert wait(lambda: online(a, "b") and online(b, "a"))
    assert wait(lambda: a.site.status()["shares"] == {"site": 2} and b.site.status()["shares"] == {"site": 2})
    assert wait(lambda: b.site.peers["a"].shares == {"site": 2})
    same = office.issue("v-twice", now - HOUR, now + HOUR)
    others = [office.issue(f"v-part-{i}", now - HOUR, now + HOUR) for i in range(4)]

    a.reporter.partition()
    assert wait(lambda: a.site.partitioned and not b.site.peers["a"].online)  # B heard A's last will
    # cut off, each admits within its share of the 4 free places: 2 each, never 5 inside
    assert scan(a, same, IN).reason == "granted"
    assert scan(b, same, IN).reason == "granted"  # B cannot know A let them in
    assert scan(a, others[0], IN).reason == "granted"
    assert scan(a, others[1], IN).reason == "occupancy_full"
    assert scan(b, others[2], IN).reason == "granted"
    assert scan(b, others[3], IN).reason == "occupancy_full"

    a.reporter.heal()
    assert wait(lambda: heard(a, b) and heard(b, a))
    assert a.ledger.presence_rows() == b.ledger.presence_rows()
    assert a.ledger.occupancy() == b.ledger.occupancy() == 3  # the double entry is one person

    def conflicts(app):
        return [e for e in app.ledger.events() if e.type == "site_conflict"]

    assert wait(lambda: len(conflicts(a)) == 1 and len(conflicts(b)) == 1)
    ca, cb = conflicts(a)[0], conflicts(b)[0]
    assert ca.id == cb.id and ca.reason == "double_entry"  # the same site event at both gates
    assert sorted(a.ledger.details(ca.id)["gates"]) == ["a", "b"]
    assert wait(lambda: all(app.alarms()["site_conflict"]["latched"] for app in (a, b)))
    # after healing the shares are split anew: 1 free place, one gate holds it
    assert scan(a, others[1], IN).reason == "granted"
    assert wait(lambda: heard(b, a))
    assert scan(b, others[3], IN).reason == "occupancy_full"
    time.sleep(0.3)
    assert len(conflicts(a)) == len(conflicts(b)) == 1  # recorded once, however often it is found


def test_deny_entry_while_cut_off_lets_people_out(gates, office):
    now = time.time()
    a, b = gates("a", policy={"on_partition": "deny_entry"}), gates("b", policy={"on_partition": "deny_entry"})
    assert wait(lambda: online(a, "b") and online(b, "a"))
    visitor, other = office.issue("v-deny", now - HOUR, now + HOUR), office.issue("v-deny2", now - HOUR, now + HOUR)
    assert scan(a, visitor, IN).reason == "granted"
    assert wait(lambda: heard(b, a))
    b.reporter.partition()
    assert wait(lambda: b.site.partitioned)
    assert scan(b, other, IN).reason == "site_partitioned"
    assert scan(b, visitor, OUT).reason == "granted"
    b.reporter.heal()
    assert wait(lambda: heard(a, b))
    assert a.ledger.occupancy() == b.ledger.occupancy() == 0  # the exit at the cut-off gate reached A


def test_a_gate_restarted_after_missing_500_events_catches_up(gates, office, tmp_path, keys, mosquitto, site_id):
    a, b = gates("a"), gates("b")
    assert wait(lambda: online(a, "b") and online(b, "a"))
    b.stop()
    t = time.time()
    for i in range(500):  # 250 people in, 125 of them out again, while B is down
        holder = f"h{i // 2:04d}"
        if i % 2 == 0 or i % 4 == 1:
            a.ledger.record(at=t + i * 0.001, gate_id="a", type="entry" if i % 2 == 0 else "exit",
                            reason="granted", direction="entry" if i % 2 == 0 else "exit", holder=holder)
        else:
            a.ledger.record(at=t + i * 0.001, gate_id="a", type="entry", reason="granted_reentry",
                            direction="entry", holder=f"x{i:04d}")
    assert a.ledger.last_seq_from("a") == 500
    again = gates("b")
    assert wait(lambda: heard(again, a), timeout=15)
    assert again.ledger.presence_rows() == a.ledger.presence_rows()
    assert again.ledger.occupancy() == a.ledger.occupancy()


def test_a_gate_with_another_site_secret_refuses_to_start(gates, tmp_path, keys, mosquitto, site_id):
    a = gates("a")
    assert wait(lambda: a.site.checked.is_set())
    with pytest.raises(SiteError) as refused:
        site_gate(tmp_path, keys, mosquitto.port, site_id, "b", secret="other.secret")
    message = str(refused.value)
    assert "site.secret_file" in message and "qrgate site secret import" in message
    assert (tmp_path / "site.secret").read_bytes().hex() not in message
    assert wait(lambda: a.alarms()["site_secret_mismatch"]["latched"])


def test_garbage_on_the_sync_topics_is_ignored_and_the_gates_keep_syncing(gates, office, mosquitto, site_id, caplog):
    import json
    import logging

    import paho.mqtt.client as paho

    caplog.set_level(logging.WARNING)
    now = time.time()
    a, b = gates("a"), gates("b")
    assert wait(lambda: online(a, "b") and online(b, "a"))
    rogue = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"rogue-{site_id}")
    rogue.connect("127.0.0.1", mosquitto.port)
    rogue.loop_start()
    base = f"qrgate/{site_id}/sync"
    good = {"id": "x1", "origin": "b", "origin_seq": 99, "at": now, "gate": "b", "type": "entry",
            "reason": "granted", "direction": "entry", "holder": "h", "format": None, "pass_id": None,
            "code_step": None}
    for topic, payload in ((f"{base}/b/events", b"\xff\xfenot json"), (f"{base}/b/events", b"[1, 2]"),
                           (f"{base}/b/events", json.dumps({**good, "holder": {"name": "x"}})),
                           (f"{base}/b/events", json.dumps({**good, "origin_seq": "9"})),
                           (f"{base}/b/hello", b"{"), (f"{base}/b/req", json.dumps({"to": "a", "after": [1]})),
                           (f"{base}/b/req", json.dumps({"to": "a", "after": {"a": -5, "b": "x"}})),
                           (f"{base}/b/batch", json.dumps({"to": "a", "origin": "b", "after": 0, "through": 10**9,
                                                           "events": [{**good, "at": "yesterday"}]})),
                           (f"{base}/b/batch", json.dumps({"to": "a", "origin": 5, "events": "no"}))):
        rogue.publish(topic, payload, qos=1).wait_for_publish(5)
    rogue.disconnect()
    rogue.loop_stop()
    visitor = office.issue("v-garbage", now - HOUR, now + HOUR)
    assert scan(b, visitor, IN).reason == "granted"
    assert wait(lambda: a.ledger.occupancy() == 1)
    assert a.ledger.last_seq_from("b") == b.ledger.last_seq_from("b") == 1  # the bad batch claimed nothing
    assert "x1" not in {e.id for e in a.ledger.events()}
    assert not [r for r in caplog.records if r.exc_info]  # no traceback: each bad message got one line
    assert any("malformed" in r.getMessage() or "not JSON" in r.getMessage() for r in caplog.records)


def test_a_gate_whose_ledger_was_replaced_numbers_on_after_its_old_events(gates, office, tmp_path):
    now = time.time()
    a, b = gates("a"), gates("b")
    assert wait(lambda: online(a, "b") and online(b, "a"))
    for i in range(3):
        assert scan(a, office.issue(f"v-old-{i}", now - HOUR, now + HOUR), IN).granted
    assert wait(lambda: heard(b, a))
    a.stop()
    for suffix in ("", "-wal", "-shm", ".written"):  # a new SD card: the ledger starts empty
        (tmp_path / f"a.db{suffix}").unlink(missing_ok=True)
    again = gates("a")
    assert again.ledger.last_seq_from("a") == 3  # learnt from its own retained hello before deciding
    assert scan(again, office.issue("v-new", now - HOUR, now + HOUR), IN).granted
    assert wait(lambda: b.ledger.last_seq_from("a") == 4 and b.ledger.occupancy() == 4)
