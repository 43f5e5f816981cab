"""Simulated time: a clock the simulator moves, and timers that fire by it.

Every part of the gate that reads time takes a clock, so a day at the gate can run in
seconds: the simulator skips the idle time between events, while every measured path
(decode, verify, commit, relay) still runs at the machine's real speed.
"""

from __future__ import annotations

import heapq
import itertools
import time
from typing import Callable


class SimClock:
    """Simulated seconds since the epoch; `speed` sim-seconds pass per real second (0: no pacing)."""

    def __init__(self, start: float, speed: float = 0.0):
        self.start = start
        self.now = start
        self.speed = speed
        self._wall_start = time.monotonic()

    def __call__(self) -> float:
        return self.now

    def advance(self, to: float) -> None:
        if to < self.now:
            return
        if self.speed > 0:  # pace against the wall clock, for runs whose latency is watched
            wait = self._wall_start + (to - self.start) / self.speed - time.monotonic()
            if wait > 0:
                # wait first: a report arriving meanwhile (an I/O board's) is stamped with the present
                time.sleep(wait)
        self.now = to


class ManualTimers:
    """The gate's Timers interface, firing when the simulator calls run_due()."""

    def __init__(self, clock: SimClock):
        self.clock = clock
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._cancelled: set[int] = set()
        self._ids = itertools.count()

    def after(self, seconds: float, fn: Callable[[], None]) -> int:
        token = next(self._ids)
        heapq.heappush(self._heap, (self.clock.now + seconds, token, fn))
        return token

    def cancel(self, token: int | None) -> None:
        if token is not None:
            self._cancelled.add(token)

    def next_due(self) -> float | None:
        while self._heap and self._heap[0][1] in self._cancelled:
            self._cancelled.discard(heapq.heappop(self._heap)[1])
        return self._heap[0][0] if self._heap else None

    def run_due(self, now: float) -> None:
        while self._heap and self._heap[0][0] <= now:
            _, token, fn = heapq.heappop(self._heap)
            if token in self._cancelled:
                self._cancelled.discard(token)
                continue
            fn()

    def close(self) -> None:
        self._heap.clear()
