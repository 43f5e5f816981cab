"""Run with Home Assistant's own Python: check discovery payloads against HA's platform schemas.

Reads [[topic, payload], ...] as JSON on stdin; prints one JSON line per payload,
{"topic", "ok", "error"}. The platform schemas refuse keys they do not know, where
HA's discovery would drop them silently.
"""

from __future__ import annotations

import importlib
import json
import sys

import voluptuous as vol


def check(component: str, payload: dict) -> str | None:
    module = importlib.import_module(f"homeassistant.components.mqtt.{component}")
    try:
        module.PLATFORM_SCHEMA_MODERN(payload)
    except vol.Invalid as exc:
        return str(exc)
    return None


def main() -> int:
    failures = 0
    for topic, payload in json.load(sys.stdin):
        component = topic.split("/")[1]
        error = check(component, json.loads(payload))
        failures += error is not None
        print(json.dumps({"topic": topic, "ok": error is None, "error": error}))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
