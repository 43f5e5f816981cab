"""Shared fixtures: a real Mosquitto on a free loopback port, keys, a pass office."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from gatesim.broker import MosquittoBroker
from gatesim.visitors import PassOffice
from qrgate.credentials import TrustStore
from qrgate.credentials.keys import issuer_secret, new_key
from qrgate.errors import BrokerError

REPO = Path(__file__).resolve().parents[1]
CORPORA = REPO.parent / "shared" / "corpora"


@pytest.fixture(scope="session")
def mosquitto():
    """A real broker for the whole session; a missing Mosquitto fails loudly, never skips."""
    try:
        broker = MosquittoBroker()
    except BrokerError as exc:
        pytest.fail(f"these tests need a real Mosquitto broker: {exc}. "
                    "Run 'make test', which installs it, or 'apt-get install mosquitto'.")
    yield broker
    broker.close()


def require_corpus(*paths: Path) -> None:
    """Fail, naming what is missing, when public conformance data is not beside the repository."""
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        pytest.fail(f"conformance data not found: {', '.join(missing)}. These tests read ../shared/corpora "
                    "beside the repository (its README says where each set comes from).", pytrace=False)


@pytest.fixture
def dcc_schemas():
    require_corpus(CORPORA / "dcc-schema")
    return CORPORA / "dcc-schema"


@pytest.fixture
def dcc_cases():
    require_corpus(CORPORA / "dcc")
    return CORPORA / "dcc"


@pytest.fixture
def zxing_corpus():
    require_corpus(CORPORA / "qr-blackbox" / "zxing")
    return CORPORA / "qr-blackbox" / "zxing"


@pytest.fixture
def keys(tmp_path):
    return new_key(tmp_path / "keys")


@pytest.fixture
def trust(keys):
    return TrustStore.from_files([keys["trust"]])


@pytest.fixture
def office(keys):
    return PassOffice(keys["private_key"], issuer_secret(keys["private_key"]))


@pytest.fixture
def now():
    return time.time()


def mock_gate_app(tmp_path, trust_file, *, site="site1", gate="g1", relay_seconds=0.2, io_class=None,
                  mqtt_port=None, **gate_options):
    """The production GateApp on gpiozero's MockFactory pins, a real ledger file, no camera
    threads and its own MQTT off (tests wire a reporter to it) unless `mqtt_port` names a
    broker on loopback: (app, pins). io_class(pin_factory=...) replaces GpioGateIO, e.g. to
    watch the relay."""
    from gpiozero.pins.mock import MockFactory

    from qrgate.app import GateApp
    from qrgate.config import CameraReaderConfig, Config, GateConfig, LedgerConfig, MqttConfig, SiteConfig, TrustConfig
    from qrgate.gate.gpio import GpioGateIO
    from qrgate.gate.pins import DEFAULT_PINS

    cfg = Config(site=SiteConfig(id=site, secret_file=str(tmp_path / "site.secret")),
                 gate=GateConfig(id=gate, relay_seconds=relay_seconds, **gate_options),
                 readers=[CameraReaderConfig()], trust=TrustConfig(files=[str(trust_file)]),
                 ledger=LedgerConfig(path=str(tmp_path / f"{gate}.db")),
                 mqtt=MqttConfig(enabled=mqtt_port is not None, port=mqtt_port or 1883, discovery_prefix=None))
    pins = MockFactory()
    io = (io_class or GpioGateIO)(pin_factory=pins)
    pins.pin(DEFAULT_PINS["door_contact"]).drive_low()  # shut (after the pull-ups are set)
    pins.pin(DEFAULT_PINS["tamper"]).drive_low()  # enclosure closed
    return GateApp(cfg, io=io), pins


def site_gate_app(tmp_path, trust_file, port, site, gate, *, policy=None, gates=(), secret="site.secret",
                  extra_trust=(), username=None, password=None, start=True):
    """The production GateApp with its MQTT side and the site sync on, on MockFactory pins, for a
    site of several gates on one broker: gates of one site share tmp_path's secret file by default."""
    from gpiozero.pins.mock import MockFactory

    from qrgate.app import GateApp
    from qrgate.config import (CameraReaderConfig, Config, GateConfig, LedgerConfig, MqttConfig, SiteConfig,
                               TrustConfig, validate)
    from qrgate.gate.gpio import GpioGateIO
    from qrgate.gate.pins import DEFAULT_PINS
    from qrgate.policy.config import PolicyConfig
    from qrgate.site.config import SiteSyncConfig

    mqtt = {"port": port, "discovery_prefix": None, "username": username, "password": password}
    cfg = Config(site=SiteConfig(id=site, secret_file=str(tmp_path / secret), sync=SiteSyncConfig(gates=list(gates))),
                 gate=GateConfig(id=gate, relay_seconds=0.1), readers=[CameraReaderConfig()],
                 trust=TrustConfig(files=[str(trust_file), *map(str, extra_trust)]),
                 ledger=LedgerConfig(path=str(tmp_path / f"{gate}.db")),
                 mqtt=validate(MqttConfig, {k: v for k, v in mqtt.items() if v is not None or k == "discovery_prefix"},
                               "mqtt"),
                 policy=validate(PolicyConfig, policy or {}, "policy"))
    pins = MockFactory()
    io = GpioGateIO(pin_factory=pins)
    pins.pin(DEFAULT_PINS["door_contact"]).drive_low()
    pins.pin(DEFAULT_PINS["tamper"]).drive_low()
    app = GateApp(cfg, io=io)
    return app.start(cameras=False) if start else app
