"""A whole simulated gate: the production GateApp with only the edges swapped.

Virtual cameras instead of OpenCV; virtual scanner modules on ptys instead of USB-CDC
ports (read by the gate's own SerialReader, configured as any [[readers]] kind = "serial"); gpiozero's MockFactory instead of the Pi's pins, or
the I/O board's real firmware running on this machine behind a pty; a broker on
loopback instead of the site's; and for scenario runs the simulator's clock and
timers. Everything between is the real code.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from gpiozero.pins.mock import MockFactory

from qrgate.app import GateApp
from qrgate.config import (CameraReaderConfig, Config, DecoderConfig, GateConfig, LedgerConfig, MqttConfig,
                           SerialReaderConfig, SiteConfig, TrustConfig)
from qrgate.policy.config import PolicyConfig
from qrgate.credentials.keys import issuer_secret, new_key
from qrgate.errors import GateIOError, ReaderError
from qrgate.gate import GateIO, open_gate_io
from qrgate.gate.gpio import GpioGateIO
from qrgate.gate.pins import DEFAULT_PINS

from .camera import VirtualCamera
from .scanner import VirtualScanner
from .scenario import TERMINATORS
from .visitors import PassOffice

CAMERA_LAYOUTS = {"separate": ("entry", "exit"), "shared": ("auto",)}
SIM_SCBK = "000102030405060708090a0b0c0d0e0f"  # the simulated board's secure-channel key
SCANNER_OPEN_SECONDS = 5.0  # a gate's reader opens its pty in milliseconds; longer is a broken rig


def open_pass_office(directory: Path) -> tuple[PassOffice, str]:
    """The site's reception: a signing key, and the trust file its gates load."""
    keys = new_key(directory)
    return PassOffice(keys["private_key"], issuer_secret(keys["private_key"])), keys["trust"]


def sim_config(site_dir: Path, gate_dir: Path, trust_files: list[str], broker_host: str, broker_port: int, *,
               site_id: str = "demo-site", gate_id: str = "gate1", relay_seconds: float = 0.5,
               door_held_seconds: float = 30.0, cameras: str = "separate", backend: str = "gpio",
               policy: PolicyConfig | None = None, site_gates: list[str] | None = None,
               scanner_ports: dict[str, str] | None = None) -> Config:
    """Every gate of a simulated site shares one site secret (one pseudonym per holder site-wide).
    `scanner_ports`: direction -> the port of a serial scanner module in that lane."""
    site = {"id": site_id, "secret_file": str(site_dir / "site.secret")}
    if site_gates and "sync" in SiteConfig.model_fields:  # with site sync: each gate's share of a cap is among these
        site["sync"] = {"gates": list(site_gates)}
    return Config(
        site=SiteConfig(**site),
        gate=GateConfig(id=gate_id, relay_seconds=relay_seconds, door_held_seconds=door_held_seconds,
                        backend=backend, osdp_scbk=SIM_SCBK if backend == "osdp" else None),
        # the simulator hands GateApp its virtual cameras as the sources of these readers
        readers=[*(CameraReaderConfig(direction=d) for d in CAMERA_LAYOUTS[cameras]),
                 *(SerialReaderConfig(direction=d, port=port) for d, port in (scanner_ports or {}).items())],
        decoder=DecoderConfig(gone_after=0.3),
        policy=policy or PolicyConfig(timezone="Asia/Ho_Chi_Minh"),
        trust=TrustConfig(files=list(trust_files)),
        ledger=LedgerConfig(path=str(gate_dir / "ledger.sqlite3")),
        mqtt=MqttConfig(host=broker_host, port=broker_port))


class SimGate:
    """A GateApp on virtual cameras (and scanner modules) and mock pins, or on a firmware-on-host OSDP board.

    `scanners`: specs with direction, read_seconds and terminator (gatesim.scenario.ScannerSpec), one
    virtual module each, on a pty that lives as long as the SimGate (a controller restart reopens it)."""

    def __init__(self, site_dir: Path, broker_host: str, broker_port: int, *, trust_files: list[str],
                 fps: float = 30.0, clock: Callable[[], float] | None = None, timers=None,
                 cameras: str = "separate", difficulty: str = "easy", web=None, scanners=(), seed: int = 0,
                 **config_options):
        site_dir = Path(site_dir)
        gate_id = config_options.get("gate_id", "gate1")
        gate_dir = site_dir / gate_id
        gate_dir.mkdir(parents=True, exist_ok=True)
        self.scanners = {spec.direction: VirtualScanner(gate_dir / f"scanner-{spec.direction}",
                                                        read_seconds=spec.read_seconds,
                                                        terminator=TERMINATORS[spec.terminator], seed=seed + i)
                         for i, spec in enumerate(scanners)}
        self.scanner_shares = {spec.direction: spec.share for spec in scanners}
        self.readers_used = []  # every scanner reader of every controller run, for the report
        self.config = sim_config(site_dir, gate_dir, trust_files, broker_host, broker_port, cameras=cameras,
                                 scanner_ports={d: m.link for d, m in self.scanners.items()}, **config_options)
        self.directions = CAMERA_LAYOUTS[cameras]
        self.board = None
        self._stop_board = None
        self._seen_seq = 0
        self.pins = MockFactory()
        if self.config.gate.backend == "osdp":
            from gateio.host import start_on_pty  # the board's own firmware, on this machine

            self.board_port, self._stop_board = start_on_pty(address=self.config.gate.osdp_address,
                                                             scbk=bytes.fromhex(SIM_SCBK))
            self.board = self._stop_board.board
        self.door_open = False
        self.cameras = {d: VirtualCamera(fps=fps, seed=i, difficulty=difficulty)
                        for i, d in enumerate(self.directions)}
        self._clock, self._timers = clock, timers
        self.web = web  # a qrgate.web.config.WebConfig: the gate serves its screen and console
        self.outcomes = []
        self.app = self._build_app()

    def _open_io(self) -> GateIO:
        gate = self.config.gate
        if self.board is None:
            return GpioGateIO(pin_factory=self.pins, max_relay_seconds=gate.max_relay_seconds, timers=self._timers)
        io = open_gate_io("osdp", port=self.board_port, address=gate.osdp_address, scbk=gate.osdp_scbk,
                          max_relay_seconds=gate.max_relay_seconds)
        deadline = time.monotonic() + 15
        while not io.is_online:
            if time.monotonic() > deadline:
                io.close()
                raise GateIOError("the simulated I/O board did not come online in 15 s")
            time.sleep(0.05)
        return io

    def _build_app(self) -> GateApp:
        extra = {"clock": self._clock} if self._clock else {}
        if self.web is not None:
            extra["web"] = self.web
        io = self._open_io()
        if self.board is None:
            # after the devices exist: opening them sets the pull-ups, which would read as open
            self.pin("tamper").drive_low()  # enclosure closed
            self.set_door_contact(self.door_open)
        app = GateApp(self.config, io=io, sources=[self.cameras[d] for d in self.directions], **extra)
        app.controller.listeners.append(self.outcomes.append)
        return app

    # -- the physical world around the gate -------------------------------------------------
    def set_door_contact(self, is_open: bool) -> None:
        self.door_open = is_open
        if self.board is not None:
            self.board.set_door_open(is_open)
            self._wait_for_board(lambda: self.io.is_door_open == is_open)
        else:
            pin = self.pin("door_contact")
            pin.drive_high() if is_open else pin.drive_low()

    def press_exit_button(self) -> None:
        if self.board is not None:
            self.board.set_exit_pressed(True)
            # a person's press, long enough for the board's next status report to carry it: the
            # board reports the inputs as they are when polled, not every edge in between
            time.sleep(0.3)
            self.board.set_exit_pressed(False)
            self._wait_for_board(lambda: any(e.type == "exit_button" for e in self.ledger.events(self._seen_seq)))
            self._seen_seq = self.ledger.events()[-1].seq if self.ledger.events() else 0
        else:
            button = self.pin("exit_button")
            button.drive_low()
            button.drive_high()

    def _wait_for_board(self, seen: Callable[[], bool], timeout: float = 1.0) -> None:
        """A board reports over its own link, in its own time; the simulated clock waits until the
        controller has heard, so the report is stamped with the moment it happened."""
        deadline = time.monotonic() + timeout
        while not seen() and time.monotonic() < deadline and not self.board.link_cut:
            time.sleep(0.005)

    def cut_io_link(self, cut: bool = True) -> None:
        self.board.link_cut = cut

    @property
    def led_color(self) -> str:
        """What a person at the door sees: the board's own LED, or the Pi's pins."""
        return self.board.led_color if self.board is not None else self.io.led_color

    def lane(self, direction: str):
        return self.app.lanes[self.directions.index(direction)]

    def scanner_reader(self, direction: str):
        """The gate's own reader of the scanner module in that lane (a qrgate.readers DeviceReader)."""
        ports = [r.port for r in self.app.scanner_configs]
        return self.app.scanners[ports.index(self.scanners[direction].link)]

    @property
    def io(self) -> GateIO:
        return self.app.io

    @property
    def ledger(self):
        return self.app.ledger

    @property
    def shares_presence(self) -> bool:
        """Whether this gate learns its peers' movements (site sync, when the gate has it)."""
        return getattr(self.app, "site", None) is not None

    @property
    def topics(self):
        return self.app.topics

    @property
    def site_id(self) -> str:
        return self.config.site.id

    @property
    def gate_id(self) -> str:
        return self.config.gate.id

    @property
    def relay_pin(self):
        return self.pins.pin(DEFAULT_PINS["relay"])

    def pin(self, name: str):
        return self.pins.pin(DEFAULT_PINS[name])

    def start(self, *, cameras: bool = True) -> "SimGate":
        """`cameras=False`: the caller feeds the camera lanes; the scanner modules' readers run all the same."""
        self.app.start(cameras=cameras, scanners=True)
        self.readers_used.extend(self.app.scanners)
        deadline = time.monotonic() + SCANNER_OPEN_SECONDS
        while not all(reader.connected for reader in self.app.scanners):
            if time.monotonic() > deadline:
                self.stop()
                raise ReaderError(f"gate {self.gate_id}: a simulated scanner module's pty did not open in "
                                  f"{SCANNER_OPEN_SECONDS:g} s")
            time.sleep(0.005)
        return self

    def kill(self) -> None:
        """What a power cut does: no goodbye to the broker (its last will speaks), outputs drop."""
        if self.app.reporter is not None:
            self.app.reporter.abandon()
        self.app.reporter = None
        self.app.stop()

    def restart(self) -> None:
        self.app = self._build_app()

    def stop(self) -> None:
        self.app.stop()
        for module in self.scanners.values():
            module.close()
        if self._stop_board is not None:
            self._stop_board()
