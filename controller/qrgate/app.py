"""Wiring and lifecycle: one config in, a running gate out.

`qrgate run` builds every part from the config; the simulator passes in its own
edges (virtual cameras, mock pins) and gets the same controller.
"""

from __future__ import annotations

import logging
import signal
import threading

from .comms.mqtt import BrokerSettings, MqttReporter
from .comms.topics import GateTopics
from .config import CameraConfig, Config
from .credentials import TrustStore
from .decide import Policy
from .errors import ConfigError
from .gate import GateIO, open_gate_io, signals
from .ledger import Ledger
from .model import Direction
from .pipeline import CameraLane, GateController
from .pseudonym import load_or_create_secret
from .runner import LaneRunner
from .vision.debounce import Debouncer
from .vision.decoder import Decoder, DecoderSettings
from .vision.sources import FrameSource, ImageFiles, OpenCVCamera

log = logging.getLogger(__name__)


def open_io(cfg: Config) -> GateIO:
    gate = cfg.gate
    if gate.backend == "gpio":
        return open_gate_io("gpio", pins=gate.pins, max_relay_seconds=gate.max_relay_seconds)
    return open_gate_io("osdp", port=gate.osdp_port, address=gate.osdp_address, scbk=gate.osdp_scbk,
                        max_relay_seconds=gate.max_relay_seconds)


def open_source(camera: CameraConfig) -> FrameSource:
    if camera.source == "files":
        return ImageFiles(camera.files, fps=camera.fps)
    device = int(camera.device) if camera.device.isdigit() else camera.device
    return OpenCVCamera(device=device, width=camera.width, height=camera.height, fps=camera.fps)


class GateApp:
    def __init__(self, cfg: Config, *, io: GateIO | None = None, sources: list[FrameSource] | None = None):
        if not cfg.cameras:
            raise ConfigError("cameras: a gate needs at least one [[cameras]] entry")
        if sources is not None and len(sources) != len(cfg.cameras):
            raise ConfigError("cameras: one frame source is needed per camera")
        self.cfg = cfg
        self.trust = TrustStore.from_files(cfg.trust.files, cfg.trust.dcc_schema_dir)
        self.ledger = Ledger(cfg.ledger.path)
        self.io = io or open_io(cfg)
        self.controller = GateController(
            gate_id=cfg.gate.id, trust=self.trust,
            policy=Policy(anti_passback=cfg.policy.anti_passback, occupancy_cap=cfg.policy.occupancy_cap),
            ledger=self.ledger, io=self.io, site_secret=load_or_create_secret(cfg.site.secret_file),
            relay_seconds=cfg.gate.relay_seconds)
        self.topics = GateTopics(cfg.mqtt.topic_prefix, cfg.site.id, cfg.gate.id)
        self.reporter = None
        if cfg.mqtt.enabled:
            m = cfg.mqtt
            self.reporter = MqttReporter(
                ledger=self.ledger, topics=self.topics, state=self.state,
                broker=BrokerSettings(m.host, m.port, m.username, m.password, m.ca_file, m.cert_file, m.key_file))
            self.controller.listeners.append(lambda _outcome: self.reporter.notify())
        settings = DecoderSettings(cfg.decoder.try_rotate, cfg.decoder.try_invert, cfg.decoder.try_downscale)
        sources = sources if sources is not None else [open_source(c) for c in cfg.cameras]
        self.runners = [
            LaneRunner(source, CameraLane(self.controller, Direction(camera.direction), Decoder(settings),
                                          Debouncer(cfg.decoder.gone_after, cfg.decoder.repeat_after)),
                       name=f"{cfg.gate.id}-{camera.direction}{i}")
            for i, (camera, source) in enumerate(zip(cfg.cameras, sources))]
        self.io.set_idle(signals.IDLE_READY)

    def state(self) -> dict:
        return {"mode": "normal", "door": "open" if self.io.is_door_open else "closed",
                "camera": "ok", "io_link": "online" if self.io.is_online else "offline"}

    def start(self) -> "GateApp":
        if self.reporter:
            self.reporter.start()
        for runner in self.runners:
            runner.start()
        log.info("gate %s/%s running with %d camera(s)", self.cfg.site.id, self.cfg.gate.id, len(self.runners))
        return self

    def stop(self) -> None:
        for runner in self.runners:
            runner.stop()
        if self.reporter:
            self.reporter.stop()
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
