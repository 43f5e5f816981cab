"""Everything between a decoded text and the actuators, for one gate.

scan -> verify -> decide -> ledger.commit -> relay, LED, buzzer -> notify MQTT.
The event is durable before the relay moves; MQTT is told after, without waiting.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from . import credentials
from .credentials import TrustStore
from .policy.decide import Policy, decide
from .gate import GateIO
from .gate import signals
from .ledger import Ledger
from .model import Decision, Direction, Event, Scan, Verification
from .policy.reasons import FULL_REASONS
from .policy.rules import GuardOverride
from .state.mode import GateMode
from .policy.presence import gather_presence
from .pseudonym import credential_pseudonym
from .vision.debounce import Debouncer
from .vision.decoder import Decoder

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    scan: Scan
    verification: Verification
    decision: Decision
    event: Event


@dataclass
class GateController:
    gate_id: str
    trust: TrustStore
    policy: Policy
    ledger: Ledger
    io: GateIO
    site_secret: bytes
    relay_seconds: float = 3.0
    listeners: list[Callable[[Outcome], None]] = field(default_factory=list)
    #: normal, lockdown or free_exit: set by remote command or a guard
    mode: GateMode = GateMode.NORMAL
    #: whether the clock can be trusted for time-bound passes (qrgate.clock_sync)
    clock_synced: Callable[[], bool] = lambda: True

    def handle_scan(self, scan: Scan) -> Outcome:
        verification = credentials.verify(scan.text, self.trust, scan.at)
        credential = verification.credential
        holder = credential_pseudonym(self.site_secret, credential)
        presence = gather_presence(self.ledger, holder, self.policy, scan.at)
        direction = scan.direction
        if direction is Direction.AUTO:
            direction = Direction.EXIT if presence.holder_inside else Direction.ENTRY
        decision = decide(verification, direction, presence, self.policy, scan.at, mode=self.mode,
                          clock_synced=self.clock_synced())
        event = self.ledger.record(
            at=scan.at, gate_id=self.gate_id, type=direction.value if decision.granted else "denied",
            reason=decision.reason, direction=direction.value, holder=holder,
            format=verification.format)
        log.info("%s %s at %s: %s", verification.format, direction.value, self.gate_id, decision.reason)
        return self._act(Outcome(scan, verification, decision, event))

    def override(self, guard: GuardOverride, direction: Direction, at: float) -> Outcome:
        """A guard opens the gate by hand: logged with who and why, like a scan, before the relay moves."""
        presence = gather_presence(self.ledger, None, self.policy, at)
        decision = decide(None, direction, presence, self.policy, at, override=guard)
        # no holder: it moves no one in the presence table, so it is not counted as an entry
        event = self.ledger.record(at=at, gate_id=self.gate_id, type="override", reason=decision.reason,
                                   direction=direction.value, detail=guard.detail())
        scan = Scan("", self.gate_id, direction, at)
        return self._act(Outcome(scan, Verification("override", False, "guard_override", {}), decision, event))

    def _act(self, outcome: Outcome) -> Outcome:
        """Relay, light and tone for a decision already in the ledger; then tell the listeners."""
        decision = outcome.decision
        if decision.granted:
            self.io.pulse_relay(self.relay_seconds)
        led, beep = signals.feedback(decision.granted, decision.reason in FULL_REASONS)
        self.io.indicate(led, beep, signals.SHOW_SECONDS)
        for listener in self.listeners:
            listener(outcome)
        return outcome


@dataclass
class CameraLane:
    """One camera of a gate: its frames, decoded and debounced, become scans of one direction."""

    controller: GateController
    direction: Direction
    decoder: Decoder
    debouncer: Debouncer

    def process_frame(self, frame: np.ndarray, now: float | None = None) -> list[Outcome]:
        now = time.time() if now is None else now
        outcomes = []
        for code in self.decoder.decode(frame):
            if self.debouncer.accept(code.text, now):
                scan = Scan(code.text, self.controller.gate_id, self.direction, now, code.corners)
                outcomes.append(self.controller.handle_scan(scan))
        return outcomes
