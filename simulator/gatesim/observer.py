"""A separate MQTT subscriber that tallies what a dashboard would see.

Events are kept by id (a dashboard drops duplicates by id); `raw_events` counts every
delivery, so `duplicates` says how many copies the broker and the gate's retries sent.
With `persistent=True` the observer keeps a broker session (clean_session False, fixed
client id, QoS 1): messages published while it is away are queued for it by the broker.
"""

from __future__ import annotations

import collections
import json
import threading
import time

import paho.mqtt.client as paho


class MqttObserver:
    def __init__(self, host: str, port: int, topic: str = "qrgate/#", *, client_id: str = "qrgate-observer",
                 persistent: bool = False, username: str | None = None, password: str | None = None,
                 tls_context=None):
        self.events: dict[str, dict] = {}  # event id -> payload
        self.received_at: dict[str, float] = {}  # event id -> wall time of its first arrival
        self.raw_events = 0
        self.duplicates = 0
        self.retained: dict[str, dict | str] = {}  # topic -> last payload
        self.messages: list[tuple[str, object, bool]] = []  # every non-event message: (topic, payload, retain)
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=client_id,
                                  clean_session=not persistent)
        if username is not None:
            self.client.username_pw_set(username, password)
        if tls_context is not None:
            self.client.tls_set_context(tls_context)
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(topic, qos=1)
        self.client.on_subscribe = lambda *a: self._subscribed.set()
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(min_delay=0.2, max_delay=1)
        self.client.connect(host, port)
        self.client.loop_start()
        if not self._subscribed.wait(10):
            raise TimeoutError("observer could not subscribe")

    def _on_message(self, client, userdata, msg) -> None:
        if "/sync/" in msg.topic:
            return  # gate-to-gate traffic (docs/site.md): a dashboard's ACL never lets it read this
        text = msg.payload.decode("utf-8", "replace")
        try:
            payload = json.loads(text)
        except ValueError:
            payload = text
        with self._lock:
            if msg.topic.endswith("/events") and isinstance(payload, dict):
                self.raw_events += 1
                if payload.get("id") in self.events:
                    self.duplicates += 1
                else:
                    self.received_at[payload.get("id")] = time.time()
                self.events[payload.get("id")] = payload
            else:
                self.retained[msg.topic] = payload
                self.messages.append((msg.topic, payload, bool(msg.retain)))

    def event_counts(self) -> dict[str, int]:
        with self._lock:
            return dict(collections.Counter(e.get("type") for e in self.events.values()))

    def latest(self, topic: str):
        with self._lock:
            return self.retained.get(topic)

    def on_topic(self, topic: str) -> list:
        """Every payload seen on `topic`, oldest first."""
        with self._lock:
            return [p for t, p, _r in self.messages if t == topic]

    def wait_for(self, predicate, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self):
                return True
            time.sleep(0.05)
        return predicate(self)

    def pause(self) -> None:
        """Go away (a dashboard restarting); a persistent session keeps collecting for us meanwhile."""
        self.client.disconnect()
        self.client.loop_stop()

    def resume(self) -> None:
        self._subscribed.clear()
        self.client.reconnect()
        self.client.loop_start()
        if not self._subscribed.wait(10):
            raise TimeoutError("observer could not subscribe again")

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()
