"""Tell systemd how the gate is doing: the sd_notify(3) datagram protocol in a few lines.

systemd hands a `Type=notify` service a unix datagram socket in $NOTIFY_SOCKET (a path, or
an abstract name written with a leading "@"); each message is newline-separated KEY=VALUE
lines: READY=1 once started, WATCHDOG=1 to pet the watchdog, STATUS= for `systemctl status`,
STOPPING=1 on the way out. Outside systemd the variable is unset and every call is a no-op.
"""

from __future__ import annotations

import logging
import os
import socket

log = logging.getLogger(__name__)


def _address(value: str) -> str | bytes:
    """A path, or an abstract socket name: "@name" means a leading NUL byte."""
    return b"\0" + value[1:].encode() if value.startswith("@") else value


class Notifier:
    def __init__(self, socket_name: str | None = None, *, environ: dict | None = None):
        env = os.environ if environ is None else environ
        name = socket_name if socket_name is not None else env.get("NOTIFY_SOCKET", "")
        self.address = _address(name) if name else None
        self._sock: socket.socket | None = None
        self._warned = False

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def send(self, **fields: str | int) -> bool:
        """One datagram of KEY=VALUE lines; False (logged once) when systemd cannot be told."""
        if self.address is None:
            return False
        message = "\n".join(f"{key}={value}" for key, value in fields.items()).encode()
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
                self._sock.setblocking(False)  # a reader that stopped reading must never hang the gate
            self._sock.sendto(message, self.address)
            return True
        except OSError as exc:
            if not self._warned:  # a missing socket would otherwise log every second
                log.warning("cannot notify systemd at %r: %s", self.address, exc)
                self._warned = True
            return False

    def ready(self, status: str = "") -> bool:
        return self.send(READY=1, **({"STATUS": status} if status else {}))

    def watchdog(self) -> bool:
        return self.send(WATCHDOG=1)

    def status(self, text: str) -> bool:
        return self.send(STATUS=text.replace("\n", " "))

    def stopping(self, status: str = "") -> bool:
        return self.send(STOPPING=1, **({"STATUS": status} if status else {}))

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


def watchdog_interval(environ: dict | None = None, pid: int | None = None) -> float | None:
    """How often to pet: half of $WATCHDOG_USEC (as sd_watchdog_enabled(3) advises), or None
    when no watchdog is set or it is meant for another process ($WATCHDOG_PID)."""
    env = os.environ if environ is None else environ
    try:
        usec = int(env.get("WATCHDOG_USEC", "0"))
    except ValueError:
        return None
    owner = env.get("WATCHDOG_PID")
    if usec <= 0 or (owner and owner.isdigit() and int(owner) != (os.getpid() if pid is None else pid)):
        return None
    return usec / 2e6
