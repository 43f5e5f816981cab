"""A 2D scanner module on a UART or USB-CDC port (pyserial): one code per CR/LF-ended line."""

from __future__ import annotations

from .base import DeviceReader
from .lines import MAX_LINE, Line, LineSplitter


class SerialReader(DeviceReader):
    """`SerialReader("/dev/ttyACM0", name="north-scanner", on_code=...)`; start() runs it.

    An unplugged module (the port vanishes, or reads fail) is reported once and reopened
    with back-off, 0.5 s doubling to 5 s; a half line from before the loss is dropped.
    """

    kind = "serial"

    def __init__(self, port: str, *, baud: int = 9600, max_length: int = MAX_LINE, read_timeout: float = 0.2,
                 **reader):
        super().__init__(**reader)
        self.port, self.baud, self.read_timeout = port, baud, read_timeout
        self.lines = LineSplitter(max_length)
        self._serial = None

    def describe(self) -> str:
        return f"serial port {self.port}"

    def _open(self) -> None:
        import serial  # pyserial: a core dependency

        self._serial = serial.Serial(self.port, self.baud, timeout=self.read_timeout)
        self.lines.reset()

    def _read(self) -> list[Line]:
        waiting = self._serial.in_waiting  # raises once the device is gone
        data = self._serial.read(max(1, waiting))  # blocks at most read_timeout
        return self.lines.feed(data) if data else []

    def _close(self) -> None:
        port, self._serial = self._serial, None
        if port is not None:
            port.close()
