"""A site of three gates, each a process of its own, on a real Mosquitto: people leave by
another gate, a partition heals with its conflict recorded once everywhere, and a gate killed
while the others moved 500 people catches up when it starts again."""

from __future__ import annotations

import time
import uuid

import pytest

from site_process import GatePeer
from waiting import wait_until as wait

HOUR = 3600


@pytest.fixture
def site(tmp_path, keys, mosquitto):
    site_id = f"p{uuid.uuid4().hex[:8]}"
    peers: dict[str, GatePeer] = {}

    def start(gate, **options):
        peers[gate] = GatePeer(tmp_path, keys["trust"], mosquitto.port, site_id, gate, **options)
        return peers[gate]

    yield start
    for peer in peers.values():
        peer.stop()


def all_heard(gates) -> bool:
    return all(sum(g.call("peers").values()) == len(gates) - 1 for g in gates)


def same_presence(gates) -> bool:
    rows = [g.call("presence") for g in gates]
    return all(r == rows[0] for r in rows)


def test_three_gate_processes_share_presence_and_heal(site, office):
    now = time.time()
    a, b, c = site("a"), site("b"), site("c")
    gates = (a, b, c)
    assert wait(lambda: all_heard(gates))
    visitor = office.issue("v-proc", now - HOUR, now + HOUR)
    assert a.scan(visitor, "entry")[:2] == (True, "granted")
    assert wait(lambda: same_presence(gates))
    assert b.scan(visitor, "exit")[:2] == (True, "granted")  # B knew they were inside
    assert wait(lambda: same_presence(gates))
    assert c.scan(visitor, "auto") == (True, "granted", "entry")  # C knew they had left
    assert wait(lambda: same_presence(gates))
    assert a.scan(visitor, "entry")[:2] == (False, "already_inside")

    twice = office.issue("v-proc-twice", now - HOUR, now + HOUR)
    a.call("partition")
    assert a.scan(twice, "entry")[:2] == (True, "granted")
    assert b.scan(twice, "entry")[:2] == (True, "granted")  # B could not know
    a.call("heal")
    assert wait(lambda: same_presence(gates))
    assert wait(lambda: all(len(g.call("conflicts")) == 1 for g in gates))
    found = {tuple(g.call("conflicts")) for g in gates}
    assert len(found) == 1 and next(iter(found))[0][1] == "double_entry"  # one site event, same id everywhere
    assert all(g.call("alarms")["site_conflict"]["latched"] for g in gates)


def test_a_gate_killed_while_500_movements_happened_catches_up(site):
    a, b, c = site("a"), site("b"), site("c")
    assert wait(lambda: all_heard((a, b, c)))
    c.kill()  # a power cut: no goodbye
    head_a = a.call("movements", 250)
    head_b = b.call("movements", 250)
    assert (head_a, head_b) == (250, 250)
    assert wait(lambda: same_presence((a, b)))
    c = site("c")  # the same ledger file, a new process
    assert wait(lambda: c.call("heads").get("a") == 250 and c.call("heads").get("b") == 250, timeout=20)
    assert same_presence((a, b, c))
