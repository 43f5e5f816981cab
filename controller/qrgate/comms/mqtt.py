"""MQTT reporting fed from the ledger's outbox: the gate never waits for the network.

The gate commits an event and calls notify(); a drain thread publishes outbox rows at
QoS 1 and deletes each only when the broker has acknowledged it, so a broker outage
or a restart delays messages but loses none. Retained counts are recomputed from the
ledger, never incremented here, so they always equal the log.
"""

from __future__ import annotations

import collections
import json
import logging
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Callable

import paho.mqtt.client as paho

from ..ledger import Ledger
from .topics import GateTopics

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BrokerSettings:
    host: str = "127.0.0.1"
    port: int = 1883
    username: str | None = None
    password: str | None = None
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    keepalive: int = 30


def make_client(client_id: str, broker: BrokerSettings) -> paho.Client:
    """A paho client with the site's credentials and TLS; shared by gates, the simulator and tests."""
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True)
    if broker.username is not None:
        client.username_pw_set(broker.username, broker.password)
    if broker.ca_file or broker.cert_file:
        client.tls_set(ca_certs=broker.ca_file, certfile=broker.cert_file, keyfile=broker.key_file,
                       tls_version=ssl.PROTOCOL_TLS_CLIENT)
    client.reconnect_delay_set(min_delay=1, max_delay=10)
    return client


def set_nodelay(client: paho.Client) -> None:
    sock = client.socket()
    if sock is not None and hasattr(sock, "setsockopt"):
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass


class MqttReporter:
    def __init__(self, *, ledger: Ledger, topics: GateTopics, broker: BrokerSettings,
                 state: Callable[[], dict], clock: Callable[[], float] = time.time):
        self.ledger = ledger
        self.topics = topics
        self.state = state
        self.clock = clock
        self.client = make_client(f"qrgate-{topics.site}-{topics.gate}", broker)
        self.client.will_set(topics.availability, "offline", qos=1, retain=True)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_publish = self._on_publish
        self._broker = broker
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._acked: collections.deque[int] = collections.deque()  # mids, appended by paho's thread
        self._inflight: dict[int, int] = {}  # mid -> outbox seq
        self._last_status: str | None = None
        self._drainer = threading.Thread(target=self._drain_loop, name="mqtt-drain", daemon=True)

    @property
    def is_connected(self) -> bool:
        return self._connected.is_set()

    def start(self) -> None:
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
        if self.is_connected:
            self.client.publish(self.topics.availability, "offline", qos=1, retain=True).wait_for_publish(1.0)
        self.client.disconnect()
        self.client.loop_stop()

    # -- paho callbacks (paho's network thread: keep them short, take no locks of ours) ----
    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            log.warning("broker refused the connection: %s", reason_code)
            return
        set_nodelay(client)
        client.publish(self.topics.availability, "online", qos=1, retain=True)
        self._last_status = None  # republish counts and state from the ledger after every reconnect
        self._connected.set()
        self._wake.set()
        log.info("connected to the broker")

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        self._connected.clear()
        self._wake.set()
        if not self._stop.is_set():
            log.warning("lost the broker (%s); events wait in the ledger", reason_code)

    def _on_publish(self, client, userdata, mid, reason_code, properties):
        self._acked.append(mid)
        self._wake.set()

    # -- the drain thread ----------------------------------------------------------------
    def _drain_loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(timeout=1.0)
            self._wake.clear()
            try:
                self._drain_once()
            except Exception:  # the drain must outlive any one bad row or broker hiccup
                log.exception("MQTT drain failed; will retry")
                time.sleep(0.5)

    def _drain_once(self) -> None:
        self._settle_acks()
        if not self.is_connected:
            self._inflight.clear()  # unacknowledged rows stay in the outbox and go again
            return
        sent_seqs = set(self._inflight.values())
        for seq, _event_id, payload in self.ledger.pending(200):
            if seq in sent_seqs:
                continue
            info = self.client.publish(self.topics.events, payload, qos=1)
            if info.rc != paho.MQTT_ERR_SUCCESS:
                return
            self._inflight[info.mid] = seq
        self._publish_status()

    def _settle_acks(self) -> None:
        done = []
        while self._acked:
            seq = self._inflight.pop(self._acked.popleft(), None)
            if seq is not None:
                done.append(seq)
        self.ledger.delivered(done)

    def _publish_status(self) -> None:
        counts = self.ledger.counts(self.clock())
        status = json.dumps({"counts": counts, "state": self.state()}, sort_keys=True)
        if status == self._last_status:
            return
        self._last_status = status
        now = round(self.clock(), 3)
        self.client.publish(self.topics.counts, json.dumps({**counts, "at": now}), qos=1, retain=True)
        self.client.publish(self.topics.state, json.dumps({**self.state(), "occupancy": counts["occupancy"],
                                                           "at": now}), qos=1, retain=True)
