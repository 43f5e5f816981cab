"""The gate I/O interface: what the controller needs from relay, LED, buzzer and inputs.

Backends (GPIO pins on the Pi, an OSDP I/O board) implement GateIO. Every method
returns at once: a pulse or pattern ends by itself in the backend's own time.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class LedPattern:
    """A colour shown steady (repeats == 0) or flashed `repeats` times."""

    color: str  # "off", "green", "red", "amber", "blue"
    on_ms: int = 0
    off_ms: int = 0
    repeats: int = 0


@dataclass(frozen=True)
class BeepPattern:
    on_ms: int
    off_ms: int = 0
    count: int = 1


LED_COLORS = ("off", "green", "red", "amber", "blue")


class GateIO(abc.ABC):
    """Relay, status LED, buzzer, door contact, exit button and tamper switch of one gate."""

    #: called with True when the door opens, False when it closes
    when_door_changed: Callable[[bool], None] | None = None
    #: called when the exit button is pressed
    when_exit_pressed: Callable[[], None] | None = None
    #: called with True when the enclosure is opened, False when closed again
    when_tamper_changed: Callable[[bool], None] | None = None
    #: called with True/False when the link to the I/O hardware comes up or goes down
    when_online_changed: Callable[[bool], None] | None = None

    @abc.abstractmethod
    def pulse_relay(self, seconds: float) -> None:
        """Energise the lock relay now and release it after `seconds`."""

    @abc.abstractmethod
    def release_relay(self) -> None:
        """De-energise the relay at once (lockdown, fault)."""

    @abc.abstractmethod
    def indicate(self, led: LedPattern, beep: BeepPattern | None, seconds: float) -> None:
        """Show `led` (and sound `beep`) for `seconds`, then go back to the idle pattern."""

    @abc.abstractmethod
    def set_idle(self, led: LedPattern) -> None:
        """The pattern shown between scans: ready, fault, lockdown, offline."""

    @property
    @abc.abstractmethod
    def is_relay_on(self) -> bool: ...

    @property
    @abc.abstractmethod
    def is_door_open(self) -> bool: ...

    @property
    def is_online(self) -> bool:
        """Whether the I/O hardware answers; GPIO pins always do."""
        return True

    @property
    def link_state(self) -> dict:
        """Backend details for the gate state (e.g. secure channel on an OSDP link)."""
        return {"backend": type(self).__name__, "online": self.is_online}

    @abc.abstractmethod
    def close(self) -> None:
        """Release the relay and free the hardware; calling it twice is harmless."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
