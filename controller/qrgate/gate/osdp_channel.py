"""A libosdp channel over pyserial: the read/write/flush object libosdp's Python API asks for."""

from __future__ import annotations

import logging

import osdp
import serial

from ..errors import GateIOError

log = logging.getLogger(__name__)


class SerialChannel(osdp.Channel):
    """Non-blocking serial port; libosdp polls read() from its refresh thread."""

    def __init__(self, port: str, baud: int = 115200) -> None:
        super().__init__()
        try:
            self._serial = serial.Serial(port, baud, timeout=0, write_timeout=1)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise GateIOError(f"cannot open OSDP serial port {port!r}: {exc}") from None
        self.port = port

    def read(self, max_bytes: int) -> bytes:
        try:
            return self._serial.read(max_bytes)
        except (serial.SerialException, OSError) as exc:
            log.warning("OSDP serial read failed on %s: %s", self.port, exc)
            return b""

    def write(self, buf: bytes) -> int:
        try:
            return self._serial.write(buf) or 0
        except (serial.SerialException, OSError) as exc:
            log.warning("OSDP serial write failed on %s: %s", self.port, exc)
            return 0

    def flush(self) -> None:
        # libosdp flushes after a broken exchange: drop whatever half packet is waiting
        try:
            self._serial.reset_input_buffer()
        except (serial.SerialException, OSError):
            pass

    def close(self) -> None:
        self._serial.close()
