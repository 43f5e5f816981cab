"""A one-frame slot between capture and decoding: the newest frame wins, skipped ones are counted."""

from __future__ import annotations

import threading

import numpy as np


class LatestFrame:
    def __init__(self):
        self._cond = threading.Condition()
        self._frame: np.ndarray | None = None
        self._stamp = 0.0
        self.skipped = 0
        self.closed = False

    def put(self, frame: np.ndarray, stamp: float) -> None:
        """Never blocks: a frame not yet taken is replaced and counted as skipped."""
        with self._cond:
            if self._frame is not None:
                self.skipped += 1
            self._frame, self._stamp = frame, stamp
            self._cond.notify()

    def take(self, timeout: float | None = None) -> tuple[np.ndarray, float] | None:
        with self._cond:
            if self._frame is None and not self.closed:
                self._cond.wait(timeout)
            if self._frame is None:
                return None
            frame, self._frame = self._frame, None
            return frame, self._stamp

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()
