"""What a scanner sends, checked before it is a code: pure, no I/O.

A scanner module in serial mode sends one code per line, ended by CR, LF or CR LF. A line
that is too long, not UTF-8, or holds control characters is refused with a reason; the
reason names the fault and the length, never the text (a code is a secret).
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_LINE = 2048  # bytes: a version-40 QR code holds at most 2953, a pass is 151 characters


@dataclass(frozen=True)
class Line:
    text: str | None  # the code, or None when refused
    reason: str = ""  # why it was refused


def check(raw: bytes, max_length: int = MAX_LINE) -> Line:
    """One line without its terminator: a code, or a refusal with its reason."""
    if len(raw) > max_length:
        return Line(None, f"over-long line ({len(raw)} bytes, at most {max_length})")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return Line(None, f"binary line ({len(raw)} bytes, not UTF-8)")
    bad = sum(1 for ch in text if (ord(ch) < 0x20 and ch != "\t") or 0x7F <= ord(ch) < 0xA0)
    if bad:
        return Line(None, f"garbage line ({bad} control character(s) in {len(raw)} bytes)")
    if not text.strip():
        return Line(None, f"blank line ({len(raw)} bytes of spaces)")
    return Line(text)


@dataclass
class LineSplitter:
    """Bytes in, checked lines out; an over-long line is dropped up to its end, never kept whole."""

    max_length: int = MAX_LINE
    _buffer: bytearray = field(default_factory=bytearray)
    _overflow: int = 0  # bytes of the current line already dropped

    def feed(self, data: bytes) -> list[Line]:
        out: list[Line] = []
        for byte in data:
            if byte in (0x0A, 0x0D):  # CR, LF or CR LF: an empty line between them is no line
                out.extend(self._end())
            elif self._overflow:
                self._overflow += 1
            elif len(self._buffer) >= self.max_length:
                self._overflow = len(self._buffer) + 1
                self._buffer.clear()
            else:
                self._buffer.append(byte)
        return out

    def reset(self) -> None:
        """A reconnect: half a line from before it is not the start of the next one."""
        self._buffer.clear()
        self._overflow = 0

    def _end(self) -> list[Line]:
        if self._overflow:
            length, self._overflow = self._overflow, 0
            return [Line(None, f"over-long line ({length} bytes, at most {self.max_length})")]
        if not self._buffer:
            return []
        raw = bytes(self._buffer)
        self._buffer.clear()
        return [check(raw, self.max_length)]
