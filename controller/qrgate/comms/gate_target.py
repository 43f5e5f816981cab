"""What dashboard commands act on: the gate's mode, its relay, its latched alarms, its counts.

Every action is written to the ledger as an event before anything moves, exactly like a
scan: a remote open commits a "remote_open" row, then pulses the relay. The mode lives in
AlarmStore (same SQLite file), so a lockdown survives a restart; latched alarms are folded
from the ledger's alarm events (comms/alarms.py), so they are as durable as the log.
The gate's inputs (door, tamper, exit button, cameras, I/O link) and the alarms they raise
stay with GateApp; this class only reads those alarms from the ledger and latches them.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace
from typing import Callable, Protocol

from ..errors import QrgateError
from ..gate import signals
from ..gate.base import LedPattern
from ..ledger import COUNTER_NAMES, day_of
from .alarm_store import AlarmStore
from .alarms import ACKED, ALARM_EVENT_TYPES, AlarmBook
from .commands import Command

log = logging.getLogger(__name__)

IDLE_LOCKDOWN = LedPattern("red")


class CommandTarget(Protocol):
    """What a command can ask of a gate; each returns a reason code, "done" when it was done."""

    def open_gate(self, by: str, request_id: str) -> str: ...
    def set_lockdown(self, on: bool) -> str: ...
    def set_free_exit(self, on: bool) -> str: ...
    def acknowledge(self, alarm: str) -> str: ...
    def reset_daily_counts(self) -> str: ...


@dataclass(frozen=True)
class GateMode:
    lockdown: bool = False
    free_exit: bool = False

    @property
    def name(self) -> str:
        """decide()'s mode: lockdown wins over free exit (people may still leave in a lockdown)."""
        return "lockdown" if self.lockdown else "free_exit" if self.free_exit else "normal"


def run_command(target: CommandTarget, command: Command) -> str:
    """Dispatch a validated command; the reason code goes into the result message."""
    try:
        if command.name == "open":
            return target.open_gate(command.by, command.request_id)
        if command.name == "lockdown":
            return target.set_lockdown(bool(command.value))
        if command.name == "free_exit":
            return target.set_free_exit(bool(command.value))
        if command.name == "ack_alarm":
            return target.acknowledge(str(command.value))
        if command.name == "reset_counts":
            return target.reset_daily_counts()
    except QrgateError as exc:
        log.error("command %s (%s) failed: %s", command.name, command.request_id, exc)
        return "failed"
    return "unknown_command"


class GateTarget:
    """The CommandTarget of one gate, built from its GateController (ledger, I/O, relay time).

    unlock(at, seconds) tells the gate's door monitor that the lock was released, so the
    door opening after a remote open is not taken for a forced door.
    """

    def __init__(self, controller, store: AlarmStore, *, clock: Callable[[], float] = time.time,
                 unlock: Callable[[float, float], None] | None = None):
        self.controller = controller
        self.gate_id = controller.gate_id
        self.ledger = controller.ledger
        self.io = controller.io
        self.store = store
        self.clock = clock
        self.unlock = unlock
        saved, seq = store.alarms()
        self.book = AlarmBook(saved, seq)
        modes = store.modes()
        self.mode = GateMode(modes.get("lockdown", False), modes.get("free_exit", False))
        self.changed: list[Callable[[], None]] = []  # e.g. the reporter's notify
        self.mode_changed: list[Callable[[GateMode], None]] = []  # e.g. the controller's decide() mode
        self._lock = threading.RLock()

    # -- wiring ----------------------------------------------------------------------
    def attach(self) -> "GateTarget":
        """Apply a lockdown saved before a restart (relay released, lockdown light)."""
        if self.mode.lockdown:
            self._apply_lockdown(True)
        return self

    def close(self) -> None:
        """Close the store (after the reporter has stopped); calling it twice is harmless."""
        self.store.close()

    # -- what the reporter publishes -------------------------------------------------------
    def state(self) -> dict:
        return {"mode": self.mode.name, "lockdown": self.mode.lockdown, "free_exit": self.mode.free_exit}

    def alarms(self) -> dict:
        with self._lock:
            self._fold()
            return self.book.to_json()

    def counts(self, now: float) -> dict:
        """The ledger's counts with today's numbers measured from the last reset, if any."""
        counts = self.ledger.counts(now)
        offsets = self.store.offsets(day_of(now))
        counts["today"] = {n: max(0, counts["today"][n] - offsets[n]) for n in COUNTER_NAMES}
        counts["last_denial"] = self.store.last_denial()
        return counts

    # -- commands (CommandTarget) ----------------------------------------------------------
    def open_gate(self, by: str, request_id: str) -> str:
        with self._lock:
            if self.mode.lockdown:
                return "lockdown"
            now = self.clock()
            # durable before the relay moves; who asked stays in the log only (detail is never published)
            self._record("remote_open", "command", now, {"by": by, "request_id": request_id})
            seconds = self.controller.relay_seconds
            if self.unlock is not None:
                self.unlock(now, seconds)
            self.io.pulse_relay(seconds)
        log.info("remote open at %s by %s (request %s)", self.gate_id, by, request_id)
        self._tell()
        return "done"

    def set_lockdown(self, on: bool) -> str:
        return self._set_mode("lockdown", on)

    def set_free_exit(self, on: bool) -> str:
        return self._set_mode("free_exit", on)

    def acknowledge(self, alarm: str) -> str:
        with self._lock:
            self._fold()
            names = self.book.latched(alarm)
            now = self.clock()
            for name in names:
                self._record(ACKED, name, now)
            self._fold()
        self._tell()
        return "done" if names else "not_latched"

    def reset_daily_counts(self) -> str:
        with self._lock:
            now = self.clock()
            self._record("counts_reset", "command", now)
            self.store.set_offsets(day_of(now), self.ledger.counts(now)["today"])
        self._tell()
        return "done"

    # -- inside ----------------------------------------------------------------------------
    def _fold(self) -> None:
        """Bring the latched alarms up to the newest ledger event; save the snapshot if it moved."""
        rows, newest = self.store.alarm_events(self.book.seq, ALARM_EVENT_TYPES)
        for seq, type_, name, at in rows:
            self.book.apply(seq, type_, name, at)
        if newest != self.book.seq or rows:
            self.book.seq = newest
            self.store.save_alarms(self.book.to_json(), newest)

    def _set_mode(self, name: str, on: bool) -> str:
        with self._lock:
            now = self.clock()
            self._record("mode", f"{name}_{'on' if on else 'off'}", now)
            self.store.save_mode(name, on, now)
            self.mode = replace(self.mode, **{name: on})
            if name == "lockdown":
                self._apply_lockdown(on)
            mode = self.mode
        for listener in self.mode_changed:
            listener(mode)
        self._tell()
        return "done"

    def _apply_lockdown(self, on: bool) -> None:
        if on:
            self.io.release_relay()
        self.io.set_idle(IDLE_LOCKDOWN if on else signals.IDLE_READY)

    def _record(self, type_: str, reason: str, at: float, detail: dict | None = None) -> None:
        self.ledger.record(at=at, gate_id=self.gate_id, type=type_, reason=reason, detail=detail)

    def _tell(self) -> None:
        for listener in self.changed:
            try:
                listener()
            except Exception:  # a listener's bug must not stop the gate
                log.exception("listener failed")
