"""A virtual serial 2D scanner module: a pseudo-terminal that sends each shown code as a line.

The gate's SerialReader opens `link` exactly as it opens /dev/serial/by-id/...; unplug()
closes the pty and removes the link, plug() makes a new pty behind the same link.
`read_seconds` is the module's own time to read a code once it is in front of it (an
assumption: modules quote 50-300 ms), drawn around its mean from the seed.
"""

from __future__ import annotations

import os
import threading
import tty
from pathlib import Path

import numpy as np


class VirtualScanner:
    def __init__(self, link: str | Path, *, read_seconds: float = 0.15, terminator: bytes = b"\r\n", seed: int = 0):
        self.link, self.read_seconds, self.terminator = str(link), read_seconds, terminator
        self._rng = np.random.default_rng(seed)
        self._lock = threading.Lock()
        self._master: int | None = None
        self._slave: int | None = None
        self._timers: list[threading.Timer] = []
        self.plug()

    def plug(self) -> None:
        with self._lock:
            self._master, self._slave = os.openpty()
            tty.setraw(self._slave)
            tmp = self.link + ".new"
            os.symlink(os.ttyname(self._slave), tmp)
            os.replace(tmp, self.link)  # the by-id link points at the new device at once

    def unplug(self) -> None:
        with self._lock:
            for fd in (self._master, self._slave):
                if fd is not None:
                    os.close(fd)
            self._master = self._slave = None
            if os.path.lexists(self.link):
                os.unlink(self.link)

    def read_time(self) -> float:
        """The module's time to read the code in front of it this once, drawn around `read_seconds`."""
        return max(0.02, float(self._rng.normal(self.read_seconds, self.read_seconds / 4)))

    def line(self, text: str) -> bytes:
        """What the module sends for a code it read: the text and its terminator."""
        return text.encode("utf-8") + self.terminator

    def show(self, text: str) -> float:
        """A visitor holds `text` to the module: it sends the line after its read time (returned),
        in real time. The scenario world draws read_time() on its own clock and send()s the line."""
        delay = self.read_time()
        timer = threading.Timer(delay, self.send, args=(self.line(text),))
        timer.daemon = True
        self._timers.append(timer)
        timer.start()
        return delay

    def send(self, data: bytes) -> None:
        """Raw bytes on the wire (a line, or noise); lost while unplugged, as on a real cable."""
        with self._lock:
            if self._master is not None:
                os.write(self._master, data)

    def close(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self.unplug()
