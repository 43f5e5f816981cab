"""Safety behaviours of the whole board logic: boot state, relay cap, exit button, offline."""

from fwsupport import SimPin, make_device, packet
from gateio import codes as C
from gateio.config import Config
from gateio.device import GateDevice, GatePins

ADDR = 0x65


def _poll(device, seq, now):
    return device.receive(packet(ADDR, seq, C.CMD_POLL), now)


def test_all_outputs_off_at_boot_even_if_pins_start_high():
    pins = GatePins(SimPin(1), SimPin(1), SimPin(1), SimPin(1), SimPin(1), SimPin(0), SimPin(1), SimPin(0))
    GateDevice(pins, Config(), lambda n: bytes(n))
    assert (pins.relay.level, pins.buzzer.level, pins.led_red.level, pins.led_green.level, pins.led_blue.level) == (
        0,
        0,
        0,
        0,
        0,
    )


def test_offline_pattern_until_first_poll():
    device, pins = make_device()
    device.tick(100)
    assert (pins.led_red.level, pins.led_green.level) == (1, 1)  # amber flash while offline
    _poll(device, 0, 150)
    device.tick(160)
    assert not device.leds[0].override and device.online


def test_no_poll_for_a_second_turns_relay_off():
    device, pins = make_device()
    _poll(device, 0, 0)
    device.receive(packet(ADDR, 1, C.CMD_OUT, b"\x00\x02\x00\x00"), 0)  # permanent on
    device.tick(10)
    assert pins.relay.level == 1
    device.tick(1000)
    assert pins.relay.level == 1
    device.tick(1001)
    assert pins.relay.level == 0 and not device.online


def test_relay_cap_applies_to_controller_commands():
    device, pins = make_device(max_relay_ms=2000)
    for i in range(0, 40):
        now = i * 100
        _poll(device, (i % 3) + 1 if i else 0, now)
        if i == 1:
            device.receive(packet(ADDR, 1, C.CMD_OUT, b"\x00\x02\x00\x00"), now)
        device.tick(now)
        if i == 15:
            assert pins.relay.level == 1
    assert pins.relay.level == 0


def test_exit_button_opens_door_while_offline():
    device, pins = make_device(exit_open_ms=3000)
    device.tick(0)
    assert not device.online
    pins.exit_button.level = 0  # pressed
    device.tick(10)
    device.tick(40)
    assert pins.relay.level == 1 and device.exit_openings == 1
    pins.exit_button.level = 1
    device.tick(100)
    assert pins.relay.level == 1
    device.tick(3040)
    assert pins.relay.level == 0
