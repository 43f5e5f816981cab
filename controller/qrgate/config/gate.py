"""[gate] and [gate.pins]: this gate's name and its I/O hardware."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from ..gate.pins import DEFAULT_PINS
from .base import ConfigModel, fail
from .site import topic_level

_HIGHEST_BCM_PIN = 27  # the Pi's 40-pin header brings out GPIO 0-27
_SCBK = re.compile(r"^[0-9A-Fa-f]{32}$")


def _pin(job: str, description: str):
    return Field(DEFAULT_PINS[job], ge=0, le=_HIGHEST_BCM_PIN, description=description)


class PinsConfig(ConfigModel):
    """BCM pin numbers of the gpio backend (hardware/pinmap.toml is the wiring these defaults follow)."""

    relay: int = _pin("relay", "Lock relay output")
    led_red: int = _pin("led_red", "Red element of the status LED")
    led_green: int = _pin("led_green", "Green element of the status LED")
    led_blue: int = _pin("led_blue", "Blue element of the status LED")
    buzzer: int = _pin("buzzer", "Buzzer output")
    door_contact: int = _pin("door_contact", "Door contact input (closed door pulls it to ground)")
    exit_button: int = _pin("exit_button", "Exit button input (pressed pulls it to ground)")
    tamper: int = _pin("tamper", "Enclosure tamper switch input (closed lid pulls it to ground)")

    @model_validator(mode="after")
    def _one_job_per_pin(self) -> "PinsConfig":
        jobs: dict[int, str] = {}
        for job, pin in self.model_dump().items():
            if pin in jobs:
                fail(f"pin {pin} is also gate.pins.{jobs[pin]}", job)
            jobs[pin] = job
        return self


class GateConfig(ConfigModel):
    id: str = Field("gate1", description="Gate name, unique within the site (1-64 letters, digits, '_' or '-')")
    backend: Literal["gpio", "osdp", "mock"] = Field(
        "gpio", description="Gate I/O hardware: the Pi's own pins, an OSDP I/O board, or mock: gpiozero mock "
                            "pins that drive no hardware (a gate on a PC)")
    relay_seconds: float = Field(3.0, ge=0.1, description="How long the lock relay stays energised after a grant")
    max_relay_seconds: float = Field(10.0, ge=0.1, description="The relay is never held longer than this")
    door_held_seconds: float = Field(30.0, ge=1.0,
                                     description="A door open longer than this raises the held-open alarm")
    exit_button_seconds: float = Field(5.0, ge=0.1, description="How long the exit button releases the lock")
    clock_check: Literal["kernel", "off"] = Field(
        "off", description="kernel: time-bound passes fail closed, with an alarm, while the kernel says the clock "
                           "is not synchronised (use it on a Pi, which has no battery clock); off: trust the clock")
    pins: PinsConfig = Field(default_factory=PinsConfig, description="BCM pin numbers of the gpio backend")
    osdp_port: str = Field("/dev/ttyUSB0", description="Serial device of the OSDP I/O board")
    osdp_address: int = Field(0, ge=0, le=126, description="OSDP address of the I/O board (0-126)")
    osdp_scbk: str | None = Field(None, description="Secure channel base key (32 hex digits); none: plain link")
    osdp_baud: int = Field(115200, ge=1200, le=1_000_000, description="Serial speed of the OSDP link")
    osdp_relay_output: int = Field(0, ge=0, le=255,
                                   description="The board's output number that drives the lock relay")
    osdp_door_input: int = Field(0, ge=0, le=255, description="The board's input number of the door contact")
    osdp_exit_input: int = Field(1, ge=0, le=255, description="The board's input number of the exit button")
    osdp_tamper_input: int = Field(2, ge=0, le=255, description="The board's input number of the tamper switch")

    @field_validator("id")
    @classmethod
    def _id_is_a_topic_level(cls, value: str) -> str:
        return topic_level(value)

    @field_validator("osdp_scbk")
    @classmethod
    def _scbk_is_a_key(cls, value: str | None) -> str | None:
        if value is not None and value != "" and not _SCBK.match(value):
            fail(f"{value!r} is not 32 hex digits (a 16-byte key)")
        return value or None

    @model_validator(mode="after")
    def _times_and_inputs_agree(self) -> "GateConfig":
        for key in ("relay_seconds", "exit_button_seconds"):
            if getattr(self, key) > self.max_relay_seconds:
                fail(f"{getattr(self, key)} is longer than gate.max_relay_seconds ({self.max_relay_seconds})", key)
        inputs: dict[int, str] = {}
        for key in ("osdp_door_input", "osdp_exit_input", "osdp_tamper_input"):
            number = getattr(self, key)
            if number in inputs:
                fail(f"input {number} is also gate.{inputs[number]}", key)
            inputs[number] = key
        return self
