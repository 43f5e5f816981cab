"""Everything between a decoded text and the actuators, for one gate.

scan -> verify -> decide -> ledger.commit -> relay, LED, buzzer -> notify MQTT.
The event is durable before the relay moves; MQTT is told after, without waiting.
A decision that waits for the guard (policy.identity "guard_confirm") is logged as
`pending`, shows amber and is held in PendingConfirmations until confirm() answers it or
expire_pending() refuses it at its deadline.
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
from .errors import PendingError
from .ledger import Ledger
from .model import Decision, Direction, Event, Scan, Verification
from .pending import PendingConfirmations, PendingScan
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
    #: the id the guard answers, when the decision waits for the guard
    pending_id: str | None = None


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
    #: the site lists (qrgate.lists.SiteLists) that policy.identity "listed" matches; None: no lists
    lists: object | None = None
    pending: PendingConfirmations | None = None

    def __post_init__(self):
        if self.pending is None:
            self.pending = PendingConfirmations(self.policy.identity.confirm_seconds)

    def handle_scan(self, scan: Scan) -> Outcome:
        verification = credentials.verify(scan.text, self.trust, scan.at)
        credential = verification.credential
        holder = credential_pseudonym(self.site_secret, credential)
        presence = gather_presence(self.ledger, holder, self.policy, scan.at)
        direction = scan.direction
        if direction is Direction.AUTO:
            direction = Direction.EXIT if presence.holder_inside else Direction.ENTRY
        listed = self._listed(credential)
        decision = decide(verification, direction, presence, self.policy, scan.at, mode=self.mode,
                          clock_synced=self.clock_synced(), listed=listed)
        event_type = "pending" if decision.pending else direction.value if decision.granted else "denied"
        event = self.ledger.record(
            at=scan.at, gate_id=self.gate_id, type=event_type, reason=decision.reason,
            direction=direction.value, holder=holder, format=verification.format)
        log.info("%s %s at %s: %s", verification.format, direction.value, self.gate_id, decision.reason)
        pending_id = None
        if decision.pending:
            pending_id = self.pending.add(scan, verification, direction, holder, listed, scan.at).id
        outcome = self._act(Outcome(scan, verification, decision, event, pending_id))
        if listed is not None:
            self._note_sighting(credential, scan)  # after the relay: the door never waits for it
        return outcome

    def _listed(self, credential) -> bool | None:
        """Whether an identity credential's holder is on a site list; None when no list can tell."""
        if self.lists is None or credential is None or not credential.attributes.get("identity"):
            return None
        if not credential.attributes.get("listable"):
            return False
        return self.lists.is_listed(credential.holder, self.policy.identity.lists)

    def _note_sighting(self, credential, scan: Scan) -> None:
        """Keep the ID code seen for `qrgate list check` (hashes and a sealed box, beside the log)."""
        if not credential.attributes.get("listable"):
            return
        try:
            self.lists.saw(credential, scan.at, scan.text)
        except Exception as exc:  # reconciliation is a convenience: a failure must not stop the gate
            log.warning("could not note an ID code for list reconciliation at %s: %s", self.gate_id,
                        type(exc).__name__)

    def confirm(self, pending_id: str, by: str, allow: bool, at: float) -> Outcome:
        """A guard's answer to a scan waiting for them: allow admits it if every other rule still
        does (the site may have filled meanwhile); otherwise it is refused. Logged with who answered.

        Raises PendingError for an id that is not waiting (unknown, answered, or timed out).
        """
        if not by.strip():
            raise PendingError("a confirmation needs the guard's id")
        item = self.pending.take(pending_id, at)
        if item is None:
            raise PendingError(f"no scan {pending_id!r} is waiting for a guard at gate {self.gate_id} "
                               "(unknown, already answered or timed out)")
        if allow:
            presence = gather_presence(self.ledger, item.holder, self.policy, at)
            decision = decide(item.verification, item.direction, presence, self.policy, at, mode=self.mode,
                              clock_synced=self.clock_synced(), listed=item.listed, confirmed=True)
        else:
            decision = Decision(False, "guard_refused", item.direction, item.holder)
        return self._resolve(item, decision, at, {"confirmed_by" if allow else "refused_by": by})

    def expire_pending(self, now: float) -> list[Outcome]:
        """Refuse every waiting scan whose deadline has passed: no answer is a no."""
        return [self._resolve(item, Decision(False, "guard_timeout", item.direction, item.holder), now, None)
                for item in self.pending.expired(now)]

    def _resolve(self, item: PendingScan, decision: Decision, at: float, detail: dict | None) -> Outcome:
        direction = item.direction
        event = self.ledger.record(
            at=at, gate_id=self.gate_id, type=direction.value if decision.granted else "denied",
            reason=decision.reason, direction=direction.value, holder=item.holder,
            format=item.verification.format, detail=detail)
        log.info("%s %s at %s: %s (was waiting for the guard)", item.verification.format, direction.value,
                 self.gate_id, decision.reason)
        scan = Scan(item.scan.text, self.gate_id, direction, at)
        return self._act(Outcome(scan, item.verification, decision, event, item.id))

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
        if decision.pending:
            seconds = self.pending.timeout_seconds
            led, beep = signals.awaiting_guard(seconds)
        else:
            seconds = signals.SHOW_SECONDS
            led, beep = signals.feedback(decision.granted, decision.reason in FULL_REASONS)
        self.io.indicate(led, beep, seconds)
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
