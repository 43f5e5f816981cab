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
from .comms.discovery import DeviceInfo, version
from .comms.topics import GateTopics
from .comms.wiring import connect_gate
from .config import Config
from .config.readers import CameraReaderConfig, ReaderConfig
from .credentials import TrustStore
from .credentials.revocation_store import beside_ledger
from .errors import ConfigError, LedgerError, PendingError, QrgateError
from .export import PurgeSchedule
from .state.clock import ClockWatch
from .gate import GateIO, open_gate_io, signals
from .gate.base import LedPattern
from .ledger import Ledger
from .model import Direction
from .pipeline import CameraLane, GateController, Outcome, ScannerLane
from .policy.config import to_policy
from .policy.decide import ALARM_CLOCK
from .policy.rules import GuardOverride
from .lists import SiteLists, lists_path
from .policy.identity import IDENTITY_FORMATS
from .pseudonym import load_or_create_secret
from .readers.base import DeviceReader
from .readers.serial_reader import SerialReader
from .runner import LaneRunner
from .state.alarms import AlarmChange
from .state.door import DoorMonitor
from .state.gate import GateState
from .state.mode import GateMode
from .vision.debounce import Debouncer
from .vision.decoder import Decoder
from .vision.sources import FrameSource, ImageFiles, OpenCVCamera, VideoFile

if TYPE_CHECKING:
    from .web.config import WebConfig

log = logging.getLogger(__name__)

TICK_SECONDS = 0.5
IDLE_LOCKDOWN = LedPattern("red")
PASS_ID_LENGTH = 12


def open_io(cfg: Config) -> GateIO:
    gate = cfg.gate
    if gate.backend in ("gpio", "mock"):
        factory = None
        if gate.backend == "mock":  # gpiozero's mock pins: a whole gate on a PC (the CLI says nothing is driven)
            from gpiozero.pins.mock import MockFactory

            factory = MockFactory()
        io = open_gate_io("gpio", pins=gate.pins.model_dump(), max_relay_seconds=gate.max_relay_seconds,
                          pin_factory=factory)
        if factory is not None:  # a closed door and lid, as on a gate at rest (the pull-ups read open)
            for switch in (gate.pins.door_contact, gate.pins.tamper):
                factory.pin(switch).drive_low()
        return io
    return open_gate_io("osdp", port=gate.osdp_port, address=gate.osdp_address, scbk=gate.osdp_scbk,
                        baud=gate.osdp_baud, relay_output=gate.osdp_relay_output,
                        door_input=gate.osdp_door_input, exit_input=gate.osdp_exit_input,
                        tamper_input=gate.osdp_tamper_input, max_relay_seconds=gate.max_relay_seconds)


def open_camera(camera: CameraReaderConfig) -> FrameSource | Callable[[], FrameSource]:
    """The frame source of a camera reader. A replay is opened now; a camera is opened by its
    runner, so a missing one is a fault that heals."""
    if camera.source == "files":
        return ImageFiles(camera.files, fps=camera.fps)
    if camera.source == "video":
        return VideoFile(camera.files[0], fps=camera.fps)
    if camera.source == "picamera2":
        from .vision.picamera import PiCamera

        return lambda: PiCamera(camera=int(camera.device), width=camera.width, height=camera.height, fps=camera.fps,
                                metering=camera.metering, exposure_mode=camera.exposure_mode,
                                constraint=camera.constraint, exposure_value=camera.exposure_value,
                                exposure_time_us=camera.exposure_time_us, analogue_gain=camera.analogue_gain)
    device = int(camera.device) if camera.device.isdigit() else camera.device
    return lambda: OpenCVCamera(device=device, width=camera.width, height=camera.height, fps=camera.fps,
                                auto_exposure=camera.auto_exposure, exposure=camera.exposure, gain=camera.gain)


def open_scanner(reader: ReaderConfig, *, name: str, on_code, clock: Callable[[], float],
                 when_changed: Callable[[bool, str], None]) -> DeviceReader:
    """A scanner module's reader (not started): serial over pyserial, a keyboard wedge over evdev."""
    if reader.kind == "serial":
        return SerialReader(reader.port, baud=reader.baud, max_length=reader.max_line_bytes, name=name,
                            on_code=on_code, clock=clock, when_changed=when_changed)
    from .readers.hid import HidReader  # evdev only where a keyboard-wedge scanner is configured

    return HidReader(reader.device, name=name, on_code=on_code, clock=clock, when_changed=when_changed)


def device_info(cfg: Config) -> DeviceInfo:
    """What dashboards show about this gate's hardware."""
    hardware = {"gpio": "Raspberry Pi GPIO", "osdp": "OSDP I/O board"}.get(cfg.gate.backend, cfg.gate.backend)
    return DeviceInfo(hw_version=hardware, serial_number=board_serial())


def board_serial() -> str | None:
    """The Pi's own serial number (device tree), or None on other machines."""
    try:
        return Path("/proc/device-tree/serial-number").read_text().strip("\x00\n ") or None
    except OSError:
        return None


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
        self.trust = TrustStore.from_files(cfg.trust.files, cfg.trust.dcc_schema_dir)
        site_secret = load_or_create_secret(cfg.site.secret_file)
        self.trust.pseudonym_key = site_secret
        self.ledger = Ledger(cfg.ledger.path, timezone=cfg.policy.timezone)
        self.gate_state = GateState(self.ledger, cfg.gate.id)
        #: called after any change of mode or alarms (the MQTT reporter, the gate's screen)
        self.changed = self.gate_state.changed
        self.lists = None
        if any(cfg.policy.identity.to_rules().mode(f) != "deny" for f in IDENTITY_FORMATS):
            # lists to match, and the ID codes seen for `qrgate list check`: beside the log, never in it
            self.lists = SiteLists(lists_path(Path(cfg.ledger.path).parent), site_secret)
        beside_ledger(cfg.ledger.path).keep_newest(self.trust)  # an old list put back un-revokes nothing
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
        self._log_or_keep(at=now, gate_id=self.cfg.gate.id, type="exit_button", reason="exit_button",
                          direction="exit")
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
            self.ledger.occupancy()
        except LedgerError as exc:
            log.debug("storage still failing: %s", exc)
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
        if self._storage_fault or self.ledger.queued:
            self._storage_check(now)
            return  # no clock-step record nor purge on a log that just failed
        step = self.clock_watch.observe(now, mono)
        if step is not None:
            log.warning("the wall clock stepped by %+.1f s at gate %s", step, self.cfg.gate.id)
            self.ledger.record(at=now, gate_id=self.cfg.gate.id, type="clock_step", reason="clock_step",
                               detail={"seconds": round(step, 3)})
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

    # -- lifecycle ---------------------------------------------------------------------
    def start(self, *, cameras: bool = True) -> "GateApp":
        """Start reporting and, unless the caller feeds the lanes itself, the camera threads."""
        sources = None
        if cameras:  # first: a replay that cannot be read stops the start before anything runs
            sources = self._sources if self._sources is not None else [open_camera(c) for c in self.cameras]
        self.tick()
        if self._web_cfg is not None and self._web_cfg.enabled:
            from .web.server import GateWebServer  # Starlette and uvicorn only when asked for

            self.web = GateWebServer(self, self._web_cfg).start()
        if self.reporter:
            self.reporter.start()
        if cameras:
            self.runners = [
                LaneRunner(source, lane, name=f"{self.cfg.gate.id}-{lane.direction.value}{i}", clock=self.clock,
                           loss_after=self.cameras[i].lost_after,
                           when_camera_changed=lambda ok, reason, i=i: self.camera_changed(i, ok, reason)).start()
                for i, (lane, source) in enumerate(zip(self.lanes, sources))]
            self.scanners = [
                open_scanner(reader, name=f"{self.cfg.gate.id}-{reader.kind}{i}", on_code=lane.on_code,
                             clock=self.clock,
                             when_changed=lambda ok, reason, i=i: self.scanner_changed(i, ok, reason)).start()
                for i, (reader, lane) in enumerate(zip(self.scanner_configs, self.scanner_lanes))]
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
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        self.start()
        try:
            while not stop.wait(1.0):
                if not any(reader.is_alive for reader in [*self.runners, *self.scanners]):
                    log.warning("every reader has ended; stopping")
                    break
        finally:
            self.stop()
