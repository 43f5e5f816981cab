"""Wiring and lifecycle: one config in, a running gate out.

`qrgate run` builds every part from the config; the simulator passes in its own
edges (virtual cameras, mock pins, its clock) and gets the same controller.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from typing import Callable

from .clock_sync import kernel_clock_synced
from .comms.mqtt import BrokerSettings
from .comms.topics import GateTopics
from .comms.wiring import connect_gate
from .config import CameraConfig, Config
from .credentials import TrustStore
from .credentials.revocation_store import beside_ledger
from .policy.decide import ALARM_CLOCK
from .state.clock import ClockWatch
from .state.door import AlarmChange, DoorMonitor
from .errors import ConfigError
from .export import PurgeSchedule
from .gate import GateIO, open_gate_io, signals
from .ledger import Ledger
from .model import Direction
from .pipeline import CameraLane, GateController, Outcome
from .state.mode import GateMode
from .policy.config import to_policy
from .pseudonym import load_or_create_secret
from .runner import LaneRunner
from .vision.debounce import Debouncer
from .vision.decoder import Decoder, settings_from
from .vision.sources import FrameSource, ImageFiles, OpenCVCamera, VideoFile

log = logging.getLogger(__name__)

TICK_SECONDS = 0.5


def open_io(cfg: Config) -> GateIO:
    gate = cfg.gate
    if gate.backend == "gpio":
        return open_gate_io("gpio", pins=gate.pins, max_relay_seconds=gate.max_relay_seconds)
    return open_gate_io("osdp", port=gate.osdp_port, address=gate.osdp_address, scbk=gate.osdp_scbk,
                        baud=gate.osdp_baud, relay_output=gate.osdp_relay_output,
                        door_input=gate.osdp_door_input, exit_input=gate.osdp_exit_input,
                        tamper_input=gate.osdp_tamper_input, max_relay_seconds=gate.max_relay_seconds)


def open_source(camera: CameraConfig) -> FrameSource | Callable[[], FrameSource]:
    """A replay is opened now; a camera is opened by its runner, so a missing one is a fault that heals."""
    if camera.source == "files":
        return ImageFiles(camera.files, fps=camera.fps)
    if camera.source == "video":
        return VideoFile(camera.files[0], fps=camera.fps)
    if camera.source == "picamera2":
        from .vision.picamera import PiCamera

        return lambda: PiCamera(camera=int(camera.device), width=camera.width, height=camera.height, fps=camera.fps)
    device = int(camera.device) if camera.device.isdigit() else camera.device
    return lambda: OpenCVCamera(device=device, width=camera.width, height=camera.height, fps=camera.fps)


class GateApp:
    def __init__(self, cfg: Config, *, io: GateIO | None = None, sources: list[FrameSource] | None = None,
                 clock: Callable[[], float] = time.time, monotonic: Callable[[], float] | None = None):
        if not cfg.cameras:
            raise ConfigError("cameras: a gate needs at least one [[cameras]] entry")
        if sources is not None and len(sources) != len(cfg.cameras):
            raise ConfigError("cameras: one frame source is needed per camera")
        self.cfg = cfg
        self.clock = clock
        # durations (door alarms, purge timing) run on a clock nobody steps; a simulated clock is both
        self.monotonic = monotonic or (time.monotonic if clock is time.time else clock)
        self.clock_watch = ClockWatch()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self.trust = TrustStore.from_files(cfg.trust.files, cfg.trust.dcc_schema_dir)
        site_secret = load_or_create_secret(cfg.site.secret_file)
        self.trust.pseudonym_key = site_secret
        self.ledger = Ledger(cfg.ledger.path)
        beside_ledger(cfg.ledger.path).keep_newest(self.trust)  # an old list put back un-revokes nothing
        self.io = io or open_io(cfg)
        self.door = DoorMonitor(held_open_seconds=cfg.gate.door_held_seconds)
        self.controller = GateController(
            gate_id=cfg.gate.id, trust=self.trust, policy=to_policy(cfg.policy, cfg.gate.id),
            ledger=self.ledger, io=self.io, site_secret=site_secret,
            relay_seconds=cfg.gate.relay_seconds,
            clock_synced=kernel_clock_synced if cfg.gate.clock_check == "kernel" else (lambda: True))
        self.purges = PurgeSchedule(cfg.ledger.retention_days)
        self.controller.listeners.append(self._after_scan)
        self.topics = GateTopics(cfg.mqtt.topic_prefix, cfg.site.id, cfg.gate.id)
        self.reporter = None
        self.command_target = None
        if cfg.mqtt.enabled:
            m = cfg.mqtt
            self.reporter, self.command_target = connect_gate(
                controller=self.controller, ledger_path=cfg.ledger.path, topics=self.topics,
                broker=BrokerSettings(m.host, m.port, m.username, m.password, m.ca_file, m.cert_file, m.key_file),
                state=self.state, clock=clock, unlock=self._unlock, discovery_prefix=m.discovery_prefix,
                commands=m.commands, command_secret_file=m.command_secret_file, site_aggregator=m.site_aggregator)
            self.controller.mode = GateMode(self.command_target.mode.name)  # a lockdown outlives a restart
            self.command_target.mode_changed.append(
                lambda mode: setattr(self.controller, "mode", GateMode(mode.name)))
        settings = settings_from(cfg.decoder)
        self.lanes = [CameraLane(self.controller, Direction(camera.direction), Decoder(settings),
                                 Debouncer(cfg.decoder.gone_after, cfg.decoder.repeat_after))
                      for camera in cfg.cameras]
        self._sources = sources
        self.runners: list[LaneRunner] = []
        self._cameras_lost: set[int] = set()
        self._alarms: set[str] = set()  # active now; latching for people is the MQTT side's job
        self.io.when_door_changed = self._on_door
        self.io.when_exit_pressed = self._on_exit_button
        self.io.when_tamper_changed = self._on_tamper
        self.io.when_online_changed = self._on_link
        self.io.set_idle(signals.IDLE_READY)

    # -- what the gate reports ---------------------------------------------------------
    def state(self) -> dict:
        return {"mode": self.controller.mode.value, "door": "open" if self.io.is_door_open else "closed",
                "camera": "lost" if self._cameras_lost else "ok",
                "io_link": "online" if self.io.is_online else "offline",
                "io": self.io.link_state,  # backend details: an OSDP board's secure channel
                "alarms": sorted(self._alarms)}

    def _notify(self) -> None:
        if self.reporter:
            self.reporter.notify()

    # -- inputs ------------------------------------------------------------------------
    def _after_scan(self, outcome: Outcome) -> None:
        if outcome.decision.granted:
            with self._lock:
                self.door.unlock(self.monotonic(), self.cfg.gate.relay_seconds)
        unsynced = ALARM_CLOCK in outcome.decision.flags
        if unsynced != ("clock_unsynced" in self._alarms):  # raised by a scan that met it, cleared likewise
            self._record_alarms([AlarmChange("clock_unsynced", unsynced, outcome.scan.at)])
        self._notify()

    def _unlock(self, at: float, seconds: float) -> None:
        """A remote open released the lock (at wall time `at`, i.e. now): the door opening now is not forced."""
        with self._lock:
            self.door.unlock(self.monotonic(), seconds)

    def _on_door(self, is_open: bool) -> None:
        now = self.clock()
        with self._lock:
            changes = self.door.door_changed(is_open, self.monotonic())
        self._record_alarms(changes, at=now)

    def _on_exit_button(self) -> None:
        """The exit button always lets people out: logged first, then the lock is released."""
        now = self.clock()
        seconds = self.cfg.gate.exit_button_seconds
        self.ledger.record(at=now, gate_id=self.cfg.gate.id, type="exit_button", reason="exit_button",
                           direction="exit")
        with self._lock:
            self.door.unlock(self.monotonic(), seconds)
        self.io.pulse_relay(seconds)
        self._notify()

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
        if self.controller.mode is not GateMode.LOCKDOWN:  # a lockdown keeps its own light
            self.io.set_idle(signals.IDLE_FAULT if lost else signals.IDLE_READY)
        log.warning("camera %d %s%s", lane, "back" if ok else "lost", f" ({reason})" if reason else "")
        self._record_alarms([AlarmChange("camera_fault", lost, self.clock())])

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

    def _record_alarms(self, changes: list[AlarmChange], at: float | None = None) -> None:
        """Log and record alarm changes; `at` (wall time) replaces the monotonic time the door monitor used."""
        for change in changes:
            (self._alarms.add if change.active else self._alarms.discard)(change.alarm)
            log.warning("alarm %s %s at gate %s", change.alarm, "raised" if change.active else "cleared",
                        self.cfg.gate.id)
            self.ledger.record(at=change.at if at is None else at, gate_id=self.cfg.gate.id,
                               type="alarm" if change.active else "alarm_cleared", reason=change.alarm)
        if changes:
            self._notify()

    # -- lifecycle ---------------------------------------------------------------------
    def start(self, *, cameras: bool = True) -> "GateApp":
        """Start reporting and, unless the caller feeds the lanes itself, the camera threads."""
        self.tick()
        if self.reporter:
            self.reporter.start()
        if cameras:
            sources = self._sources if self._sources is not None else [open_source(c) for c in self.cfg.cameras]
            self.runners = [
                LaneRunner(source, lane, name=f"{self.cfg.gate.id}-{lane.direction.value}{i}", clock=self.clock,
                           loss_after=self.cfg.cameras[i].lost_after,
                           when_camera_changed=lambda ok, reason, i=i: self.camera_changed(i, ok, reason)).start()
                for i, (lane, source) in enumerate(zip(self.lanes, sources))]
            self._ticker = threading.Thread(target=self._tick_loop, name="gate-ticker", daemon=True)
            self._ticker.start()
        log.info("gate %s/%s running with %d camera(s)", self.cfg.site.id, self.cfg.gate.id, len(self.lanes))
        return self

    def _tick_loop(self) -> None:
        while not self._stop.wait(TICK_SECONDS):
            try:
                self.tick()
            except Exception:  # a failed check must not end the checks
                log.exception("gate tick failed")

    def stop(self) -> None:
        self._stop.set()
        for runner in self.runners:
            runner.stop()
        if self.reporter:
            self.reporter.stop()
        if self.command_target:
            self.command_target.close()
        self.io.close()
        self.ledger.close()

    def run_until_signalled(self) -> None:
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        self.start()
        try:
            while not stop.wait(1.0):
                if not any(runner.is_alive for runner in self.runners):
                    log.warning("every camera has ended; stopping")
                    break
        finally:
            self.stop()
