"""The server's part in the site exchange: the shared events it missed, asked of the gates.

The gates of a site catch up from each other through an anti-entropy exchange (docs/site.md,
qrgate.site.sync): each keeps, per origin gate, the seq up to which it holds every shared
event, announces its own head in a retained hello, and answers a `req` with `batch`es from its
ledger. The server takes part read-only, so that after its own downtime, or with its broker
session lost, its database still converges to the union of the gates' shared events:

- it keeps, per site and origin gate, the seq up to which it holds them (table `site_heads`);
- it reads the gates' retained hellos (their heads) and availability; when a gate's head is above
  what it holds, it publishes `sync/<its client id>/req` to that gate (to an online gate, which
  relays what it holds, when that one is offline), stores the `batch` answered to it by event
  id, moves its head to the batch's `through`, and asks again while `more`;
- it publishes nothing else on the site's topics (no hello, event, batch or availability), so
  the gates never count it as a peer: presence and capacity shares stay theirs.

paho's thread only hands the messages over (take()); this module's own thread (worker.py) writes
the database and publishes the requests, and every second asks again for what is still missing
(a lost answer, a gate that went away mid-way).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from ..site.sync import well_formed
from ..site.topics import SyncTopics
from .db import Database, events, site_heads
from .pairing import Pairing
from .rows import BadEvent, batch_rows, shared_event_row
from .worker import DatabaseWorker

log = logging.getLogger(__name__)

ASK_AGAIN_SECONDS = 2.0  # an unanswered request goes again after this
IDLE_ASK_SECONDS = 30.0  # after an answer that brought nothing: the answerer holds no more for now

Publish = Callable[[str, str], None]


@dataclass
class GateView:
    head: int = 0  # its retained hello's: the seq of its newest shared event
    online: bool | None = None  # its availability, None until heard
    hello: bool = False


class Catchup(DatabaseWorker):
    """start(), take(topic, payload) from paho's thread, connected() on each connect, stop()."""

    what = "caught-up events"

    def __init__(self, db: Database, prefix: str, pairing: Pairing, requester: str, publish: Publish,
                 announce: Callable[[list[dict]], None] = lambda rows: None, clock: Callable[[], float] = time.time):
        super().__init__("site-catchup")
        self.db, self.requester, self.publish, self.announce, self.clock = db, requester, publish, announce, clock
        self.pairing = pairing  # the served sites, and the pairs each stored batch makes
        self.topics = {site: SyncTopics(prefix, site) for site in sorted(pairing.sites)}
        self.gates: dict[tuple[str, str], GateView] = {}
        self.held: dict[tuple[str, str], int] = {}
        self.caught_up = 0  # events stored that only the exchange brought
        self._asked: dict[tuple[str, str, str], tuple[int, float]] = {}  # (site, target, origin) -> (after, again at)
        self._named_like_a_gate: set[str] = set()

    def subscriptions(self) -> list[tuple[str, int]]:
        """QoS 0: a broker keeps nothing of these for the server while it is away; the retained hellos
        and availability come on every connect, and batches are asked for again."""
        subs = []
        for topics in self.topics.values():
            subs += [(topics.of("+", "hello"), 0), (topics.of("+", "batch"), 0), (topics.availability, 0)]
        return subs

    # paho's thread -------------------------------------------------------------------------
    def take(self, topic: str, payload: bytes) -> bool:
        """Queue a message of the exchange (False: not one)."""
        site = topic.split("/", 2)[1] if topic.count("/") >= 2 else None
        parsed = self.topics[site].parse(topic) if site in self.topics else None
        if parsed is None or parsed[1] not in ("hello", "batch", "availability"):
            return False
        self._queue.put((site, *parsed, bytes(payload)))
        return True

    # the catch-up thread (worker.DatabaseWorker) -----------------------------------------------
    def reconnected(self) -> None:
        self._asked.clear()  # what was asked before may never be answered: ask again

    failed = reconnected  # the gates keep what a batch held: it is asked for again once the database writes

    def tick(self) -> None:
        self._ask_for_missing()

    def load(self) -> None:
        with self.db.engine.connect() as conn:
            for site, origin, seq in conn.execute(select(site_heads.c.site, site_heads.c.origin, site_heads.c.seq)):
                self.held[(site, origin)] = seq

    def handle(self, site: str, gate: str, kind: str, payload: bytes) -> None:
        view = self.gates.setdefault((site, gate), GateView())
        if kind == "availability":
            view.online = payload.strip() == b"online"
            return
        try:
            body = json.loads(payload) if payload else None
        except (ValueError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict):
            if payload:
                log.warning("site %s: a %s from gate %s is not a JSON object; ignored", site, kind, gate)
            return
        if kind == "hello":
            if gate == self.requester:
                if gate not in self._named_like_a_gate:
                    self._named_like_a_gate.add(gate)
                    log.error("site %s: a gate is named %r, as this server's mqtt.client_id: give the server "
                              "another client id, or it cannot catch up from the gates", site, gate)
                return
            if type(body.get("head")) is int and body["head"] >= 0:
                view.head, view.hello = body["head"], True
        elif body.get("to") == self.requester:
            self._on_batch(site, gate, body)

    def _on_batch(self, site: str, answerer: str, body: dict) -> None:
        origin, after, through, batch = body.get("origin"), body.get("after"), body.get("through"), body.get("events")
        if not isinstance(origin, str) or not isinstance(batch, list):
            log.warning("site %s: a batch from gate %s names no origin or events; ignored", site, answerer)
            return
        now = self.clock()

        def row_of(event: object) -> dict:
            if not well_formed(event, origin):
                raise BadEvent("malformed")
            return shared_event_row(site, event, now)

        rows, bad = batch_rows(batch, row_of)
        if bad:
            log.warning("site %s: %d malformed event(s) in a batch from gate %s; ignored", site, bad, answerer)
        key = (site, origin)
        held = self.held.get(key, 0)
        head = held
        if not bad and type(after) is int and type(through) is int and after <= held:
            head = max(held, through)  # nothing else of origin's exists up to `through` at the answerer
        new = self._store(site, origin, rows, head if head > held else None)
        self.held[key] = head
        if new:
            self.caught_up += len(new)
            log.info("site %s: caught up %d event(s) of gate %s from gate %s (held through %d)", site, len(new),
                     origin, answerer, head)
            self.announce(new)
        view = self.gates.get(key)
        if body.get("more") is True or (view is not None and view.head > head):
            if head == held:  # nothing moved: the answerer holds no more of it for now
                self._asked[(site, answerer, origin)] = (head, now + IDLE_ASK_SECONDS)
            self._ask(site, answerer, origin, head, now)
        else:
            self._asked.pop((site, answerer, origin), None)

    def _store(self, site: str, origin: str, rows: list[dict], head: int | None) -> list[dict]:
        """Insert the rows not held yet and move the head, in one transaction; the rows that were new."""
        with self.db.engine.begin() as conn:
            ids = [row["id"] for row in rows]
            known = set(conn.execute(select(events.c.id).where(events.c.id.in_(ids))).scalars()) if ids else set()
            new = self.pairing.with_places([row for row in rows if row["id"] not in known])
            self.db.insert_ignoring_duplicates(conn, events, new, ["id"])  # the outbox's copy may just have come
            self.pairing.pair(self.db, conn, new)
            if head is not None:
                self.db.insert_or_update(conn, site_heads, [{"site": site, "origin": origin, "seq": head}],
                                         ["site", "origin"], "seq", lambda held, new: held < new)
        return new

    def _ask_for_missing(self) -> None:
        now = self.clock()
        for (site, origin), view in list(self.gates.items()):
            held = self.held.get((site, origin), 0)
            if view.head > held:
                self._ask(site, self._holder_of(site, origin), origin, held, now)

    def _holder_of(self, site: str, origin: str) -> str:
        """The gate itself, or when it is offline, an online gate of the site, which relays what it holds."""
        if self.gates[(site, origin)].online is not False:
            return origin
        relays = sorted(g for (s, g), v in self.gates.items() if s == site and g != origin and v.online and v.hello)
        return relays[0] if relays else origin

    def _ask(self, site: str, target: str, origin: str, after: int, now: float) -> None:
        key = (site, target, origin)
        last = self._asked.get(key)
        if last is not None and last[0] == after and now < last[1]:
            return
        self._asked[key] = (after, now + ASK_AGAIN_SECONDS)
        self.publish(self.topics[site].of(self.requester, "req"), json.dumps({"to": target, "after": {origin: after}}))
