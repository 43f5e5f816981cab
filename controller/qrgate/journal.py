"""Structured logs to journald over its native protocol: one datagram of fields per record.

`journalctl -u qrgate PRIORITY=3`, `journalctl LOGGER=qrgate.runner -o json` then work.
A field is KEY=value on one line, or, when the value holds a newline, KEY, a newline, the
value's length as 64-bit little-endian and the value (systemd.journal-fields(7), "native protocol").
"""

from __future__ import annotations

import logging
import socket
import struct

JOURNAL_SOCKET = "/run/systemd/journal/socket"
MAX_MESSAGE = 48 * 1024  # well under the socket's datagram limit; longer messages are cut

PRIORITY = {logging.CRITICAL: 2, logging.ERROR: 3, logging.WARNING: 4, logging.INFO: 6, logging.DEBUG: 7}


def _field(key: str, value: str) -> bytes:
    data = value.encode("utf-8", "replace")
    if b"\n" in data:
        return key.encode() + b"\n" + struct.pack("<Q", len(data)) + data + b"\n"
    return key.encode() + b"=" + data + b"\n"


def priority(levelno: int) -> int:
    return next((p for level, p in sorted(PRIORITY.items(), reverse=True) if levelno >= level), 7)


class JournalHandler(logging.Handler):
    def __init__(self, identifier: str = "qrgate", socket_path: str = JOURNAL_SOCKET):
        super().__init__()
        self.identifier, self.socket_path = identifier, socket_path
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
            if record.exc_info:
                message += "\n" + self.formatter_or_default().formatException(record.exc_info)
            fields = [("MESSAGE", message[:MAX_MESSAGE]), ("PRIORITY", str(priority(record.levelno))),
                      ("SYSLOG_IDENTIFIER", self.identifier), ("LOGGER", record.name),
                      ("THREAD_NAME", record.threadName or ""), ("CODE_FILE", record.pathname),
                      ("CODE_LINE", str(record.lineno)), ("CODE_FUNC", record.funcName)]
            self._sock.sendto(b"".join(_field(k, v) for k, v in fields), self.socket_path)
        except Exception:
            self.handleError(record)

    def formatter_or_default(self) -> logging.Formatter:
        return self.formatter or logging.Formatter()

    def close(self) -> None:
        self._sock.close()
        super().close()
