"""A whole simulated gate: the production GateApp with only the edges swapped.

Virtual cameras instead of OpenCV, gpiozero's MockFactory instead of the Pi's pins, a
broker on loopback instead of the site's. Everything between is the real code.
"""

from __future__ import annotations

from pathlib import Path

from gpiozero.pins.mock import MockFactory

from qrgate.app import GateApp
from qrgate.config import (CameraConfig, Config, DecoderConfig, GateConfig, LedgerConfig, MqttConfig,
                           PolicyConfig, SiteConfig, TrustConfig)
from qrgate.credentials.keys import issuer_secret, new_key
from qrgate.gate.gpio import GpioGateIO
from qrgate.gate.pins import DEFAULT_PINS

from .camera import VirtualCamera
from .visitors import PassOffice

DIRECTIONS = ("entry", "exit")


def sim_config(workdir: Path, trust_file: str, broker_host: str, broker_port: int, *,
               site_id: str = "demo-site", gate_id: str = "gate1", relay_seconds: float = 0.5,
               policy: PolicyConfig | None = None) -> Config:
    return Config(
        site=SiteConfig(id=site_id, secret_file=str(workdir / "site.secret")),
        gate=GateConfig(id=gate_id, relay_seconds=relay_seconds),
        cameras=[CameraConfig(direction=d, source="files") for d in DIRECTIONS],
        decoder=DecoderConfig(gone_after=0.3),
        policy=policy or PolicyConfig(),
        trust=TrustConfig(files=[trust_file]),
        ledger=LedgerConfig(path=str(workdir / "ledger.sqlite3")),
        mqtt=MqttConfig(host=broker_host, port=broker_port))


class SimGate:
    """A GateApp on mock pins and virtual cameras, with the site's pass office beside it."""

    def __init__(self, workdir: Path, broker_host: str, broker_port: int, *, fps: float = 30.0, **config_options):
        workdir = Path(workdir)
        keys = new_key(workdir / "keys")
        self.office = PassOffice(keys["private_key"], issuer_secret(keys["private_key"]))
        self.config = sim_config(workdir, keys["trust"], broker_host, broker_port, **config_options)
        self.pins = MockFactory()
        io = GpioGateIO(pin_factory=self.pins, max_relay_seconds=self.config.gate.max_relay_seconds)
        self.pins.pin(DEFAULT_PINS["door_contact"]).drive_low()  # door shut
        self.pins.pin(DEFAULT_PINS["tamper"]).drive_low()  # enclosure closed
        self.cameras = {d: VirtualCamera(fps=fps, seed=i) for i, d in enumerate(DIRECTIONS)}
        self.app = GateApp(self.config, io=io, sources=[self.cameras[d] for d in DIRECTIONS])
        self.outcomes = []
        self.app.controller.listeners.append(self.outcomes.append)

    @property
    def io(self) -> GpioGateIO:
        return self.app.io

    @property
    def ledger(self):
        return self.app.ledger

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

    def start(self) -> "SimGate":
        self.app.start()
        return self

    def stop(self) -> None:
        self.app.stop()
