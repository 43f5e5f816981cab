"""The running gate under systemd: READY once started, watchdog pets while healthy, STOPPING.

It samples the gate's own counters (lane runners, the ledger, the I/O link) each time the
main loop wakes, asks gate_health for a verdict and tells systemd through sdnotify.
"""

from __future__ import annotations

import logging
import time
from typing import Callable

from .gate_health import GateSample, HealthWatch, LaneSample, Verdict
from .sdnotify import Notifier, watchdog_interval

log = logging.getLogger(__name__)


def sample_gate(app) -> GateSample:
    """What a GateApp shows of its health; a ledger query that raises means the ledger is not answering."""
    try:
        app.ledger.occupancy()
        ledger_ok = True
    except Exception as exc:
        log.warning("ledger health probe failed: %s", exc)
        ledger_ok = False
    lanes = tuple(LaneSample(captured=r.captured, decoded=r.frames, camera_ok=r.camera_ok, alive=r.is_alive)
                  for r in app.runners)
    return GateSample(lanes=lanes, ledger_ok=ledger_ok, io_online=bool(app.io.is_online))


class Supervisor:
    def __init__(self, app, *, notifier: Notifier | None = None, watch: HealthWatch | None = None,
                 environ: dict | None = None, monotonic: Callable[[], float] = time.monotonic):
        self.app = app
        self.notifier = notifier or Notifier(environ=environ)
        self.watch = watch or HealthWatch()
        self.interval = watchdog_interval(environ)
        self.monotonic = monotonic
        self.verdict = Verdict(True)
        self.pets = 0

    def started(self) -> "Supervisor":
        self.notifier.ready(f"running with {len(self.app.runners)} camera(s)")
        if self.notifier.enabled:
            log.info("systemd notified; watchdog %s", f"every {self.interval:g} s" if self.interval else "off")
        return self

    def tick(self) -> Verdict:
        try:
            verdict = self.watch.assess(sample_gate(self.app), self.monotonic())
        except Exception as exc:  # a check that cannot run is no proof of health: no pet this time
            log.exception("gate health check failed")
            verdict = Verdict(False, (f"health check failed: {type(exc).__name__}",))
        if verdict.status != self.verdict.status:
            (log.info if verdict.healthy else log.error)("gate health: %s", verdict.status)
            self.notifier.status(verdict.status)
        self.verdict = verdict
        if verdict.healthy and self.notifier.watchdog():
            self.pets += 1
        return verdict

    def stopping(self) -> None:
        self.notifier.stopping("stopping")
        self.notifier.close()
