"""Fixed-window counters in memory: how many submissions a key made in the current window."""

from __future__ import annotations

import threading

MAX_KEYS = 100_000  # a flood of new addresses clears the table instead of growing it


class WindowLimit:
    def __init__(self, limit: int, window_seconds: float):
        self.limit = limit
        self.window = window_seconds
        self._counts: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def allow(self, key: str, now: float) -> bool:
        """Count one attempt by `key`; False once it is over the limit in this window."""
        slot = (key, int(now // self.window))
        with self._lock:
            if len(self._counts) >= MAX_KEYS:
                self._counts.clear()
            n = self._counts.get(slot, 0) + 1
            self._counts[slot] = n
            return n <= self.limit
