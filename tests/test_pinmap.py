"""hardware/pinmap.toml is the one pin map: the controller defaults, the firmware and the wiring agree."""

from __future__ import annotations

import importlib.util
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from gateio import pins as firmware_pins
from qrgate.gate.pins import DEFAULT_PINS

REPO = Path(__file__).resolve().parents[1]
HARDWARE = REPO / "hardware"
PINMAP = tomllib.loads((HARDWARE / "pinmap.toml").read_text())
ROLES = ("relay", "led_red", "led_green", "led_blue", "buzzer", "door_contact", "exit_button", "tamper")


def test_pi_section_equals_controller_defaults():
    assert PINMAP["pi"] == DEFAULT_PINS


@pytest.mark.parametrize("board, firmware_map", [("pico", firmware_pins.PICO), ("esp32", firmware_pins.ESP32)])
def test_board_sections_equal_firmware_pins(board, firmware_map):
    assert PINMAP[board] == firmware_map


@pytest.mark.parametrize("board", ["pi", "pico", "esp32"])
def test_every_role_has_its_own_pin(board):
    section = PINMAP[board]
    assert set(ROLES) <= set(section)
    gpio = [section[name] for name in section if name != "uart"]
    assert len(gpio) == len(set(gpio)), f"{board}: two roles share a pin"


def test_board_pins_are_usable():
    assert all(0 <= v <= 28 for k, v in PINMAP["pico"].items() if k != "uart")
    strapping_or_input_only = {0, 2, 5, 12, 15, 34, 35, 36, 37, 38, 39}
    used = {v for k, v in PINMAP["esp32"].items() if k != "uart"}
    assert not used & strapping_or_input_only
    pi_reserved = {0, 1, 2, 3, 14, 15}  # HAT EEPROM, I2C, UART (the RS-485 link)
    assert not set(PINMAP["pi"].values()) & pi_reserved


def test_wiring_pictures_are_drawn_from_this_pinmap(tmp_path):
    spec = importlib.util.spec_from_file_location("draw_wiring", HARDWARE / "draw_wiring.py")
    draw = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(draw)
    for name, builder in (("wiring-pi.svg", draw.draw_pi), ("wiring-ioboard.svg", draw.draw_ioboard)):
        builder(PINMAP).save(tmp_path / name)
        assert (tmp_path / name).read_text() == (HARDWARE / name).read_text(), f"{name} is stale: run hardware/draw_wiring.py"
        ET.parse(HARDWARE / name)  # well-formed XML


def test_bom_lists_every_part_with_quantity_and_purpose():
    import csv

    with open(HARDWARE / "bom.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows and set(rows[0]) == {"part", "quantity", "purpose"}
    assert all(row["part"] and row["quantity"] and row["purpose"] for row in rows)
    names = " ".join(row["part"].lower() for row in rows)
    for needed in ("relay", "diode", "led", "buzzer", "door contact", "exit", "tamper", "rs-485"):
        assert needed in names, f"BOM lacks {needed}"
