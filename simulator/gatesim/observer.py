"""A separate MQTT subscriber that tallies what a dashboard would see."""

from __future__ import annotations

import collections
import json
import threading
import time

import paho.mqtt.client as paho


class MqttObserver:
    def __init__(self, host: str, port: int, topic: str = "qrgate/#", *, client_id: str = "qrgate-observer"):
        self.events: dict[str, dict] = {}  # event id -> payload
        self.duplicates = 0
        self.retained: dict[str, dict | str] = {}  # topic -> last payload
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=client_id)
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(topic, qos=1)
        self.client.on_subscribe = lambda *a: self._subscribed.set()
        self.client.on_message = self._on_message
        self.client.connect(host, port)
        self.client.loop_start()
        if not self._subscribed.wait(10):
            raise TimeoutError("observer could not subscribe")

    def _on_message(self, client, userdata, msg) -> None:
        text = msg.payload.decode("utf-8", "replace")
        try:
            payload = json.loads(text)
        except ValueError:
            payload = text
        with self._lock:
            if msg.topic.endswith("/events") and isinstance(payload, dict):
                if payload.get("id") in self.events:
                    self.duplicates += 1
                self.events[payload.get("id")] = payload
            else:
                self.retained[msg.topic] = payload

    def event_counts(self) -> dict[str, int]:
        with self._lock:
            return dict(collections.Counter(e.get("type") for e in self.events.values()))

    def latest(self, topic: str):
        with self._lock:
            return self.retained.get(topic)

    def wait_for(self, predicate, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self):
                return True
            time.sleep(0.05)
        return predicate(self)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()
