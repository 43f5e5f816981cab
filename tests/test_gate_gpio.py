"""The GPIO backend on gpiozero's own MockFactory: relay pulse, LED colours, inputs."""

from __future__ import annotations

import time

import pytest
from gpiozero.pins.mock import MockFactory

from qrgate.gate import open_gate_io, signals
from qrgate.gate.gpio import GpioGateIO
from qrgate.gate.pins import DEFAULT_PINS
from qrgate.errors import GateIOError


@pytest.fixture
def pins():
    return MockFactory()


@pytest.fixture
def gate(pins):
    io = GpioGateIO(pin_factory=pins, max_relay_seconds=0.3)
    yield io
    io.close()


def test_relay_starts_off_then_pulses_once(gate, pins):
    relay = pins.pin(DEFAULT_PINS["relay"])
    assert relay.state is False
    gate.pulse_relay(0.1)
    assert relay.state is True and gate.is_relay_on
    time.sleep(0.25)
    assert [s.state for s in relay.states] == [False, True, False]


def test_relay_is_never_held_past_the_maximum(gate, pins):
    gate.pulse_relay(60)
    time.sleep(0.45)
    assert not gate.is_relay_on


def test_indication_returns_to_idle(gate, pins):
    gate.set_idle(signals.IDLE_READY)
    assert gate.led_color == "blue"
    gate.indicate(*signals.DENIED, seconds=0.1)
    assert gate.led_color == "red"
    time.sleep(0.25)
    assert gate.led_color == "blue"


def test_inputs_call_back(gate, pins):
    seen = []
    gate.when_door_changed = lambda is_open: seen.append(("door", is_open))
    gate.when_exit_pressed = lambda: seen.append(("exit",))
    pins.pin(DEFAULT_PINS["door_contact"]).drive_low()
    pins.pin(DEFAULT_PINS["door_contact"]).drive_high()
    pins.pin(DEFAULT_PINS["exit_button"]).drive_low()
    time.sleep(0.05)
    assert seen == [("door", False), ("door", True), ("exit",)]
    assert gate.is_door_open


def test_close_is_idempotent_and_releases(pins):
    io = GpioGateIO(pin_factory=pins)
    io.pulse_relay(5)
    io.close()
    io.close()
    assert pins.pin(DEFAULT_PINS["relay"]).state is False


def test_unknown_backend_is_a_clear_error():
    with pytest.raises(GateIOError, match="unknown gate backend 'usb'"):
        open_gate_io("usb")
