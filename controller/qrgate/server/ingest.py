"""Every gate's events from MQTT into the site database, each exactly once.

The gates publish each ledger event once on `<prefix>/<site>/<gate>/events` at QoS 1 and
delete it from their outbox only on the broker's PUBACK; the broker in turn may drop it only
when this server acknowledges it. So the server acknowledges (paho's manual ack) only after
the event is committed: a crash between receipt and commit means the broker sends it again.
Duplicates (a redelivery, a gate that republished after a lost PUBACK) are skipped by the
event id, the primary key (INSERT ... ON CONFLICT, which only fills in the seq of a row the
site exchange brought first).

The MQTT session is persistent (clean_session off, a fixed client id), so while the server
is down the broker queues the gates' events for it (raise mosquitto's max_queued_messages:
docs/site-server.md), and a gate cut off from the broker keeps them in its own outbox until it
is back. What neither kept (a lost or new session) the server asks of the gates through the
site exchange (catchup.py: the shared events) and of each gate (history.py: every event it
recorded itself), on the same connection. Events are written in batches
(`mqtt.batch_size`, `mqtt.batch_seconds`) by one writer thread; paho's thread only parses and queues.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError

from ..comms.client import make_client
from .bus import EventBus
from .catchup import Catchup
from .config import ServerConfig
from .db import Database, events
from .history import History
from .pairing import Pairing, repair
from .rows import UNKNOWN_SEQ, BadEvent, parse_event, public

log = logging.getLogger(__name__)

@dataclass
class IngestStats:
    received: int = 0
    stored_batches: int = 0
    rejected: int = 0
    written: int = 0  # rows offered to the database (duplicates included)


class Ingest:
    """Subscribe to the configured sites' events and store them. start(), stop()."""

    def __init__(self, cfg: ServerConfig, db: Database, bus: EventBus | None = None,
                 clock: Callable[[], float] = time.time):
        self.cfg, self.db, self.bus, self.clock = cfg, db, bus, clock
        self.prefix = cfg.mqtt.topic_prefix
        self.sites = {s.id for s in cfg.sites}
        self.pairing = Pairing(cfg.sites)
        repair(db, cfg.sites)  # the rows held are paired for today's zones before any is added
        self.stats = IngestStats()
        self._queue: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self.connected = threading.Event()  # set once the broker acknowledged the subscriptions
        self._subscribe_mid: int | None = None
        self.client = make_client(cfg.mqtt.client_id, cfg.mqtt, clean_session=False)
        self.client.manual_ack_set(True)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_connect_fail = self._on_connect_fail
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self._writer = threading.Thread(target=self._write_loop, name="site-ingest", daemon=True)
        #: the site exchange: what the broker did not keep for this session, asked of the gates
        self.catchup = Catchup(db, self.prefix, self.pairing, cfg.mqtt.client_id,
                               lambda topic, payload: self.client.publish(topic, payload, qos=1), self.announce,
                               clock)
        #: each gate's own events (every type) that neither the session nor the exchange brought
        self.history = History(db, self.prefix, self.sites, cfg.mqtt.client_id,
                               lambda topic, payload: self.client.publish(topic, payload, qos=1), self.store_or_drop,
                               clock)

    def topics(self) -> list[str]:
        return [f"{self.prefix}/{site}/+/events" for site in sorted(self.sites)]

    def start(self) -> None:
        self._writer.start()
        self.catchup.start()
        self.history.start()
        self.client.connect_async(self.cfg.mqtt.host, self.cfg.mqtt.port, self.cfg.mqtt.keepalive)
        self.client.loop_start()

    def stop(self) -> None:
        """Write what was received, then disconnect (what is not acknowledged comes again)."""
        self._stop.set()
        if self._writer.is_alive():
            self._writer.join(timeout=10)
        self.catchup.stop()
        self.history.stop()
        self.client.disconnect()
        self.client.loop_stop()

    # paho's thread ---------------------------------------------------------------------------

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            log.warning("broker %s:%s refused the site server: %s", self.cfg.mqtt.host, self.cfg.mqtt.port,
                        reason_code)
            return
        subscriptions = dict([(topic, 1) for topic in self.topics()] + self.catchup.subscriptions()
                             + self.history.subscriptions())  # both read the availability
        _rc, self._subscribe_mid = client.subscribe(list(subscriptions.items()))
        self.catchup.connected()
        self.history.connected()
        log.info("connected to %s:%s; session %s", self.cfg.mqtt.host, self.cfg.mqtt.port,
                 "resumed" if flags.session_present else "new")

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties):
        if mid != self._subscribe_mid:
            return
        refused = [rc for rc in reason_codes if rc.is_failure]
        if refused:  # e.g. the broker's ACL: nothing of those topics will come
            log.error("the broker %s:%s refused %d of the site server's subscriptions (%s)", self.cfg.mqtt.host,
                      self.cfg.mqtt.port, len(refused), refused[0])
        self.connected.set()

    def _on_connect_fail(self, client, userdata):
        log.warning("cannot reach the broker %s:%s; retrying", self.cfg.mqtt.host, self.cfg.mqtt.port)

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        self.connected.clear()
        if not self._stop.is_set():
            log.warning("lost the broker %s:%s (%s); reconnecting", self.cfg.mqtt.host, self.cfg.mqtt.port,
                        reason_code)

    def _on_message(self, client, userdata, msg):
        self.stats.received += 1
        answer = self.history.take(msg.topic, msg.payload)
        if self.catchup.take(msg.topic, msg.payload) or answer:
            client.ack(msg.mid, msg.qos)
            return
        parts = msg.topic.split("/")
        if len(parts) != 4 or parts[0] != self.prefix or parts[1] not in self.sites or parts[3] != "events":
            client.ack(msg.mid, msg.qos)
            return
        try:
            row = parse_event(parts[1], parts[2], msg.payload, self.clock())
        except BadEvent as exc:
            self.stats.rejected += 1
            log.warning("dropped a message on %s: %s", msg.topic, exc)
            client.ack(msg.mid, msg.qos)  # it can never be stored; asking again would not help
            return
        self.history.seen(parts[1], parts[2])
        self._queue.put((row, msg.mid, msg.qos))

    # the writer's thread ---------------------------------------------------------------------

    def _write_loop(self) -> None:
        size, wait = self.cfg.mqtt.batch_size, self.cfg.mqtt.batch_seconds
        pending: list[tuple[dict, int, int]] = []
        retry = 0.5
        while True:
            stopping = self._stop.is_set()
            if not pending:
                try:
                    pending.append(self._queue.get(timeout=wait))
                except queue.Empty:
                    if stopping:
                        return
                    continue
            deadline = time.monotonic() + wait
            while len(pending) < size:
                left = deadline - time.monotonic()
                try:
                    pending.append(self._queue.get(timeout=max(left, 0)) if left > 0 else self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self.store_or_drop([row for row, _mid, _qos in pending])
            except SQLAlchemyError as exc:
                # keep the batch, acknowledge nothing: the events wait here (and at the broker)
                log.warning("cannot write %s events to the database (%s); retrying in %.1f s", len(pending),
                            str(getattr(exc, "orig", None) or exc).splitlines()[0], retry)
                if self._stop.wait(retry):
                    return
                retry = min(retry * 2, 10)
                continue
            retry = 0.5
            for _row, mid, qos in pending:
                self.client.ack(mid, qos)
            pending = []

    def store_or_drop(self, rows: list[dict]) -> None:
        """store(); when the database refuses a row whatever we do, the batch row by row, dropping that one.
        Raises SQLAlchemyError when the database is away (nothing is dropped then)."""
        try:
            self.store(rows)
        except (DataError, IntegrityError) as exc:
            log.warning("the database refused a batch (%s); storing its %s events one by one",
                        str(exc.orig or exc).splitlines()[0], len(rows))
            self._store_one_by_one(rows)

    def _store_one_by_one(self, rows: list[dict]) -> None:
        for row in rows:
            try:
                self.store([row])
            except (DataError, IntegrityError) as exc:
                self.stats.rejected += 1
                log.warning("dropped event %s of %s/%s: the database refuses it (%s)", row["id"], row["site"],
                            row["gate"], str(exc.orig or exc).splitlines()[0])

    def store(self, rows: list[dict]) -> None:
        """Insert a batch, skipping ids already held (filling in the seq of those caught up through the
        site exchange, which does not carry it); then tell the live listeners."""
        unique = self.pairing.with_places(list({row["id"]: row for row in rows}.values()))
        with self.db.engine.begin() as conn:
            self.db.insert_or_update(conn, events, unique, ["id"], "seq",
                                     lambda held, new: held == UNKNOWN_SEQ)
            self.pairing.pair(self.db, conn, unique)
        self.stats.stored_batches += 1
        self.stats.written += len(unique)
        self.announce(unique)

    def announce(self, rows: list[dict]) -> None:
        if self.bus is not None:
            for site, site_rows in public(rows).items():
                self.bus.publish(site, site_rows)
