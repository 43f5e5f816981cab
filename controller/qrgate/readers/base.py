"""One reader thread: open the device, read lines until it fails, report it, back off, open again."""

from __future__ import annotations

import abc
import logging
import threading
import time
from collections import Counter
from typing import Callable

from ..vision.health import Backoff
from .lines import Line

log = logging.getLogger(__name__)

OnCode = Callable[[str, float], None]
WhenChanged = Callable[[bool, str], None]


class DeviceReader(abc.ABC):
    """Calls `on_code(text, now)` once per good line and `when_changed(ok, reason)` once per
    change of the device's state (the first open, each loss, each recovery), never per retry.

    `clock` stamps the codes; `wait(seconds)` is the back-off sleep (an Event's wait by default,
    so stop() ends it at once)."""

    kind = "reader"

    def __init__(self, *, name: str, on_code: OnCode, clock: Callable[[], float] = time.time,
                 when_changed: WhenChanged | None = None, backoff: tuple[float, float] = (0.5, 5.0)):
        self.name, self.on_code, self.clock, self.when_changed = name, on_code, clock, when_changed
        self.backoff = Backoff(*backoff)
        self.connected: bool | None = None  # None: not tried yet
        self.codes = 0
        self.refused: Counter = Counter()  # reason kind -> lines refused
        self.losses = 0
        self.reconnects = 0
        self._opened_once = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"{name}-{self.kind}", daemon=True)

    # -- the device, per kind -------------------------------------------------------------
    @abc.abstractmethod
    def describe(self) -> str:
        """The device, for logs and reasons (a path, never data)."""

    @abc.abstractmethod
    def _open(self) -> None:
        """Open the device; raise ReaderError or OSError while it is not there."""

    @abc.abstractmethod
    def _read(self) -> list[Line]:
        """Lines completed within a short wait ([] when none); raise ReaderError or OSError when the device is lost."""

    @abc.abstractmethod
    def _close(self) -> None:
        """Free the device; harmless when it is gone already."""

    # -- the thread ----------------------------------------------------------------------
    def start(self) -> "DeviceReader":
        self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    @property
    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def stats(self) -> dict:
        return {"codes": self.codes, "refused": dict(self.refused), "losses": self.losses,
                "reconnects": self.reconnects, "connected": bool(self.connected)}

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                if not self.connected:
                    self._connect()
                    continue
                try:
                    lines = self._read()
                except Exception as exc:  # OSError, ReaderError, a driver's own: a lost device, never a dead thread
                    self.losses += 1
                    self._safe_close()
                    self._changed(False, f"{self.describe()} lost ({_why(exc)})")
                    self._stop.wait(self.backoff.next())
                    continue
                for line in lines:
                    self._deliver(line)
        finally:
            self._safe_close()

    def _connect(self) -> None:
        try:
            self._open()
        except Exception as exc:
            self._changed(False, f"{self.describe()} cannot be opened ({_why(exc)})")
            self._stop.wait(self.backoff.next())
            return
        self.reconnects += self._opened_once
        self._opened_once = True
        self.backoff.reset()
        self._changed(True, f"{self.describe()} open")

    def _deliver(self, line: Line) -> None:
        if line.text is None:
            self.refused[line.reason.split(" ", 1)[0]] += 1
            log.warning("%s: refused %s", self.name, line.reason)  # the reason, never the text
            return
        self.codes += 1
        try:
            self.on_code(line.text, self.clock())
        except Exception:  # the listener's failure must not stop the reader
            log.exception("%s: code listener failed", self.name)

    def _changed(self, ok: bool, reason: str) -> None:
        if self.connected is ok:
            return
        self.connected = ok
        (log.info if ok else log.warning)("%s: %s", self.name, reason)
        if self.when_changed is not None:
            try:
                self.when_changed(ok, reason)
            except Exception:
                log.exception("%s: reader listener failed", self.name)

    def _safe_close(self) -> None:
        try:
            self._close()
        except Exception:
            log.debug("%s: closing a lost device", self.name, exc_info=True)


def _why(exc: Exception) -> str:
    return str(exc) or type(exc).__name__
