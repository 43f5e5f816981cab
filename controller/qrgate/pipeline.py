"""Everything between a decoded text and the actuators, for one gate.

scan -> verify -> decide -> ledger.commit -> relay, LED, buzzer -> listeners (state, screen, MQTT).
The event is durable before the relay moves; MQTT is told after, without waiting.
A guard's override and a remote open take the same path as a forced decision, recorded
with who asked and why (pretix's forced check-in is the model). A decision that waits for
the guard (policy.identity "guard_confirm") is logged as `pending`, shows amber and is held
in PendingConfirmations until confirm() answers it or expire_pending() refuses it.
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
from .errors import LedgerError, PendingError
from .ledger import Ledger
from .model import Decision, Direction, Event, Scan, Verification
from .credentials.rotating import PREFIX as ROTATING_PREFIX
from .pending import PendingConfirmations, PendingScan
from .policy.reasons import FULL_REASONS
from .policy.rules import GuardOverride, Presence
from .state.mode import GateMode
from .policy.presence import gather_presence
from .pseudonym import credential_pseudonym
from .vision.debounce import Debouncer
from .vision.decoder import Decoder

log = logging.getLogger(__name__)

STORAGE_FAULT = "storage_fault"
#: what an exit is decided on when the log cannot be read: nobody known inside
UNKNOWN_PRESENCE = Presence(holder_inside=False, occupancy=0)


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
    #: normal, lockdown or free_exit: read from the gate's state at each decision
    mode: Callable[[], GateMode] = lambda: GateMode.NORMAL
    #: whether the clock can be trusted for time-bound passes (qrgate.clock_sync)
    clock_synced: Callable[[], bool] = lambda: True
    #: the site's shared presence (qrgate.site.SiteSync): partition state and capacity shares
    site: object | None = None
    #: told when the log cannot be read or written (the gate raises its storage alarm)
    when_storage_failed: Callable[[LedgerError], None] = lambda exc: None
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
        try:
            presence = gather_presence(self.ledger, holder, self.policy, scan.at, self.site)
        except LedgerError as exc:  # who is inside is unknown: entries fail closed, exits stay open
            self.when_storage_failed(exc)
            presence = None
        direction = scan.direction
        if direction is Direction.AUTO:
            direction = Direction.EXIT if presence is not None and presence.holder_inside else Direction.ENTRY
        listed = self._listed(credential)
        if presence is None and direction is Direction.ENTRY:
            decision = Decision(False, STORAGE_FAULT, direction, holder)
        else:
            decision = decide(verification, direction, presence or UNKNOWN_PRESENCE, self.policy, scan.at,
                              mode=self.mode(), clock_synced=self.clock_synced(), listed=listed)
        event_type = "pending" if decision.pending else direction.value if decision.granted else "denied"
        row = dict(at=scan.at, gate_id=self.gate_id, type=event_type, reason=decision.reason,
                   direction=direction.value, holder=holder, format=verification.format,
                   pass_id=credential.pass_id if credential else None, code_step=self._code_step(scan, credential))
        try:
            event = self.ledger.record(**row)
        except LedgerError as exc:
            self.when_storage_failed(exc)
            if decision.granted and direction is not Direction.EXIT:
                # an entry the log cannot hold is refused (a refusal keeps its own reason); it waits in memory
                decision = Decision(False, STORAGE_FAULT, direction, holder)
                row.update(type="denied", reason=STORAGE_FAULT)
            # egress never waits on the log: the exit happens, its event is written once the log works
            event = self.ledger.record_later(**row)
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
            presence = gather_presence(self.ledger, item.holder, self.policy, at, self.site)
            decision = decide(item.verification, item.direction, presence, self.policy, at, mode=self.mode(),
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

    def _code_step(self, scan: Scan, credential) -> int | None:
        """The rotating-code step a good QG2 scan used: recorded so the site's other gates refuse it."""
        if credential is None or credential.pass_id is None or self.trust.rotation is None:
            return None
        if not scan.text.startswith(ROTATING_PREFIX):
            return None
        return self.trust.rotation.accepted_step(credential.pass_id)

    def force(self, guard: GuardOverride, direction: Direction, at: float, *, kind: str = "override",
              holder: str | None = None, detail: dict | None = None) -> Outcome:
        """Open the gate whatever a pass would say: a guard's override or a remote open.

        Logged like a scan, with who and why, before the relay moves. With a `holder` (a guard
        let a known person through) it moves that person in the presence table like any entry
        or exit; without one it moves no one and counts as no entry.
        """
        presence = gather_presence(self.ledger, holder, self.policy, at)
        decision = decide(None, direction, presence, self.policy, at, override=guard)
        event = self.ledger.record(at=at, gate_id=self.gate_id, type=direction.value if holder else kind,
                                   reason=decision.reason, direction=direction.value, holder=holder,
                                   format=kind, detail={**guard.detail(), **(detail or {})})
        scan = Scan("", self.gate_id, direction, at)
        return self._act(Outcome(scan, Verification(kind, False, "guard_override", {}), decision, event))

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


@dataclass
class ScannerLane:
    """One scanner module of a gate (serial or USB keyboard wedge): each code line it sends,
    debounced like a camera's, becomes a scan of one direction."""

    controller: GateController
    direction: Direction
    debouncer: Debouncer

    def on_code(self, text: str, now: float) -> Outcome | None:
        if not self.debouncer.accept(text, now):
            return None
        return self.controller.handle_scan(Scan(text, self.controller.gate_id, self.direction, now))
