"""Wiring and lifecycle: one config in, a running gate out.

`qrgate run` builds every part from the config; the simulator passes in its own
edges (virtual cameras, mock pins, its clock) and gets the same controller.
The gate's state (mode, alarms, counts) is core and works without MQTT; every action
a person asks for (console, MQTT, CLI) comes in through `perform()`.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from .actions import DONE, Action, ActionResult
from .clock_sync import kernel_clock_synced
from .comms.discovery import version
from .comms.topics import GateTopics
from .comms.trust_feed import TrustFeed
from .comms.wiring import connect_gate
from .config import Config
from .config.readers import CameraReaderConfig
from .credentials.keeper import TrustKeeper
from .credentials.revocation_store import beside_ledger
from .errors import ConfigError, CredentialError, KeyFileError, LedgerError, PendingError, QrgateError, SiteError
from .export import PurgeSchedule
from .state.clock import ClockWatch
from .gate import GateIO, signals
from .gate.base import LedPattern
from .ledger import Ledger
from .parts import device_info, open_camera, open_io, open_scanner
from .model import Direction
from .pipeline import CameraLane, GateController, Outcome, ScannerLane
from .policy.config import to_policy
from .policy.decide import ALARM_CLOCK
from .policy.rules import GuardOverride
from .lists import SiteLists, lists_path
from .policy.identity import IDENTITY_FORMATS
from .pseudonym import load_or_create_secret
from .readers.base import DeviceReader
from .runner import LaneRunner
from .site import conflicts
from .site.expiry import expired as expired_presence
from .site.sync import SiteSync
from .site.topics import SyncTopics
from .state.alarms import AlarmChange
from .state.door import DoorMonitor
from .state.gate import GateState
from .state.mode import GateMode
from .supervisor import Supervisor
from .vision.debounce import Debouncer
from .vision.decoder import Decoder
from .vision.sources import FrameSource

if TYPE_CHECKING:
    from .web.config import WebConfig

log = logging.getLogger(__name__)

TICK_SECONDS = 0.5
IDLE_LOCKDOWN = LedPattern("red")
PASS_ID_LENGTH = 12
LATE_EVENT_SECONDS = 5.0  # a merged movement older than this came late (a partition, a restart): check the cap
EXIT_BUTTON_LOOKBACK_SECONDS = 24 * 3600  # the exit button counts as the exit of an entry this recent


class GateApp:
    def __init__(self, cfg: Config, *, io: GateIO | None = None, sources: list[FrameSource] | None = None,
                 clock: Callable[[], float] = time.time, monotonic: Callable[[], float] | None = None,
                 web: "WebConfig | None" = None):
        self.cameras = [r for r in cfg.readers if isinstance(r, CameraReaderConfig)]
        if sources is not None and len(sources) != len(self.cameras):
            raise ConfigError("readers: one frame source is needed per camera reader")
        self.cfg = cfg
        self.clock = clock
        # durations (door alarms, purge timing) run on a clock nobody steps; a simulated clock is both
        self.monotonic = monotonic or (time.monotonic if clock is time.time else clock)
        self.clock_watch = ClockWatch()
        self._lock = threading.Lock()
        self._action_lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        site_secret = load_or_create_secret(cfg.site.secret_file)
        self.trust_keeper = TrustKeeper(cfg.trust.files, cfg.trust.dcc_schema_dir,
                                        cfg.trust.received_dir or Path(cfg.ledger.path).parent, site_secret,
                                        floor=beside_ledger(cfg.ledger.path).keep_newest)
        self.trust = self.trust_keeper.store
        self.ledger = Ledger(cfg.ledger.path, timezone=cfg.policy.timezone)
        self.gate_state = GateState(self.ledger, cfg.gate.id)
        #: called after any change of mode or alarms (the MQTT reporter, the gate's screen)
        self.changed = self.gate_state.changed
        self.lists = None
        if any(cfg.policy.identity.to_rules().mode(f) != "deny" for f in IDENTITY_FORMATS):
            # lists to match, and the ID codes seen for `qrgate list check`: beside the log, never in it
            self.lists = SiteLists(lists_path(Path(cfg.ledger.path).parent), site_secret)
        self.io = io or open_io(cfg)
        self.door = DoorMonitor(held_open_seconds=cfg.gate.door_held_seconds)
        self.controller = GateController(
            gate_id=cfg.gate.id, trust=self.trust, policy=to_policy(cfg.policy, cfg.gate.id),
            ledger=self.ledger, io=self.io, site_secret=site_secret,
            relay_seconds=cfg.gate.relay_seconds, mode=lambda: self.gate_state.mode, lists=self.lists,
            clock_synced=kernel_clock_synced if cfg.gate.clock_check == "kernel" else (lambda: True))
        self.purges = PurgeSchedule(cfg.ledger.retention_days)
        self.controller.listeners.append(self._after_decision)
        self.gate_state.mode_changed.append(self._show_mode)
        self.topics = GateTopics(cfg.mqtt.topic_prefix, cfg.site.id, cfg.gate.id)
        self.reporter = None
        if cfg.mqtt.enabled:
            m = cfg.mqtt
            self.reporter = connect_gate(
                gate=self, topics=self.topics, broker=m,
                clock=clock, discovery_prefix=m.discovery_prefix, commands=m.commands,
                command_secret_file=m.command_secret_file, site_aggregator=m.site_aggregator,
                device_info=device_info(cfg), site_cap=cfg.policy.occupancy_cap)
            self.reporter.add_extension(TrustFeed(self.topics, self))
        self.site: SiteSync | None = None
        self._cap_check_from: float | None = None  # a cap replay waiting for the peers' events to be all in
        if self.reporter is not None and cfg.site.sync.enabled:
            self.site = SiteSync(ledger=self.ledger, topics=SyncTopics(cfg.mqtt.topic_prefix, cfg.site.id),
                                 gate_id=cfg.gate.id, secret=site_secret, policy=self.controller.policy,
                                 gates=cfg.site.sync.gates, batch=cfg.site.sync.batch, clock=clock,
                                 on_merged=self._after_merge, on_mismatch=self._secret_mismatch,
                                 link_up=lambda: self.reporter.is_connected,
                                 on_storage_failed=self._storage_failed)
            self.reporter.add_extension(self.site)
            self.controller.site = self.site
        self._share_code_steps()
        self.lanes = [CameraLane(self.controller, Direction(camera.direction), Decoder(cfg.decoder),
                                 Debouncer(cfg.decoder.gone_after, cfg.decoder.repeat_after))
                      for camera in self.cameras]
        self.scanner_configs = [r for r in cfg.readers if not isinstance(r, CameraReaderConfig)]
        self.scanner_lanes = [ScannerLane(self.controller, Direction(r.direction),
                                          Debouncer(cfg.decoder.gone_after, cfg.decoder.repeat_after))
                              for r in self.scanner_configs]
        self.scanners: list[DeviceReader] = []
        self._scanners_lost: set[int] = set()
        self._sources = sources
        self.runners: list[LaneRunner] = []
        self._cameras_lost: set[int] = set()
        self._storage_fault = False
        self.controller.when_storage_failed = self._storage_failed
        self.io.when_door_changed = self._on_door
        self.io.when_exit_pressed = self._on_exit_button
        self.io.when_tamper_changed = self._on_tamper
        self.io.when_online_changed = self._on_link
        self._show_mode(self.gate_state.mode)  # a lockdown outlives a restart
        self._web_cfg = web
        self.web = None  # the screen and console (qrgate.web), started by start()

    # -- what the gate reports ---------------------------------------------------------
    def state(self) -> dict:
        switches = self.gate_state.switches()
        alarms = self.gate_state.active_alarms()
        return {"mode": self.gate_state.mode.value, "lockdown": switches["lockdown"],
                "free_exit": switches["free_exit"], "door": "open" if self.io.is_door_open else "closed",
                "camera": "lost" if self._cameras_lost else "ok",
                "readers": [{"kind": r.kind, "direction": r.direction, "ok": ok}
                            for r, ok in self._reader_health()],
                "storage": "fault" if self._storage_fault else "ok",
                "site_link": "none" if self.site is None else "cut" if self.site.partitioned else "ok",
                "clock": "unsynced" if "clock_unsynced" in alarms else "synced",
                "lock": "unlocked" if self.io.is_relay_on else "locked",
                "version": version(),
                "io_link": "online" if self.io.is_online else "offline",
                "io": self.io.link_state,  # backend details: an OSDP board's secure channel
                "alarms": alarms}

    def alarms(self) -> dict:
        return self.gate_state.alarms()

    def _reader_health(self):
        """Each configured reader, in config order, with whether it delivers now."""
        cameras = iter(range(len(self.cameras)))
        scanners = iter(range(len(self.scanner_configs)))
        for reader in self.cfg.readers:
            if isinstance(reader, CameraReaderConfig):
                yield reader, next(cameras) not in self._cameras_lost
            else:
                yield reader, next(scanners) not in self._scanners_lost

    def counts(self, now: float | None = None) -> dict:
        return self.gate_state.counts(self.clock() if now is None else now)

    # -- what people ask of it ---------------------------------------------------------
    def perform(self, action: Action) -> ActionResult:
        """One path for every action from the console, MQTT or the CLI: checked, logged with
        who and why, then carried out. Never raises for a bad action; says why in `reason`."""
        problem = action.problem()
        if problem:
            return ActionResult(False, problem)
        now = self.clock()
        try:
            with self._action_lock:
                result = self._perform(action, now)
        except QrgateError as exc:
            log.error("action %s by %s failed: %s", action.name, action.by, exc)
            if isinstance(exc, LedgerError):
                self._storage_failed(exc)
            return ActionResult(False, "failed")
        log.info("action %s by %s (%s): %s", action.name, action.by, action.source, result.reason)
        return result

    def _perform(self, action: Action, now: float) -> ActionResult:
        name = action.name
        if name in ("open", "override"):
            if name == "open" and self.gate_state.mode is GateMode.LOCKDOWN and action.direction == "entry":
                return ActionResult(False, "lockdown")
            why = action.why or ("remote open" if name == "open" else "")
            outcome = self.controller.force(GuardOverride(action.by, why), Direction(action.direction), now,
                                            kind="remote_open" if name == "open" else "override",
                                            detail=action.detail())
            return ActionResult(True, "done", outcome.event.id)
        if name in ("lockdown", "free_exit"):
            self.gate_state.set_switch(name, bool(action.value), now, action.by, action.why)
            return DONE
        if name == "ack_alarm":
            target = str(action.value or "all")
            return DONE if self.gate_state.acknowledge(target, now, action.by) else ActionResult(False, "not_latched")
        if name == "reset_counts":
            self.gate_state.reset_daily_counts(now, action.by)
            return DONE
        if name == "mark_left":
            return self._mark_left(action, now)
        try:  # "confirm": a guard answers a credential that waits for them
            outcome = self.controller.confirm(str(action.value or ""), action.by, action.allow, now)
        except PendingError:
            return ActionResult(False, "no_pending")
        return ActionResult(True, "done", outcome.event.id)

    def _mark_left(self, action: Action, now: float) -> ActionResult:
        """A guard records that someone left unseen (the exit button, a tailgate, a forgotten scan)."""
        named = str(action.value or "")
        holder = self.ledger.holder_of_pass(named) if len(named) == PASS_ID_LENGTH else named
        if not holder or not self.ledger.is_inside(holder):
            return ActionResult(False, "not_inside")
        event = self.ledger.record(at=now, gate_id=self.cfg.gate.id, type="exit", reason="marked_left",
                                   direction="exit", holder=holder, detail=action.detail())
        self.gate_state.tell()
        return ActionResult(True, "done", event.id)

    # -- trust while running -------------------------------------------------------------
    def receive_trust(self, doc: object, source: str = "mqtt") -> ActionResult:
        """A signed revocation list or trust update (from MQTT): applied at once, or refused with a
        reason (`not_verified`, `older_version`) and the trust in use unchanged."""
        now = self.clock()
        try:
            changed = self.trust_keeper.receive(doc, source)
        except CredentialError as exc:  # KeyFileError: not verified; the rest: older than the one in use
            reason = "not_verified" if isinstance(exc, KeyFileError) else "older_version"
            log.warning("refused a trust document: %s", exc)
            self._log_or_keep(at=now, gate_id=self.cfg.gate.id, type="trust_refused", reason=reason)
            self.gate_state.tell()
            return ActionResult(False, reason)
        if changed is None:
            return ActionResult(True, "unchanged")
        return self._trust_changed(now, "received", source, changed)

    def reload_trust(self) -> bool:
        """Read the trust files again (SIGHUP). A bad file leaves the trust in use as it was."""
        now = self.clock()
        try:
            changed = self.trust_keeper.reload()
        except QrgateError as exc:
            log.error("trust files not reloaded, the trust in use stays: %s", exc)
            return False
        self._trust_changed(now, "reloaded", "files", changed)
        return True

    def _share_code_steps(self) -> None:
        """A rotating-code step used at any gate of the site (or before a restart) is used here too."""
        if self.trust.rotation is not None:
            self.trust.rotation.used_elsewhere = self.ledger.last_code_step

    def _trust_changed(self, now: float, reason: str, source: str, changed: str) -> ActionResult:
        self.trust = self.controller.trust = self.trust_keeper.store
        self._share_code_steps()  # a new trust store brings a new rotation checker
        log.info("trust %s from %s: %s", reason, source, changed)
        # the new trust is in use whatever the log does: a failing log keeps the event to write later
        self._log_or_keep(at=now, gate_id=self.cfg.gate.id, type="trust", reason=reason,
                          detail={"source": source, "change": changed})
        self.gate_state.tell()
        return DONE

    def _notify(self) -> None:
        self.gate_state.tell()

    def _show_mode(self, mode: GateMode) -> None:
        """A lockdown releases the lock at once and shows its own light; its end shows ready (or the fault)."""
        if mode is GateMode.LOCKDOWN:
            self.io.release_relay()
            self.io.set_idle(IDLE_LOCKDOWN)
        else:
            fault = self._cameras_lost or self._scanners_lost or self._storage_fault
            self.io.set_idle(signals.IDLE_FAULT if fault else signals.IDLE_READY)

    # -- inputs ------------------------------------------------------------------------
    def _after_decision(self, outcome: Outcome) -> None:
        if outcome.decision.granted:
            with self._lock:
                self.door.unlock(self.monotonic(), self.cfg.gate.relay_seconds)
            # the lock's state is published when it opens (below) and again when it shuts
            relocked = threading.Timer(self.cfg.gate.relay_seconds + 0.05, self._notify)
            relocked.daemon = True
            relocked.start()
        unsynced = ALARM_CLOCK in outcome.decision.flags
        if unsynced != self.gate_state.is_active("clock_unsynced"):  # raised by a scan that met it, cleared likewise
            self._record_alarms([AlarmChange("clock_unsynced", unsynced, outcome.scan.at)])
        self._notify()

    def confirm(self, pending_id: str, by: str, allow: bool, at: float | None = None) -> Outcome:
        """A guard's answer to a scan waiting for them; the console, MQTT and the CLI reach it through perform()."""
        return self.controller.confirm(pending_id, by, allow, self.clock() if at is None else at)

    def _on_door(self, is_open: bool) -> None:
        now = self.clock()
        with self._lock:
            changes = self.door.door_changed(is_open, self.monotonic())
        self._record_alarms(changes, at=now)

    def _on_exit_button(self) -> None:
        """The exit button always lets people out: the lock is released first, whatever the log does
        (egress is life safety); the press is logged after, or kept until the log can take it."""
        now = self.clock()
        seconds = self.cfg.gate.exit_button_seconds
        with self._lock:
            self.door.unlock(self.monotonic(), seconds)
        self.io.pulse_relay(seconds)
        event = dict(at=now, gate_id=self.cfg.gate.id, type="exit_button", reason="exit_button", direction="exit")
        if self.cfg.policy.exit_button_as_exit:  # a one-door gate: the person let in last is leaving
            try:
                holder = self.ledger.last_entry_at(self.cfg.gate.id, now - EXIT_BUTTON_LOOKBACK_SECONDS)
            except LedgerError:
                holder = None
            if holder is not None:
                event.update(type="exit", holder=holder)
        self._log_or_keep(**event)
        self._notify()

    def _log_or_keep(self, **event) -> None:
        """Log an event that has already happened; while the log fails, keep it to write later."""
        try:
            self.ledger.record(**event)
        except LedgerError as exc:
            self._storage_failed(exc)
            self.ledger.record_later(**event)

    def _storage_failed(self, exc: LedgerError) -> None:
        """The log cannot be read or written: raise the storage alarm once; scans fail closed meanwhile."""
        with self._lock:
            if self._storage_fault:
                return
            self._storage_fault = True
        log.error("storage fault: %s", exc)
        self._show_mode(self.gate_state.mode)
        self._record_alarms([AlarmChange("storage_fault", True, self.clock())])

    def _storage_check(self, now: float) -> None:
        """While the storage alarm is up: write what was kept in memory; once the log reads and writes, clear it."""
        try:
            self.ledger.flush()
            self.ledger.check_writable()  # a read-only log with nothing kept back would pass a flush
        except LedgerError as exc:
            log.debug("storage still failing: %s", exc)
            return
        if self.ledger.storage_problem():
            return
        with self._lock:
            self._storage_fault = False
        log.warning("storage works again; %s", "the events kept in memory are written")
        self._show_mode(self.gate_state.mode)
        self._record_alarms([AlarmChange("storage_fault", False, now)])

    def _on_tamper(self, is_open: bool) -> None:
        self._record_alarms([AlarmChange("tamper", is_open, self.clock())])

    def _on_link(self, online: bool) -> None:
        """The I/O board stopped or resumed answering; the board itself has gone safe meanwhile."""
        now = self.clock()
        with self._lock:
            self.door.link_changed(online, self.monotonic())
        self._record_alarms([AlarmChange("io_board_offline", not online, now)])

    def camera_changed(self, lane: int, ok: bool, reason: str = "") -> None:
        """A camera stopped or resumed delivering frames: fault light, state and an alarm."""
        with self._lock:
            was_lost = bool(self._cameras_lost)
            (self._cameras_lost.discard if ok else self._cameras_lost.add)(lane)
            lost = bool(self._cameras_lost)
        if lost == was_lost:
            return
        self._show_mode(self.gate_state.mode)  # a lockdown keeps its own light
        log.warning("camera %d %s%s", lane, "back" if ok else "lost", f" ({reason})" if reason else "")
        self._record_alarms([AlarmChange("camera_fault", lost, self.clock())])

    def scanner_changed(self, index: int, ok: bool, reason: str = "") -> None:
        """A scanner module was unplugged or came back: fault light, state and an alarm, as for a camera."""
        with self._lock:
            was_lost = bool(self._scanners_lost)
            (self._scanners_lost.discard if ok else self._scanners_lost.add)(index)
            lost = bool(self._scanners_lost)
        if lost == was_lost:
            return
        self._show_mode(self.gate_state.mode)
        log.warning("scanner %d %s%s", index, "back" if ok else "lost", f" ({reason})" if reason else "")
        self._record_alarms([AlarmChange("reader_fault", lost, self.clock())])

    def tick(self, now: float | None = None, mono: float | None = None) -> None:
        """Time-driven checks (a door held open, wall-clock steps, retention). The simulator calls
        this with its own clock's `now`, which then serves as the monotonic time too."""
        if now is None:
            now, mono = self.clock(), self.monotonic() if mono is None else mono
        elif mono is None:
            mono = now
        with self._lock:
            changes = self.door.tick(mono)
        self._record_alarms(changes, at=now)
        self.controller.expire_pending(now)  # no answer from the guard is a refusal
        problem = self.ledger.storage_problem()
        if problem and not self._storage_fault:  # seen before any write fails: a full or read-only disk
            self._storage_failed(LedgerError(problem))
        if self._storage_fault or self.ledger.queued:
            self._storage_check(now)
            return  # no clock-step record nor purge on a log that just failed
        step = self.clock_watch.observe(now, mono)
        if step is not None:
            log.warning("the wall clock stepped by %+.1f s at gate %s", step, self.cfg.gate.id)
            self.ledger.record(at=now, gate_id=self.cfg.gate.id, type="clock_step", reason="clock_step",
                               detail={"seconds": round(step, 3)})
        if self.clock_watch.settled(mono):  # a clock that just jumped expires nobody
            self._expire_presence(now)
        cutoff = self.purges.cutoff(now, mono, self.clock_watch.settled(mono))
        if cutoff is not None:  # retention, once wall and monotonic time agree, then once a day
            purged = self.ledger.purge(cutoff)
            if purged:
                log.info("purged %d events older than %g days", purged, self.cfg.ledger.retention_days)
            if self.lists is not None:
                self.lists.purge_sightings(now - self.cfg.ledger.retention_days * 86400)

    def _record_alarms(self, changes: list[AlarmChange], at: float | None = None) -> None:
        """Record alarm changes; `at` (wall time) replaces the monotonic time the door monitor used."""
        if at is not None:
            changes = [AlarmChange(c.alarm, c.active, at) for c in changes]
        self.gate_state.record_alarms(changes)

    # -- the site: exits no gate saw, movements from other gates, conflicts ----------------
    def _expire_presence(self, now: float) -> None:
        """People this gate let in whose presence ran out are counted as left (a shared exit event)."""
        p = self.cfg.policy
        if not p.presence_expiry_hours and not p.daily_reset_at:
            return
        before = now if p.daily_reset_at else now - p.presence_expiry_hours * 3600  # who may be due
        due = expired_presence(self.ledger.inside_since(before), self.cfg.gate.id, now,
                               expiry_hours=p.presence_expiry_hours, reset_at=p.daily_reset_at, timezone=p.timezone)
        for holder, reason in due:
            self.ledger.record(at=now, gate_id=self.cfg.gate.id, type="exit", reason=reason, direction="exit",
                               holder=holder)
        if due:
            log.info("%d presence(s) ran out (%s)", len(due), ", ".join(sorted({r for _h, r in due})))
            self._notify()

    def _after_merge(self, events: list[dict]) -> None:
        """Other gates' movements are in the ledger: look for rules a partition let them break."""
        now = self.clock()
        policy = self.controller.policy
        found: list[conflicts.Conflict] = []
        if policy.anti_passback != "off":
            holders = sorted({e["holder"] for e in events if e.get("holder") and e["type"] == "entry"})
            found += conflicts.double_entries(self.ledger.holder_movements(holders))
        late = [e["at"] for e in events if e["type"] in ("entry", "exit") and e["at"] < now - LATE_EVENT_SECONDS]
        if self._cap_check_from is not None:
            late.append(self._cap_check_from)
        if policy.occupancy_cap is not None and late:
            start = min(late)
            if self.site is not None and self.site.behind():
                # a half-merged history (an exit not in yet) overcounts: replay once every peer's events are in
                self._cap_check_from = start
            else:
                self._cap_check_from = None
                found += conflicts.cap_exceeded(self.ledger.movements_after(start), policy.occupancy_cap,
                                                self.ledger.inside_at(start))
        recorded = [c for c in found if self.ledger.record(
            at=c.at, gate_id=self.cfg.gate.id, type="site_conflict", reason=c.kind, holder=c.holder,
            detail=c.detail(), event_id=c.id) is not None]
        for c in recorded:
            log.warning("site conflict %s between gates %s", c.kind, ", ".join(c.gates))
        if recorded:  # raised and at once cleared: latched until a guard acknowledges it
            self._record_alarms([AlarmChange("site_conflict", True, now), AlarmChange("site_conflict", False, now)])
        self._notify()

    def _secret_mismatch(self, gate: str) -> None:
        now = self.clock()
        self._record_alarms([AlarmChange("site_secret_mismatch", True, now)])

    def _check_site_secret(self) -> None:
        """At start: wait briefly for the peers' fingerprints; refuse to run with another site secret."""
        wait = self.cfg.site.sync.startup_check_seconds
        if not self.site.checked.wait(wait):
            log.warning("site sync: no answer from the broker within %g s; deciding alone until it answers", wait)
            return
        if self.site.mismatched:
            gates = ", ".join(f"{g} ({fp})" for g, fp in sorted(self.site.mismatched.items()))
            raise SiteError(
                f"site.secret_file: {self.cfg.site.secret_file} is not the site secret the other gates use: "
                f"this gate's fingerprint is {self.site.fingerprint}, gate(s) {gates} differ. Copy the site's "
                "secret with 'qrgate site secret export' on a working gate and 'qrgate site secret import' here")

    # -- lifecycle ---------------------------------------------------------------------
    def start(self, *, cameras: bool = True, scanners: bool | None = None) -> "GateApp":
        """Start reporting and, unless the caller feeds the lanes itself, the camera threads and the
        ticker. The scanner modules' readers start with the cameras unless `scanners` says otherwise
        (the simulator feeds its camera lanes frame by frame, but its scanners through their ports)."""
        scanners = cameras if scanners is None else scanners
        sources = None
        if cameras:  # first: a replay that cannot be read stops the start before anything runs
            sources = self._sources if self._sources is not None else [open_camera(c) for c in self.cameras]
        self.tick()
        if self._web_cfg is not None and self._web_cfg.enabled:
            from .web.server import GateWebServer  # Starlette and uvicorn only when asked for

            self.web = GateWebServer(self, self._web_cfg).start()
        if self.reporter:
            self.reporter.start()
            if self.site is not None:
                try:
                    self._check_site_secret()
                except SiteError:
                    self.reporter.stop(timeout=0.2)
                    raise
        if cameras:
            self.runners = [
                LaneRunner(source, lane, name=f"{self.cfg.gate.id}-{lane.direction.value}{i}", clock=self.clock,
                           loss_after=self.cameras[i].lost_after,
                           when_camera_changed=lambda ok, reason, i=i: self.camera_changed(i, ok, reason)).start()
                for i, (lane, source) in enumerate(zip(self.lanes, sources))]
        if scanners:
            self.scanners = [
                open_scanner(reader, name=f"{self.cfg.gate.id}-{reader.kind}{i}", on_code=lane.on_code,
                             clock=self.clock,
                             when_changed=lambda ok, reason, i=i: self.scanner_changed(i, ok, reason)).start()
                for i, (reader, lane) in enumerate(zip(self.scanner_configs, self.scanner_lanes))]
        if cameras:
            self._ticker = threading.Thread(target=self._tick_loop, name="gate-ticker", daemon=True)
            self._ticker.start()
        log.info("gate %s/%s running with %d camera(s) and %d scanner(s)", self.cfg.site.id, self.cfg.gate.id,
                 len(self.lanes), len(self.scanner_lanes))
        return self

    def _tick_loop(self) -> None:
        while not self._stop.wait(TICK_SECONDS):
            try:
                self.tick()
            except Exception:  # a failed check must not end the checks
                log.exception("gate tick failed")

    def stop(self) -> None:
        self._stop.set()
        if self.web:
            self.web.stop()
        for runner in self.runners:
            runner.stop()
        for scanner in self.scanners:
            scanner.stop()
        if self.reporter:
            self.reporter.stop()
        self.io.close()
        self.ledger.close()
        if self.lists is not None:
            self.lists.close()

    def run_until_signalled(self) -> None:
        """Run until SIGINT or SIGTERM; SIGHUP re-reads the trust files."""
        wake, stop, reload = threading.Event(), threading.Event(), threading.Event()

        def on_signal(flag: threading.Event) -> Callable:
            return lambda *_: (flag.set(), wake.set())  # the main loop acts: no work in a handler

        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, on_signal(stop))
        signal.signal(signal.SIGHUP, on_signal(reload))
        self.start()
        supervisor = Supervisor(self).started()  # systemd: READY=1, then watchdog pets while healthy
        try:
            while True:
                wake.wait(1.0)
                supervisor.tick()
                wake.clear()
                if stop.is_set():
                    break
                if reload.is_set():
                    reload.clear()
                    self.reload_trust()
                if not any(reader.is_alive for reader in [*self.runners, *self.scanners]):
                    log.warning("every reader has ended; stopping")
                    break
        finally:
            supervisor.stopping()
            self.stop()
