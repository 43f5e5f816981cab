"""Shared presence: every gate of a site hears every other gate's movements and merges them.

A SiteSync rides on the gate's one MQTT connection (it is an extension of
qrgate.comms.mqtt.MqttReporter, and everything here runs on the reporter's drain thread,
never on paho's). Its own events go out live from the ledger, which is the durable
outbox: the sync remembers only how far it has published, and a peer that missed a
message asks for it again. Anti-entropy does not rely on broker sessions:

- every gate keeps, per origin gate, the seq up to which it holds every shared event
  (Ledger.last_seq_from), and publishes its own head in a retained hello;
- on (re)connecting, the retained hellos arrive; a gate whose holdings from a peer are
  behind that peer's head sends it a req (or, if the peer is offline, asks an online peer
  to relay what it holds), and is answered from the ledger in batches;
- a live event whose seq leaves a gap triggers the same request.

Merging is idempotent by event id (Ledger.merge), so every gate converges to the same
presence. The gate's capacity shares (site/escrow.py) ride in the hello too.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable

from ..errors import LedgerError
from ..ledger import Ledger
from ..policy.rules import Policy
from .escrow import Pool
from .secret import fingerprint
from .topics import SyncTopics

log = logging.getLogger(__name__)

Publish = Callable[..., bool]  # publish(topic, payload, qos=1, retain=False) -> sent?

ASK_AGAIN_SECONDS = 2.0  # an unanswered request for the same events goes again after this
LIVE_PER_PUMP = 500


@dataclass
class Peer:
    gate: str
    fingerprint: str | None = None
    head: int = 0
    shares: dict[str, int] = field(default_factory=dict)
    online: bool = False
    heard: bool = False  # a hello with our fingerprint arrived


class SiteSync:
    def __init__(self, *, ledger: Ledger, topics: SyncTopics, gate_id: str, secret: bytes, policy: Policy,
                 gates: Iterable[str] = (), batch: int = 500, clock: Callable[[], float] = time.time,
                 on_merged: Callable[[list[dict]], None] | None = None,
                 on_mismatch: Callable[[str], None] | None = None, link_up: Callable[[], bool] = lambda: True,
                 on_storage_failed: Callable[[LedgerError], None] | None = None):
        self.ledger = ledger
        self.topics = topics
        self.gate_id = gate_id
        self.fingerprint = fingerprint(secret)
        self.policy = policy
        self.configured_gates = tuple(sorted(set(gates)))
        self.batch = batch
        self.clock = clock
        self.on_merged = on_merged or (lambda events: None)
        self.on_mismatch = on_mismatch or (lambda gate: None)
        #: told when the log cannot take peers' events (the gate raises its storage alarm)
        self.on_storage_failed = on_storage_failed or (lambda exc: None)
        self._behind = False  # peers' events were refused by the log and must be asked for again
        #: the connection itself (MqttReporter.is_connected): a cut counts from the moment it drops,
        #: before the drain thread has been told
        self.link_up = link_up
        self.peers: dict[str, Peer] = {}
        self.mismatched: dict[str, str] = {}  # gate -> its fingerprint, when it differs from ours
        self.checked = threading.Event()  # our own live hello came back: every retained hello is in
        self._lock = threading.Lock()
        self._connected = False
        self._cut_at: float | None = clock()  # not yet connected: deciding alone
        self._frozen: dict[str, int] = {}  # our shares at the cut
        self._shares: dict[str, int] = {}
        self._sent = ledger.last_seq_from(gate_id)  # own events after this go out live
        self._asked: dict[tuple[str, str], tuple[int, float]] = {}
        self._hello_sent: tuple | None = None
        self.merged_total = 0

    # -- what the reporter asks of an extension (drain thread) --------------------------------
    def subscriptions(self) -> list[tuple[str, int]]:
        return [(self.topics.all, 1), (self.topics.availability, 1)]

    def connected(self, publish: Publish) -> None:
        with self._lock:
            self._connected = True
            self._cut_at = None
        self._sent = min(self._sent, self.ledger.last_seq_from(self.gate_id))
        self._asked.clear()
        self._hello_sent = None
        self._send_hello(publish)
        log.info("site sync: connected; %d peer(s) known", len(self.peers))

    def disconnected(self) -> None:
        with self._lock:
            if self._connected or self._cut_at is None:
                self._cut_now()
            for peer in self.peers.values():
                peer.online = False

    def _cut_now(self) -> None:
        """(Lock held.) The cut begins: freeze our shares; what we admit from now on counts against them."""
        self._cut_at = self.clock()
        self._frozen = dict(self._shares)
        self._connected = False
        log.warning("site sync: cut off from the other gates; capacity shares %s", self._frozen or "none")

    def handle(self, topic: str, payload: bytes, retained: bool, publish: Publish) -> bool:
        parsed = self.topics.parse(topic)
        if parsed is None:
            return False
        gate, kind = parsed
        if kind == "availability":
            if gate != self.gate_id:
                with self._lock:
                    self._peer(gate).online = payload.strip() == b"online"
            return True
        try:
            body = json.loads(payload) if payload else None
        except ValueError:
            log.warning("site sync: %s from gate %s is not JSON; ignored", kind, gate)
            return True
        if body is None:
            return True
        if not isinstance(body, dict):
            log.warning("site sync: %s from gate %s is not a JSON object; ignored", kind, gate)
            return True
        if kind == "hello":
            self._on_hello(gate, body, retained, publish)
        elif gate == self.gate_id or gate in self.mismatched:
            return True
        elif kind == "events":
            self._on_live(gate, body, publish)
        elif kind == "req" and body.get("to") == self.gate_id:
            self._answer(gate, body, publish)
        elif kind == "batch" and body.get("to") == self.gate_id:
            self._on_batch(gate, body, publish)
        return True

    def pump(self, publish: Publish) -> None:
        """Publish our own new events and, when they changed, our head and shares; after the log
        refused peers' events, ask for what is missing."""
        if self._behind:
            self._behind = False
            for origin in sorted(self.peers):
                self._catch_up(origin, publish)
        own = self.ledger.events_of(self.gate_id, self._sent, LIVE_PER_PUMP)
        for event in own:
            if not publish(self.topics.of(self.gate_id, "events"), json.dumps(event, separators=(",", ":"))):
                break
            self._sent = event["origin_seq"]
        self._update_shares()
        if self._hello_key() != self._hello_sent:  # at most one per drain pass, however many events
            self._send_hello(publish)

    # -- hellos: fingerprints, heads, shares ---------------------------------------------------
    def _hello_key(self) -> tuple:
        with self._lock:
            return self.ledger.last_seq_from(self.gate_id), tuple(sorted(self._shares.items()))

    def _send_hello(self, publish: Publish) -> None:
        head, shares = self._hello_key()
        body = {"gate": self.gate_id, "fingerprint": self.fingerprint, "head": head, "shares": dict(shares),
                "at": round(self.clock(), 3)}
        if publish(self.topics.of(self.gate_id, "hello"), json.dumps(body), qos=1, retain=True):
            self._hello_sent = (head, shares)

    def _on_hello(self, gate: str, body: dict, retained: bool, publish: Publish) -> None:
        if gate == self.gate_id:
            if not retained:
                self.checked.set()
            elif body.get("fingerprint") == self.fingerprint and type(body.get("head")) is int:
                self._adopt_own_head(body["head"])
            return
        theirs = body.get("fingerprint")
        if theirs != self.fingerprint:
            if self.mismatched.get(gate) != theirs:
                self.mismatched[gate] = theirs
                log.error("site sync: gate %s has another site secret (fingerprint %s, ours %s); its events "
                          "are ignored", gate, theirs, self.fingerprint)
                self.on_mismatch(gate)
            return
        self.mismatched.pop(gate, None)
        head = body.get("head")
        shares = body.get("shares")
        with self._lock:
            peer = self._peer(gate)
            peer.heard = True
            peer.fingerprint = theirs
            if isinstance(head, int):
                peer.head = head
            if isinstance(shares, dict):
                peer.shares = {k: v for k, v in shares.items() if isinstance(v, int)}
        self._catch_up(gate, publish)

    def _adopt_own_head(self, head: int) -> None:
        """Our retained hello says we once made more shared events than this ledger holds (the file was
        replaced): carry on after them, so the peers, who hold the old ones, take the new ones."""
        own = self.ledger.last_seq_from(self.gate_id)
        if head > own:
            log.warning("site sync: this gate's ledger holds %d of its %d shared events (a new file?); "
                        "numbering goes on from %d", own, head, head)
            self.ledger.hold_through(self.gate_id, head)
            self._sent = max(self._sent, head)

    def _peer(self, gate: str) -> Peer:
        if gate not in self.peers:
            self.peers[gate] = Peer(gate)
        return self.peers[gate]

    # -- anti-entropy ------------------------------------------------------------------------
    def _catch_up(self, origin: str, publish: Publish, *, force: bool = False) -> None:
        """Ask for `origin`'s events after what we hold: from it, or from an online peer if it is away."""
        peer = self.peers.get(origin)
        held = self.ledger.last_seq_from(origin)
        if peer is None or (peer.head <= held and not force):
            return
        target = origin
        if not peer.online:
            relays = sorted(g for g, p in self.peers.items() if p.online and p.heard and g != origin)
            if not relays:
                target = origin  # it may be online without its availability heard yet
            else:
                target = relays[0]
        self._ask(target, origin, held, publish)

    def _ask(self, target: str, origin: str, after: int, publish: Publish) -> None:
        now = self.clock()
        last = self._asked.get((target, origin))
        if last is not None and last[0] == after and now - last[1] < ASK_AGAIN_SECONDS:
            return
        self._asked[(target, origin)] = (after, now)
        publish(self.topics.of(self.gate_id, "req"), json.dumps({"to": target, "after": {origin: after}}))

    def _answer(self, requester: str, body: dict, publish: Publish) -> None:
        after = body.get("after")
        if not isinstance(after, dict):
            return
        for origin, seq in after.items():
            if not isinstance(origin, str) or not isinstance(seq, int) or seq < 0:
                continue
            events = self.ledger.events_of(origin, seq, self.batch)
            held = self.ledger.last_seq_from(origin)
            full = len(events) == self.batch
            through = min(events[-1]["origin_seq"], held) if full else max(held, seq)
            answer = {"to": requester, "origin": origin, "after": seq, "through": through, "more": full,
                      "events": events}
            publish(self.topics.of(self.gate_id, "batch"), json.dumps(answer, separators=(",", ":")))

    def _on_batch(self, answerer: str, body: dict, publish: Publish) -> None:
        origin, after, through = body.get("origin"), body.get("after"), body.get("through")
        events = body.get("events")
        if not isinstance(origin, str) or not isinstance(events, list) or origin == self.gate_id:
            return
        if origin in self.mismatched:
            return
        good = [e for e in events if well_formed(e, origin)]
        if len(good) != len(events):
            log.warning("site sync: %d malformed event(s) in a batch from gate %s; ignored",
                        len(events) - len(good), answerer)
        held_before = self.ledger.last_seq_from(origin)
        if not self._merge(good):
            return
        if (len(good) == len(events) and type(after) is int and type(through) is int
                and after <= held_before):
            self.ledger.hold_through(origin, through)
        self._asked.pop((answerer, origin), None)
        held = self.ledger.last_seq_from(origin)
        peer = self.peers.get(origin)
        if body.get("more") or (peer is not None and peer.head > held):
            self._ask(answerer, origin, held, publish)

    def _on_live(self, origin: str, body: dict, publish: Publish) -> None:
        if not well_formed(body, origin):
            log.warning("site sync: a malformed event from gate %s; ignored", origin)
            return
        if not self._merge([body]):
            return  # the next event from this gate shows the gap, and the missing ones are asked for
        held = self.ledger.last_seq_from(origin)
        with self._lock:
            peer = self._peer(origin)
            peer.head = max(peer.head, body["origin_seq"])
        if body["origin_seq"] > held:  # a gap: something was missed
            self._ask(origin, origin, held, publish)

    def _merge(self, events: list[dict]) -> bool:
        """Merge peers' events; False when the log cannot take them now (they are asked for again later)."""
        if not events:
            return True
        try:
            new = self.ledger.merge(events)
        except LedgerError as exc:
            self.on_storage_failed(exc)
            self._behind = True  # asked for again once the log takes writes (pump)
            self._asked.clear()  # the answers were not taken: the same question must go out again
            return False
        if new:
            self.merged_total += len(new)
            self.on_merged(new)
        return True

    # -- capacity shares (site/escrow.py) ---------------------------------------------------
    def site_gates(self) -> tuple[str, ...]:
        if self.configured_gates:
            return self.configured_gates
        with self._lock:
            return tuple(sorted({self.gate_id, *(g for g, p in self.peers.items() if p.heard)}))

    def _pools(self) -> dict[str, Pool]:
        pools = {}
        if self.policy.occupancy_cap is not None:
            pools["site"] = Pool(self.policy.occupancy_cap, self.site_gates())
        if self.policy.zone_cap is not None and self.policy.zone_gates:
            pools["zone"] = Pool(self.policy.zone_cap, tuple(sorted(self.policy.zone_gates | {self.gate_id})))
        return pools

    def _occupancies(self) -> dict[str, int]:
        occupancy = self.ledger.occupancy()
        zone = 0
        if self.policy.zone_gates:
            by_gate = self.ledger.inside_by_gate()
            zone = sum(by_gate.get(g, 0) for g in self.policy.zone_gates)
        return {"site": occupancy, "zone": zone}

    def _update_shares(self) -> None:
        pools = self._pools()
        if not pools:
            return
        occupancy = self._occupancies()
        shares = {name: pool.share(self.gate_id, occupancy[name]) for name, pool in pools.items()}
        with self._lock:
            if self._connected:
                self._shares = shares

    def behind(self) -> bool:
        """Whether a peer has made shared events this ledger does not hold yet (its hello says so)."""
        with self._lock:
            heads = [(gate, peer.head) for gate, peer in self.peers.items()]
        return any(head > self.ledger.last_seq_from(gate) for gate, head in heads)

    @property
    def partitioned(self) -> bool:
        with self._lock:
            return not (self._connected and self.link_up())

    def rooms(self, occupancy: int, zone_occupancy: int) -> tuple[bool, int | None, int | None]:
        """(cut off?, room under the site cap, room under the zone cap) for the next entry here."""
        pools = self._pools()
        with self._lock:
            if self._connected and not self.link_up():
                self._cut_now()  # just dropped, before the drain thread noticed: the cut starts now
            connected, cut_at, frozen = self._connected, self._cut_at, dict(self._frozen)
            peers = {g: (p.online, dict(p.shares)) for g, p in self.peers.items()}
        seen = {"site": occupancy, "zone": zone_occupancy}
        rooms: dict[str, int | None] = {"site": None, "zone": None}
        admitted = None
        for name, pool in pools.items():
            if len(pool.gates) < 2:
                continue  # a gate alone in its pool needs no escrow
            if connected:
                unheard = [shares.get(name, 0) for g, (online, shares) in peers.items()
                           if g in pool.gates and g != self.gate_id and not online]
                rooms[name] = pool.room_connected(seen[name], unheard)
            else:
                if admitted is None:
                    admitted = self.ledger.net_admitted(self.gate_id, cut_at if cut_at is not None else 0.0)
                rooms[name] = pool.room_cut_off(seen[name], frozen.get(name, 0), admitted)
        return not connected, rooms["site"], rooms["zone"]

    def status(self) -> dict:
        """What the gate knows of its site (for the state topic and tests)."""
        held = self.ledger.heads()
        with self._lock:
            return {"connected": self._connected, "cut_at": self._cut_at, "shares": dict(self._shares),
                    "frozen_shares": dict(self._frozen), "head": held.get(self.gate_id, 0),
                    "peers": {g: {"online": p.online, "heard": p.heard, "head": p.head, "held": held.get(g, 0)}
                              for g, p in self.peers.items()},
                    "mismatched": sorted(self.mismatched)}


_OPTIONAL_TEXT = ("direction", "holder", "format", "pass_id")


def well_formed(event: object, origin: str) -> bool:
    """A shared event from `origin` with every field of the right type (anything else is dropped)."""
    return (isinstance(event, dict) and event.get("origin") == origin
            and type(event.get("origin_seq")) is int and event["origin_seq"] > 0
            and isinstance(event.get("id"), str) and 0 < len(event["id"]) <= 64
            and type(event.get("at")) in (int, float)
            and (event.get("order_at") is None or type(event.get("order_at")) in (int, float))
            and isinstance(event.get("gate"), str) and event.get("type") in ("entry", "exit", "denied")
            and isinstance(event.get("reason"), str)
            and all(event.get(k) is None or isinstance(event.get(k), str) for k in _OPTIONAL_TEXT)
            and (event.get("code_step") is None or type(event.get("code_step")) is int))
