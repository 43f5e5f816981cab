"""`qrgate sim --scenario FILE`: play a scenario against real gates, report, and check itself."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from qrgate.errors import ConfigError

from .broker import start_broker
from .liveview import LiveView
from .observer import MqttObserver
from .report import build_report, print_report
from .scenario import load
from .world import World


def run_scenario(path: str | Path, *, short: bool = False, json_path: str | None = None,
                 out: TextIO = sys.stdout, live: bool = True, broker: str = "mosquitto") -> int:
    # the gates' own warnings (alarms, lost broker) are in the report and the live view already;
    # the level comes back afterwards, for whoever runs scenarios in-process (the tests)
    gates_log = logging.getLogger("qrgate")
    level = gates_log.level
    gates_log.setLevel(logging.ERROR)
    try:
        return _run(path, short, json_path, out, live, broker)
    finally:
        gates_log.setLevel(level)


def _run(path, short, json_path, out, live, broker) -> int:
    scenario = load(path, short=short)
    try:
        begins = dt.datetime.fromisoformat(scenario.start)
        start = begins.timestamp()
    except ValueError:
        raise ConfigError(f"{path}: start: {scenario.start!r} is not an ISO 8601 time") from None
    with tempfile.TemporaryDirectory(prefix="qrgate-scenario-") as workdir:
        mqtt = start_broker(broker, persistent=True)
        try:
            observer = MqttObserver(mqtt.host, mqtt.port, f"qrgate/{scenario.site.id}/#",
                                    client_id="qrgate-sim-observer", persistent=True)
            world = World(scenario, Path(workdir), mqtt, start=start, tz=begins.tzinfo)
            view = LiveView(world, out, every_minutes=max(scenario.duration_minutes / 8, 1), enabled=live)
            world.on_line = view.line
            print(f"qrgate simulator: {scenario.name} — {scenario.description}", file=out)
            print(f"  {len(world.gates)} gate(s), {len(world.people)} people, {scenario.duration_minutes:g} "
                  f"simulated minutes, broker {mqtt.kind} on port {mqtt.port}", file=out)
            world.every_tick = view.tick
            try:
                world.run()
                report = build_report(world, observer, scenario)
            finally:
                world.close()
                observer.close()
        finally:
            mqtt.close()
    print_report(report, out)
    if json_path:
        Path(json_path).write_text(json.dumps(report, indent=2) + "\n")
    return 0 if report["ok"] else 1
