"""Every event a gate recorded itself, asked of that gate when the broker kept nothing for the server.

The events topic and the broker's persistent session bring each gate's events; the site exchange
(catchup.py) brings the shared ones (entries, exits) whatever the session kept. For the rest
(denials, alarms, mode changes, ...) after a lost session, the server asks each gate for its
own events (comms/history.py on the gate's side):

- per site and gate it keeps the seq up to which it holds every event the gate recorded itself,
  or the gate no longer keeps (table `gate_heads`); it moves only by a gate's answer's `through`
  (the gate's own seqs have gaps where it merged its peers' events, so the stored rows alone
  cannot say what is missing);
- on every connect, when it first sees a gate (its retained availability, an event), when a gate
  comes back online, and every RECHECK_SECONDS, it asks that gate on `<gate>/history/req/<its
  client id>` for its events after the head, saying how many it already holds beyond it and up
  to which seq, so that a gate that finds as many answers from there on (usually an empty page);
- each answer's events are parsed as the events topic's are and stored by id (filling in the
  seq of a row the site exchange brought), then the head moves to `through`; it asks again at
  once while `more`. An unanswered request goes again after 2 s, doubling up to 5 min (a gate
  without the responder); an offline gate is asked when it is back.

A gate's answer says the oldest seq it still holds: what it purged past its retention is
logged once and never asked for again.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select

from ..comms.topics import GateTopics
from .db import Database, events, gate_heads
from .rows import MAX_SEQ, batch_rows, event_row
from .worker import DatabaseWorker

log = logging.getLogger(__name__)

ASK_AGAIN_SECONDS = 2.0  # an unanswered request goes again after this, doubling each time
MAX_WAIT_SECONDS = 300.0
RECHECK_SECONDS = 600.0  # a gate caught up is asked again after this (an empty page when nothing is missing)

Publish = Callable[[str, str], None]
Store = Callable[[list[dict]], None]


@dataclass
class GateState:
    online: bool | None = None  # its availability, None until heard
    due: bool = True  # a catch-up is to run
    again_at: float = 0.0
    wait: float = ASK_AGAIN_SECONDS
    purge_logged: bool = False


class History(DatabaseWorker):
    """start(), take(topic, payload) and seen(site, gate) from paho's thread, connected() on each
    connect, stop(). `store(rows)` writes rows as the events topic's are (Ingest.store_or_drop)."""

    what = "gates' history"

    def __init__(self, db: Database, prefix: str, sites: set[str], requester: str, publish: Publish, store: Store,
                 clock: Callable[[], float] = time.time):
        super().__init__("gate-history")
        self.db, self.prefix, self.sites, self.requester = db, prefix, sites, requester
        self.publish, self.store, self.clock = publish, store, clock
        self.gates: dict[tuple[str, str], GateState] = {}
        self.held: dict[tuple[str, str], int] = {}
        self.received = 0  # events that came in answers (duplicates included)
        self._known: set[tuple[str, str]] = set()  # paho's thread: gates already queued as seen

    def subscriptions(self) -> list[tuple[str, int]]:
        """QoS 0: an answer lost is asked for again; the availability is retained."""
        subs = []
        for site in sorted(self.sites):
            subs += [(f"{self.prefix}/{site}/+/availability", 0),
                     (GateTopics(self.prefix, site, "+").history_answer(self.requester), 0)]
        return subs

    # paho's thread -------------------------------------------------------------------------
    def take(self, topic: str, payload: bytes) -> bool:
        """Queue a gate's availability or an answer to this server (True: an answer, nothing else's)."""
        parts = topic.split("/")
        if len(parts) < 4 or parts[0] != self.prefix or parts[1] not in self.sites:
            return False
        if len(parts) == 4 and parts[3] == "availability":
            self._queue.put(("availability", parts[1], parts[2], bytes(payload)))
            return False  # the site exchange reads it too
        if len(parts) == 6 and parts[3:5] == ["history", "ans"] and parts[5] == self.requester:
            self._queue.put(("answer", parts[1], parts[2], bytes(payload)))
            return True
        return False

    def seen(self, site: str, gate: str) -> None:
        """A gate's event came: ask that gate once if it is new to this server."""
        if (site, gate) not in self._known:
            self._known.add((site, gate))
            self._queue.put(("seen", site, gate, b""))

    # the history thread (worker.DatabaseWorker) -------------------------------------------------
    def load(self) -> None:
        with self.db.engine.connect() as conn:
            for site, gate, seq in conn.execute(select(gate_heads.c.site, gate_heads.c.gate, gate_heads.c.seq)):
                self.held[(site, gate)] = seq

    def reconnected(self) -> None:
        for view in self.gates.values():  # what the broker kept for this session is unknown: ask every gate
            self._due(view)

    failed = reconnected  # the head stays where it was: the same events are asked for again

    def tick(self) -> None:
        self._ask_due()

    @staticmethod
    def _due(view: GateState) -> None:
        view.due, view.again_at, view.wait = True, 0.0, ASK_AGAIN_SECONDS

    def handle(self, kind: str, site: str, gate: str, payload: bytes) -> None:
        view = self.gates.setdefault((site, gate), GateState())
        if kind == "availability":
            online = payload.strip() == b"online" if payload else None
            if online and view.online is not True:
                self._due(view)  # back online: its outbox brings what the session would; ask anyway
            view.online = online
        elif kind == "answer":
            self._on_answer(site, gate, view, payload)

    def _ask_due(self) -> None:
        now = self.clock()
        for (site, gate), view in list(self.gates.items()):
            if not view.due and now >= view.again_at:
                self._due(view)  # the periodic check
            if view.due and view.online is not False and now >= view.again_at:
                self._ask(site, gate)
                view.again_at, view.wait = now + view.wait, min(view.wait * 2, MAX_WAIT_SECONDS)

    def _ask(self, site: str, gate: str) -> None:
        held = self.held.get((site, gate), 0)
        with self.db.engine.connect() as conn:
            have, upto = conn.execute(select(func.count(), func.max(events.c.seq)).where(
                events.c.site == site, events.c.gate == gate, events.c.seq > held)).one()
        body = {"after": held}
        if have:
            body.update(have=have, upto=upto)
        self.publish(GateTopics(self.prefix, site, gate).history_request(self.requester), json.dumps(body))

    def _set_head(self, site: str, gate: str, seq: int, when) -> None:
        with self.db.engine.begin() as conn:
            self.db.insert_or_update(conn, gate_heads, [{"site": site, "gate": gate, "seq": seq}],
                                     ["site", "gate"], "seq", when)
        self.held[(site, gate)] = seq

    def _on_answer(self, site: str, gate: str, view: GateState, payload: bytes) -> None:
        try:
            body = json.loads(payload)
        except (ValueError, UnicodeDecodeError):
            body = None
        key = (site, gate)
        held = self.held.get(key, 0)
        after, through = (body.get("after"), body.get("through")) if isinstance(body, dict) else (None, None)
        batch, oldest = (body.get("events"), body.get("oldest")) if isinstance(body, dict) else (None, None)
        if (type(after) is not int or type(through) is not int or not 0 <= after <= through <= MAX_SEQ
                or not isinstance(batch, list)):
            log.warning("site %s: a history answer from gate %s is malformed; ignored", site, gate)
            return
        if after != held:
            return  # an answer to an earlier request, already taken
        newest = body.get("newest")
        if type(newest) is int and 0 <= newest < held:
            # its log starts again (a new log on purpose): its seqs count from 1 again
            log.warning("site %s: gate %s's log is at seq %d, below the %d this server held: a new log; "
                        "asking it from the start", site, gate, newest, held)
            self._set_head(site, gate, 0, lambda held, new: held != new)
            self._due(view)
            return
        now = self.clock()
        rows, bad = batch_rows(batch, lambda doc: event_row(site, gate, doc, now))
        if bad:  # as on the events topic: an event that can never be stored is dropped, not asked for forever
            log.warning("site %s: dropped %d malformed event(s) in a history answer from gate %s", site, bad, gate)
        self.store(rows)
        self._set_head(site, gate, through, lambda held, new: held < new)
        self.received += len(rows)
        if held and type(oldest) is int and oldest > held + 1 and not view.purge_logged:
            view.purge_logged = True
            log.info("site %s: gate %s keeps its own events from seq %d on, past this server's %d: those it "
                     "purged past its retention cannot be caught up", site, gate, oldest, held)
        if rows:
            log.info("site %s: %d event(s) of gate %s from its history (held through %d)", site, len(rows), gate,
                     through)
        if body.get("more") is True:
            self._due(view)  # the next page at once
        else:
            view.due, view.again_at, view.wait = False, now + RECHECK_SECONDS, ASK_AGAIN_SECONDS
