"""GateApp's own inputs on MockFactory pins: exit button, forced and held-open door, tamper."""

from __future__ import annotations

import time

import pytest
from gpiozero.pins.mock import MockFactory

from qrgate.app import GateApp
from qrgate.config import CameraReaderConfig, Config, GateConfig, LedgerConfig, MqttConfig, SiteConfig, TrustConfig
from qrgate.gate.gpio import GpioGateIO
from qrgate.gate.pins import DEFAULT_PINS


class Clock:
    def __init__(self, t: float):
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def gate(tmp_path, keys):
    pins = MockFactory()
    cfg = Config(site=SiteConfig(secret_file=str(tmp_path / "s")),
                 gate=GateConfig(relay_seconds=0.2, door_held_seconds=20, exit_button_seconds=0.2),
                 readers=[CameraReaderConfig()], trust=TrustConfig(files=[keys["trust"]]),
                 ledger=LedgerConfig(path=str(tmp_path / "l.db")), mqtt=MqttConfig(enabled=False))
    io = GpioGateIO(pin_factory=pins)
    pins.pin(DEFAULT_PINS["door_contact"]).drive_low()
    pins.pin(DEFAULT_PINS["tamper"]).drive_low()
    clock = Clock(1_800_000_000.0)
    app = GateApp(cfg, io=io, clock=clock)
    app.start(cameras=False)
    yield app, pins, clock
    app.stop()


def types(app):
    return [(e.type, e.reason) for e in app.ledger.events()]


def test_exit_button_is_logged_and_releases_the_lock(gate):
    app, pins, _clock = gate
    pins.pin(DEFAULT_PINS["exit_button"]).drive_high()
    pins.pin(DEFAULT_PINS["exit_button"]).drive_low()
    time.sleep(0.05)
    assert types(app) == [("exit_button", "exit_button")]
    assert app.io.is_relay_on
    # the visitor walks out: no alarm, because the lock was released
    pins.pin(DEFAULT_PINS["door_contact"]).drive_high()
    time.sleep(0.05)
    assert types(app) == [("exit_button", "exit_button")]


def test_forced_door_raises_and_clears(gate):
    app, pins, clock = gate
    pins.pin(DEFAULT_PINS["door_contact"]).drive_high()
    time.sleep(0.05)
    clock.t += 2
    pins.pin(DEFAULT_PINS["door_contact"]).drive_low()
    time.sleep(0.05)
    assert types(app) == [("alarm", "door_forced"), ("alarm_cleared", "door_forced")]


def test_held_open_is_raised_by_the_clock(gate):
    app, pins, clock = gate
    pins.pin(DEFAULT_PINS["exit_button"]).drive_high()
    pins.pin(DEFAULT_PINS["exit_button"]).drive_low()
    pins.pin(DEFAULT_PINS["door_contact"]).drive_high()
    time.sleep(0.05)
    app.tick(clock.t + 19)
    assert ("alarm", "door_held_open") not in types(app)
    app.tick(clock.t + 21)
    assert ("alarm", "door_held_open") in types(app)
    assert "door_held_open" in app.state()["alarms"]


def test_tamper(gate):
    app, pins, _clock = gate
    pins.pin(DEFAULT_PINS["tamper"]).drive_high()
    time.sleep(0.05)
    assert types(app) == [("alarm", "tamper")]


def test_camera_loss_shows_fault_and_recovers(gate):
    app, _pins, _clock = gate
    assert app.io.led_color == "blue"
    app.camera_changed(0, False, "no frame for 1 s")
    assert app.state()["camera"] == "lost" and "camera_fault" in app.state()["alarms"]
    assert app.io.led_color in ("amber", "off")  # the fault pattern flashes amber
    app.camera_changed(0, True)
    assert app.state()["camera"] == "ok" and app.io.led_color == "blue"
    assert types(app) == [("alarm", "camera_fault"), ("alarm_cleared", "camera_fault")]
