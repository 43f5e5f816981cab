"""Cuts OSDP packets out of a serial byte stream (SOM, LEN; an optional 0xFF mark before SOM).

A partial packet older than `gap_ms` is dropped, so a torn frame never glues onto the next one.
"""

from gateio.codes import MARK, SOM
from gateio.compat import ticks_since

try:
    from micropython import const
except ImportError:
    from gateio.compat import const

_HEADER = const(5)
_MIN_PACKET = const(7)  # SOM ADDR LEN LEN CTRL CODE CKSUM


class FrameReader:
    def __init__(self, size=256, gap_ms=100):
        self._buf = bytearray(size)
        self._view = memoryview(self._buf)
        self._n = 0
        self._last_ms = 0
        self._mark = False
        self.gap_ms = gap_ms
        self.had_mark = False  # whether the packet last popped was preceded by 0xFF
        self.dropped = 0  # bytes thrown away while resynchronising

    def feed(self, data, now):
        if self._n and ticks_since(now, self._last_ms) > self.gap_ms:
            self.dropped += self._n
            self._n = 0
        self._last_ms = now
        n = len(data)
        if self._n + n > len(self._buf):
            self.dropped += self._n + n
            self._n = 0
            return
        self._buf[self._n : self._n + n] = data
        self._n += n

    def _discard(self, count):
        remaining = self._n - count
        if remaining > 0:
            self._view[0:remaining] = self._view[count : self._n]
        self._n = max(remaining, 0)

    def pop(self, out):
        """Copy the next whole packet (from SOM, without mark) into `out`; return its length or 0."""
        buf = self._buf
        while self._n:
            skip = 0
            while skip < self._n and buf[skip] != SOM:
                skip += 1
            if skip:
                self._mark = buf[skip - 1] == MARK
                self.dropped += skip - (1 if self._mark else 0)
                self._discard(skip)
                if not self._n:
                    return 0
            if self._n < _HEADER:
                return 0
            length = buf[2] | (buf[3] << 8)
            if length < _MIN_PACKET or length > len(out):
                # not a real header: drop this SOM and look for the next one
                self._mark = False
                self.dropped += 1
                self._discard(1)
                continue
            if self._n < length:
                return 0
            out[0:length] = self._view[0:length]
            self.had_mark = self._mark
            self._mark = False
            self._discard(length)
            return length
        return 0
