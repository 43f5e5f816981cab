"""MQTT reporting fed from the ledger's outbox: the gate never waits for the network.

The gate commits an event and calls notify(); a drain thread publishes outbox rows at
QoS 1 and deletes each only when the broker has acknowledged it, so a broker outage
or a restart delays messages but loses none. Retained counts are recomputed from the
ledger, never incremented here, so they always equal the log.

With a `gate` (GateApp, or anything that is a GateView) the reporter also takes commands
from `<gate>/cmd/+`, turns each into an Action for `gate.perform()`, answers on
`<gate>/result`, and publishes the gate's state and latched alarms; with a discovery
prefix it announces the gate to Home Assistant; as the site aggregator it publishes site
occupancy. Every gate answers requests for its own events from its ledger (comms/history.py).
It keeps no gate state of its own: MQTT is transport only.
Everything that touches the ledger runs on the drain thread, never on paho's.

Request ids of the commands acted on are kept in the ledger for a day, so a captured command
replayed after a restart is refused as a duplicate; refused commands are rate-limited
(comms/ratelimit.py) so a flood cannot fill the log. A broker that accepts TCP and never
completes the connection (a stalled TLS handshake, no CONNACK) is logged after
`stall_seconds`, and stop() never waits for it.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import logging
import socket
import threading
import time
from typing import Callable, Protocol

import paho.mqtt.client as paho

from ..actions import Action, ActionResult
from ..errors import QrgateError
from ..ledger import Ledger
from . import commands as cmd
from .client import BrokerSettings, make_client, set_nodelay  # noqa: F401  (BrokerSettings: public API)
from .discovery import DeviceInfo, discovery_messages, site_discovery_messages, status_topic
from .history import HistoryResponder
from .ratelimit import RefusalLimiter
from .site import SiteTally
from .topics import SITE_COMMAND_NAMES, SITE_LEVEL, GateTopics

log = logging.getLogger(__name__)

REMEMBER_SECONDS = 24 * 3600  # request ids acted on are kept this long: far past any command's max_age
STOP_WAIT_SECONDS = 0.5  # stop() waits no longer than this for paho's network thread


class GateView(Protocol):
    """What the reporter needs of a gate (qrgate.app.GateApp is one)."""

    ledger: Ledger
    changed: list[Callable[[], None]]

    def state(self) -> dict: ...
    def alarms(self) -> dict: ...
    def counts(self, now: float | None = None) -> dict: ...
    def perform(self, action: Action) -> ActionResult: ...


class Extension(Protocol):
    """Traffic of its own on the gate's one connection (qrgate.site.SiteSync and comms.trust_feed.TrustFeed are).

    Every method but subscriptions() runs on the drain thread; `publish(topic, payload,
    qos=1, retain=False)` sends at once and returns whether paho took the message."""

    def subscriptions(self) -> list[tuple[str, int]]: ...
    def connected(self, publish: Callable[..., bool]) -> None: ...
    def disconnected(self) -> None: ...
    def handle(self, topic: str, payload: bytes, retained: bool, publish: Callable[..., bool]) -> bool: ...
    def pump(self, publish: Callable[..., bool]) -> None: ...


class MqttReporter:
    def __init__(self, *, ledger: Ledger, topics: GateTopics, broker: BrokerSettings,
                 state: Callable[[], dict] | None = None, gate: GateView | None = None,
                 clock: Callable[[], float] = time.time, command_policy: cmd.CommandPolicy = cmd.CommandPolicy(),
                 discovery_prefix: str | None = None, site_aggregator: bool = False,
                 device_info: DeviceInfo = DeviceInfo(), language: str = "en", site_cap: int | None = None,
                 stall_seconds: float = 10.0):
        self.ledger = ledger
        self.topics = topics
        self.state = state or (gate.state if gate is not None else dict)
        self.clock = clock
        self.gate = gate
        self.command_policy = command_policy
        self.discovery_prefix = discovery_prefix
        self.site = SiteTally(topics.site_counts, cap=site_cap) if site_aggregator else None
        self.device_info = device_info
        self.language = language
        self.client = make_client(f"qrgate-{topics.site}-{topics.gate}", broker)
        self.client.will_set(topics.availability, "offline", qos=1, retain=True)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_publish = self._on_publish
        self.client.on_message = self._on_message
        self._broker = broker
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._acked: collections.deque[int] = collections.deque()  # mids, appended by paho's thread
        self._inflight: dict[int, int] = {}  # mid -> outbox seq
        self._inbox: collections.deque[tuple[str, bytes, bool]] = collections.deque()  # from paho's thread
        self._announce = threading.Event()
        self.refusals = RefusalLimiter()
        self.stall_seconds = stall_seconds
        self._waiting_since = time.monotonic()  # since when there is no broker connection
        self._stall_logged = False
        self._last_status: str | None = None
        self._last_site: str | None = None
        self._drainer = threading.Thread(target=self._drain_loop, name="mqtt-drain", daemon=True)
        #: every gate answers for its own events (comms/history.py), with or without site sync
        self.history = HistoryResponder(ledger, topics)
        self.extensions: list[Extension] = [self.history]
        self._fresh = threading.Event()  # a new connection the extensions have not been told of
        self._was_connected = False
        if gate is not None:
            gate.changed.append(self.notify)

    def add_extension(self, extension: Extension) -> None:
        """Before start(): its subscriptions are made on every connect, its messages handed to it."""
        self.extensions.append(extension)

    def _publish(self, topic: str, payload: str | bytes, qos: int = 1, retain: bool = False) -> bool:
        return self.client.publish(topic, payload, qos=qos, retain=retain).rc == paho.MQTT_ERR_SUCCESS

    # -- a network cut, for tests and the simulator ----------------------------------------
    def partition(self) -> None:
        """Lose the broker as a cut cable would: the socket dies (the broker sends our last will)
        and no reconnect is tried until heal() (paho's loop, which would reconnect, is stopped).
        The gate keeps deciding alone."""
        self._drop_link()
        self._connected.clear()
        self._wake.set()

    def heal(self) -> None:
        """Reach the broker again after partition(): reconnect, resubscribe, catch up."""
        try:
            self.client.reconnect()
        except OSError as exc:
            log.warning("could not reach the broker again yet (%s); retrying", exc)
        self.client.loop_start()

    @property
    def is_connected(self) -> bool:
        return self._connected.is_set()

    def start(self) -> None:
        self._waiting_since = time.monotonic()
        self.client.connect_async(self._broker.host, self._broker.port, self._broker.keepalive)
        self.client.loop_start()
        self._drainer.start()

    def notify(self) -> None:
        """Something new is in the ledger; returns at once."""
        self._wake.set()

    def stop(self, timeout: float = 2.0) -> None:
        """Publish what is pending (briefly), say offline, disconnect."""
        deadline = time.monotonic() + timeout
        while self.is_connected and (self.ledger.pending(1) or self._inflight) and time.monotonic() < deadline:
            self._wake.set()
            time.sleep(0.02)
        self._stop.set()
        self._wake.set()
        if self._drainer.is_alive():
            self._drainer.join(timeout=1.0)
        try:
            self._report_drops(force=True)
        except QrgateError as exc:  # the count is still in the log line above it
            log.warning("could not record the dropped-command summary: %s", exc)
        if self.is_connected:
            self.client.publish(self.topics.availability, "offline", qos=1, retain=True).wait_for_publish(1.0)
        self.client.disconnect()
        # paho's thread may sit in a TLS handshake with a broker that never answers (up to its
        # connect timeout); it is told to end and is a daemon, so the gate does not wait for it
        stopper = threading.Thread(target=self.client.loop_stop, name="mqtt-stop", daemon=True)
        stopper.start()
        stopper.join(STOP_WAIT_SECONDS)
        if stopper.is_alive():
            log.warning("the broker connection did not close within %.1f s (a stalled handshake); "
                        "left to time out on its own", STOP_WAIT_SECONDS)

    def abandon(self) -> None:
        """Stop as a power cut would: no offline message (the broker's last will says it), no goodbye."""
        sock = self._drop_link()
        if sock is not None:
            sock.close()
        self._stop.set()
        self._wake.set()

    def _drop_link(self):
        """Stop paho's loop and kill the socket under it, as a cut cable does; returns the socket."""
        self.client.loop_stop()
        sock = self.client.socket()
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        return sock

    def discovery(self) -> list[tuple[str, str]]:
        """This gate's Home Assistant discovery messages, and the site's when it is the aggregator."""
        if not self.discovery_prefix:
            return []
        messages = discovery_messages(self.topics, self.discovery_prefix, info=self.device_info,
                                      language=self.language)
        if self.site is not None:
            messages += site_discovery_messages(self.topics, self.discovery_prefix, info=self.device_info)
        return messages

    # -- paho callbacks (paho's network thread: keep them short, take no locks of ours) ----
    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            log.warning("broker refused the connection: %s", reason_code)
            return
        set_nodelay(client)
        client.publish(self.topics.availability, "online", qos=1, retain=True)
        subscriptions = []
        if self.gate is not None:
            subscriptions += [(self.topics.commands, 1), (self.topics.site_commands, 1)]
        if self.discovery_prefix:
            subscriptions.append((status_topic(self.discovery_prefix), 1))
            self._announce.set()
        if self.site is not None:
            subscriptions += [(self.topics.site_counts, 1), (self.topics.site_availability, 1)]
            self._last_site = None
        for extension in self.extensions:
            subscriptions += extension.subscriptions()
        if subscriptions:
            client.subscribe(subscriptions)
        self._fresh.set()
        self._last_status = None  # republish counts and state from the ledger after every reconnect
        if self._stall_logged:
            log.warning("connected to the broker after %.0f s without an answer",
                        time.monotonic() - self._waiting_since)
        self._stall_logged = False
        self._connected.set()
        self._wake.set()
        log.info("connected to the broker")

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        if self._connected.is_set():
            self._waiting_since = time.monotonic()
        self._connected.clear()
        self._wake.set()
        if not self._stop.is_set():
            log.warning("lost the broker (%s); events wait in the ledger", reason_code)

    def _on_publish(self, client, userdata, mid, reason_code, properties):
        self._acked.append(mid)
        self._wake.set()

    def _on_message(self, client, userdata, msg):
        self._inbox.append((msg.topic, bytes(msg.payload), bool(msg.retain)))
        self._wake.set()

    # -- the drain thread ----------------------------------------------------------------
    def _drain_loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(timeout=1.0)
            self._wake.clear()
            try:
                self._drain_once()
            except Exception:  # the drain must outlive any one bad row or broker hiccup
                if self._stop.is_set():
                    return  # shutting down: the ledger may already be closed, and nothing is lost
                log.exception("MQTT drain failed; will retry")
                time.sleep(0.5)

    def _drain_once(self) -> None:
        self._settle_acks()
        self._report_drops()
        if not self.is_connected:
            self._inflight.clear()  # unacknowledged rows stay in the outbox and go again
            self._inbox.clear()  # commands are never acted on late (the session is clean anyway)
            self._check_stall()
            if self._was_connected:
                self._was_connected = False
                for extension in self.extensions:
                    extension.disconnected()
            return
        if self._fresh.is_set():
            self._fresh.clear()
            self._was_connected = True
            for extension in self.extensions:
                extension.connected(self._publish)
        while self._inbox:
            self._handle_message(*self._inbox.popleft())
        if self._announce.is_set():
            self._announce.clear()
            for topic, payload in self.discovery():
                self.client.publish(topic, payload, qos=1, retain=True)
        sent_seqs = set(self._inflight.values())
        for seq, _event_id, payload in self.ledger.pending(200):
            if seq in sent_seqs:
                continue
            info = self.client.publish(self.topics.events, payload, qos=1)
            if info.rc != paho.MQTT_ERR_SUCCESS:
                return
            self._inflight[info.mid] = seq
        for extension in self.extensions:
            extension.pump(self._publish)
        self._publish_status()

    def _settle_acks(self) -> None:
        done = []
        while self._acked:
            seq = self._inflight.pop(self._acked.popleft(), None)
            if seq is not None:
                done.append(seq)
        self.ledger.delivered(done)

    def _publish_status(self) -> None:
        now = self.clock()
        counts = self.gate.counts(now) if self.gate is not None else self.ledger.counts(now)
        state = {**self.state(), "occupancy": counts["occupancy"]}
        alarms = self.gate.alarms() if self.gate is not None else None
        status = json.dumps({"counts": counts, "state": state, "alarms": alarms}, sort_keys=True)
        if status != self._last_status:
            self._last_status = status
            at = round(now, 3)
            self.client.publish(self.topics.counts, json.dumps({**counts, "at": at}), qos=1, retain=True)
            denial = counts.get("last_denial") or {}
            if denial.get("reason"):  # nothing before the first denial: dashboards show "unknown"
                self.client.publish(self.topics.last_denial, json.dumps(denial), qos=1, retain=True)
            self.client.publish(self.topics.state, json.dumps({**state, "at": at}), qos=1, retain=True)
            if alarms is not None:
                self.client.publish(self.topics.alarms, json.dumps({**alarms, "at": at}), qos=1, retain=True)
        if self.site is not None:
            site = self.site.to_json(now)
            key = json.dumps({k: v for k, v in site.items() if k != "at"}, sort_keys=True)
            if key != self._last_site and site["gates"]:
                self._last_site = key
                self.client.publish(self.topics.site_occupancy, json.dumps(site), qos=1, retain=True)

    def _check_stall(self) -> None:
        waited = time.monotonic() - self._waiting_since
        if waited >= self.stall_seconds and not self._stall_logged:
            self._stall_logged = True
            b = self._broker
            log.warning("no working connection to the broker at %s:%d for %.0f s%s (refused, unreachable, "
                        "or it accepts TCP and never answers); events wait in the ledger", b.host, b.port,
                        waited, " over TLS" if b.tls else "")

    def _report_drops(self, force: bool = False) -> None:
        """One log line and one ledger row for the refused commands the limiter dropped."""
        now = time.monotonic()
        report = self.refusals.summary(now if not force else now + self.refusals.summary_seconds)
        if report is None:
            return
        dropped, seconds = report
        log.warning("dropped %d refused commands in %.0f s (too many; each was neither logged nor answered)",
                    dropped, seconds)
        self.ledger.record(at=self.clock(), gate_id=self.topics.gate, type="command_refused",
                           reason="rate_limited", detail={"dropped": dropped, "seconds": round(seconds, 1)})

    # -- messages to the gate --------------------------------------------------------------
    def _handle_message(self, topic: str, payload: bytes, retained: bool) -> None:
        for extension in self.extensions:
            if extension.handle(topic, payload, retained, self._publish):
                return
        if self.discovery_prefix and topic == status_topic(self.discovery_prefix):
            if payload.strip().lower() == b"online":
                self._announce.set()
            return
        if self.site is not None and topic.endswith("/counts"):
            try:
                counts = json.loads(payload) if payload else None
            except ValueError:
                return
            self.site.update(topic, counts)
            return
        if self.site is not None and topic.endswith("/availability"):
            self.site.availability(topic, payload.decode("utf-8", "replace"))
            return
        name, target, policy = self.topics.command_name(topic), self.topics.gate, self.command_policy
        if name is None and (name := self.topics.site_command_name(topic)) is not None:
            # the site's mode: signed (when a secret is set) for "site", and only the mode commands
            target = SITE_LEVEL
            policy = dataclasses.replace(policy, allowed=policy.allowed & frozenset(SITE_COMMAND_NAMES))
        if name is None or self.gate is None:
            return
        now = self.clock()
        parsed = cmd.parse(name, payload, gate=target, retained=retained, now=now, policy=policy)
        if target == SITE_LEVEL:
            name = f"{SITE_LEVEL}/{name}"  # the answer says the command was the site's
        if isinstance(parsed, cmd.Refusal):
            if not self.refusals.allow(time.monotonic()):
                return  # counted; _report_drops says how many
            log.warning("refused command %s (request %s): %s", name, parsed.request_id, parsed.reason)
            self.ledger.record(at=now, gate_id=self.topics.gate, type="command_refused", reason=parsed.reason)
            self._result(parsed.request_id, name, False, parsed.reason, parsed.detail)
            return
        if not self.ledger.remember_request(parsed.request_id, now, now - REMEMBER_SECONDS):
            self._result(parsed.request_id, name, False, "duplicate", "this request id was already handled")
            return
        why = parsed.why or ("site-wide command" if target == SITE_LEVEL else "")
        result = self.gate.perform(Action(parsed.name, parsed.by, why=why, value=parsed.value,
                                          direction=parsed.direction, request_id=parsed.request_id,
                                          source="mqtt"))
        log.info("command %s (request %s) by %s: %s", name, parsed.request_id, parsed.by, result.reason)
        self._result(parsed.request_id, name, result.ok, result.reason, "")

    def _result(self, request_id: str | None, name: str, ok: bool, reason: str, detail: str) -> None:
        body = {"request_id": request_id, "command": name, "ok": ok, "reason": reason, "gate": self.topics.gate,
                "at": round(self.clock(), 3)}
        if detail:
            body["detail"] = detail
        self.client.publish(self.topics.result, json.dumps(body), qos=1)
