"""Gate I/O on the Pi's own GPIO header, through gpiozero (MockFactory in tests and the simulator)."""

from __future__ import annotations

import logging
import threading
import time
import warnings

from gpiozero import RGBLED, Button, Buzzer, OutputDevice
from gpiozero.exc import GPIOZeroError, PinFactoryFallback

from ..errors import GateIOError
from ..timers import Timers
from .base import BeepPattern, GateIO, LedPattern
from .pins import DEFAULT_PINS

log = logging.getLogger(__name__)

RGB = {"off": (0, 0, 0), "green": (0, 1, 0), "red": (1, 0, 0), "amber": (1, 1, 0), "blue": (0, 0, 1)}


class GpioGateIO(GateIO):
    def __init__(self, *, pins: dict[str, int] | None = None, relay_active_high: bool = True,
                 max_relay_seconds: float = 10.0, timers: Timers | None = None, pin_factory=None):
        pins = {**DEFAULT_PINS, **(pins or {})}
        self.max_relay_seconds = max_relay_seconds
        self._lock = threading.Lock()
        # the simulator passes timers driven by its own clock; a real gate runs its own thread
        self._timers = timers or Timers("gpio-gate")
        self._relay_timer: int | None = None
        self._indicate_timer: int | None = None
        self._idle = LedPattern("off")
        self.relay_on_at = 0.0
        self._closed = False
        try:
            with warnings.catch_warnings():
                # gpiozero warns once per pin library it could not load; the error below says it all
                warnings.simplefilter("ignore", PinFactoryFallback)
                self._open_devices(pins, relay_active_high, pin_factory)
        except (GPIOZeroError, OSError, RuntimeError) as exc:
            self._timers.close()
            raise GateIOError(f"cannot open the gate's GPIO pins: {exc} (on a Raspberry Pi: "
                              "pip install 'qrgate[pi]')") from None
        self.door.when_pressed = lambda: self._fire(self.when_door_changed, False)
        self.door.when_released = lambda: self._fire(self.when_door_changed, True)
        self.exit_button.when_pressed = lambda: self._fire(self.when_exit_pressed)
        self.tamper.when_pressed = lambda: self._fire(self.when_tamper_changed, False)
        self.tamper.when_released = lambda: self._fire(self.when_tamper_changed, True)

    def _open_devices(self, pins: dict[str, int], relay_active_high: bool, pin_factory) -> None:
        self.relay = OutputDevice(pins["relay"], active_high=relay_active_high, initial_value=False,
                                  pin_factory=pin_factory)
        self.led = RGBLED(pins["led_red"], pins["led_green"], pins["led_blue"], pwm=False,
                          pin_factory=pin_factory)
        self.buzzer = Buzzer(pins["buzzer"], pin_factory=pin_factory)
        # switches pull to ground: a closed door contact or tamper switch reads as "pressed"
        self.door = Button(pins["door_contact"], pull_up=True, pin_factory=pin_factory)
        self.exit_button = Button(pins["exit_button"], pull_up=True, pin_factory=pin_factory)
        self.tamper = Button(pins["tamper"], pull_up=True, pin_factory=pin_factory)

    @staticmethod
    def _fire(callback, *args) -> None:
        if callback is not None:
            callback(*args)

    def pulse_relay(self, seconds: float) -> None:
        seconds = min(seconds, self.max_relay_seconds)
        with self._lock:
            self.relay.on()
            self.relay_on_at = time.perf_counter()  # for latency figures: the moment the pin went high
            self._timers.cancel(self._relay_timer)
            self._relay_timer = self._timers.after(seconds, self.release_relay)

    def release_relay(self) -> None:
        with self._lock:
            if not self._closed:
                self.relay.off()

    def indicate(self, led: LedPattern, beep: BeepPattern | None, seconds: float) -> None:
        with self._lock:
            self._show(led)
            if beep is not None:
                self.buzzer.beep(beep.on_ms / 1000, max(beep.off_ms, 1) / 1000, n=beep.count, background=True)
            self._timers.cancel(self._indicate_timer)
            self._indicate_timer = self._timers.after(seconds, self._back_to_idle)

    def set_idle(self, led: LedPattern) -> None:
        with self._lock:
            self._idle = led
            if self._indicate_timer is None:
                self._show(led)

    def _back_to_idle(self) -> None:
        with self._lock:
            self._indicate_timer = None
            if not self._closed:
                self._show(self._idle)

    def _show(self, pattern: LedPattern) -> None:
        color = RGB[pattern.color]
        if pattern.on_ms and pattern.off_ms:
            self.led.blink(pattern.on_ms / 1000, pattern.off_ms / 1000, on_color=color,
                           n=pattern.repeats or None, background=True)
        else:
            self.led.color = color

    @property
    def led_color(self) -> str:
        """The colour shown now, by name (for the live view and tests)."""
        current = tuple(int(v) for v in self.led.value)
        return next((name for name, rgb in RGB.items() if rgb == current), "mixed")

    @property
    def is_relay_on(self) -> bool:
        return bool(self.relay.value)

    @property
    def is_door_open(self) -> bool:
        return not self.door.is_pressed

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self.relay.off()  # fail secure: a closing controller never leaves the lock released
            self.led.off()
            self.buzzer.off()
        self._timers.close()
        for device in (self.relay, self.led, self.buzzer, self.door, self.exit_button, self.tamper):
            device.close()
