"""The gate's own state, whether or not MQTT is on: its mode, its latched alarms, its counts.

Every change is a ledger event first (a mode change, an alarm raised, cleared or
acknowledged, a count reset), so the state is as durable as the log. The mode is also
saved in the ledger's own table, so a lockdown survives a restart; latched alarms are a
fold of the ledger's alarm events (state/alarms.py), with a saved snapshot so a start
does not refold the whole log. Listeners in `changed` hear about every change (the
MQTT reporter, the gate's screen).
"""

from __future__ import annotations

import logging
import threading
from typing import Callable

from ..errors import LedgerError
from ..ledger import COUNTER_NAMES, Ledger
from .alarms import ACKED, ALARM_EVENT_TYPES, CLEARED, RAISED, AlarmBook, AlarmChange
from .mode import GateMode

log = logging.getLogger(__name__)

MODE_SWITCHES = ("lockdown", "free_exit")
SNAPSHOT_EVERY_EVENTS = 1000


class GateState:
    def __init__(self, ledger: Ledger, gate_id: str):
        self.ledger = ledger
        self.gate_id = gate_id
        self._lock = threading.RLock()
        saved, seq = ledger.saved_alarms()
        self._book = AlarmBook(saved, seq)
        self._saved_seq = seq
        self._switches = {name: False for name in MODE_SWITCHES} | ledger.modes()
        self.changed: list[Callable[[], None]] = []
        self.mode_changed: list[Callable[[GateMode], None]] = []

    # -- mode ----------------------------------------------------------------------------
    @property
    def mode(self) -> GateMode:
        """decide()'s mode: lockdown wins over free exit (people may still leave in a lockdown)."""
        if self._switches["lockdown"]:
            return GateMode.LOCKDOWN
        return GateMode.FREE_EXIT if self._switches["free_exit"] else GateMode.NORMAL

    def switches(self) -> dict[str, bool]:
        return dict(self._switches)

    def set_switch(self, name: str, on: bool, at: float, by: str, why: str = "") -> None:
        """Turn lockdown or free exit on or off: a ledger event, then the saved mode."""
        if name not in MODE_SWITCHES:
            raise ValueError(f"{name!r} is not one of {MODE_SWITCHES}")
        with self._lock:
            detail = {"by": by, **({"why": why} if why else {})}
            self.ledger.record(at=at, gate_id=self.gate_id, type="mode", reason=f"{name}_{'on' if on else 'off'}",
                               detail=detail)
            self.ledger.save_mode(name, on, at)
            self._switches[name] = on
            mode = self.mode
        log.info("%s %s at gate %s by %s", name, "on" if on else "off", self.gate_id, by)
        for listener in self.mode_changed:
            listener(mode)
        self.tell()

    # -- alarms ----------------------------------------------------------------------------
    def record_alarms(self, changes: list[AlarmChange]) -> None:
        """Alarm conditions that began or ended: ledger events, then the latched fold."""
        if not changes:
            return
        with self._lock:
            for change in changes:
                log.warning("alarm %s %s at gate %s", change.alarm, "raised" if change.active else "cleared",
                            self.gate_id)
                row = dict(at=change.at, gate_id=self.gate_id, type=RAISED if change.active else CLEARED,
                           reason=change.alarm)
                try:
                    self.ledger.record(**row)
                except LedgerError:
                    # the alarm shows now; its event waits in memory for the log (folding it later changes nothing)
                    self.ledger.record_later(**row)
                    self._book.apply(self._book.seq, row["type"], change.alarm, change.at)
            self._fold_if_readable()
        self.tell()

    def acknowledge(self, name: str, at: float, by: str) -> bool:
        """Unlatch `name` ("all" for every alarm); False when nothing was latched."""
        with self._lock:
            self._fold()
            names = self._book.latched(name)
            for latched in names:
                self.ledger.record(at=at, gate_id=self.gate_id, type=ACKED, reason=latched, detail={"by": by})
            self._fold()
        if names:
            self.tell()
        return bool(names)

    def alarms(self) -> dict:
        """name -> {on, active, latched, since, acked_at} of every alarm."""
        with self._lock:
            self._fold_if_readable()
            return self._book.to_json()

    def active_alarms(self) -> list[str]:
        with self._lock:
            self._fold_if_readable()
            return self._book.active()

    def is_active(self, name: str) -> bool:
        return name in self.active_alarms()

    def _fold_if_readable(self) -> None:
        """Fold what the log has; while it fails, the alarms known in memory still show."""
        try:
            self._fold()
        except LedgerError as exc:
            log.debug("alarms not refolded: %s", exc)

    def _fold(self) -> None:
        """Bring the latched alarms up to the newest ledger event; save the snapshot when an alarm
        event was folded in, or when the log has moved far past it (a start then refolds little),
        not on every event: a save is a durable write."""
        rows, newest = self.ledger.alarm_events(self._book.seq, ALARM_EVENT_TYPES)
        for seq, type_, name, at in rows:
            self._book.apply(seq, type_, name, at)
        self._book.seq = max(self._book.seq, newest)
        if rows or self._book.seq - self._saved_seq >= SNAPSHOT_EVERY_EVENTS:
            self.ledger.save_alarms(self._book.to_json(), self._book.seq)
            self._saved_seq = self._book.seq

    # -- counts ----------------------------------------------------------------------------
    def counts(self, now: float) -> dict:
        """The ledger's counts, today's measured from the last reset, and the last denial."""
        counts = self.ledger.counts(now)
        offsets = self.ledger.count_offsets(now)
        counts["today"] = {n: max(0, counts["today"][n] - offsets[n]) for n in COUNTER_NAMES}
        counts["last_denial"] = self.ledger.last_denial()
        return counts

    def reset_daily_counts(self, at: float, by: str) -> None:
        with self._lock:
            self.ledger.record(at=at, gate_id=self.gate_id, type="counts_reset", reason="command", detail={"by": by})
            self.ledger.reset_counts_today(at)
        self.tell()

    # -- listeners -------------------------------------------------------------------------
    def tell(self) -> None:
        for listener in list(self.changed):
            try:
                listener()
            except Exception:  # a listener's bug must not stop the gate
                log.exception("gate state listener failed")
