"""A USB HID keyboard-wedge scanner through python-evdev (the `hid` extra; on the Pi, apt's
python3-evdev). The device is grabbed, so its keystrokes never reach a console or a login."""

from __future__ import annotations

import importlib
import select

from ..errors import ReaderError
from .base import DeviceReader
from .keys import KeyTranslator
from .lines import MAX_LINE, Line


def _evdev():
    try:
        return importlib.import_module("evdev")
    except ImportError:
        raise ReaderError("a keyboard-wedge scanner needs python-evdev: pip install 'qrgate[hid]' "
                          "(on Raspberry Pi OS: sudo apt install python3-evdev)") from None


class HidReader(DeviceReader):
    """`HidReader("/dev/input/by-id/usb-...-event-kbd", name="south-scanner", on_code=...)`.

    Use a /dev/input/by-id/ path: it names the same scanner after a replug, while eventN may
    change. A lost device (unplugged: reads fail with ENODEV) is reported once and reopened
    with back-off; keys typed before the loss are dropped.
    """

    kind = "hid"

    def __init__(self, path: str, *, layout: str = "us", max_length: int = MAX_LINE, read_timeout: float = 0.2,
                 **reader):
        self._evdev_module = _evdev()
        super().__init__(**reader)
        self.path, self.read_timeout = path, read_timeout
        self.keys = KeyTranslator(layout, max_length)
        self._device = None

    def describe(self) -> str:
        return f"keyboard scanner {self.path}"

    def _open(self) -> None:
        device = self._evdev_module.InputDevice(self.path)
        try:
            device.grab()  # exclusive: no keystroke reaches the console
        except OSError as exc:
            device.close()
            raise ReaderError(f"cannot grab it, another program holds it ({exc})") from None
        self._device = device
        self.keys.reset()

    def _read(self) -> list[Line]:
        ready, _, _ = select.select([self._device.fd], [], [], self.read_timeout)
        if not ready:
            return []
        lines = []
        for event in self._device.read():  # raises OSError (ENODEV) once unplugged
            line = self.keys.feed(event.type, event.code, event.value)
            if line is not None:
                lines.append(line)
        return lines

    def _close(self) -> None:
        device, self._device = self._device, None
        if device is not None:
            try:
                device.ungrab()
            except OSError:
                pass  # gone already
            device.close()
