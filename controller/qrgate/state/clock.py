"""Wall-clock steps, seen by comparing the wall clock with the monotonic one (pure: both are arguments).

Between two readings both clocks should advance by the same amount; when the wall clock
moved by more than `step_seconds` beyond the monotonic one, someone or something (NTP after
a boot without a battery clock, an admin, a faulty RTC) stepped it. The watch says how big the
step was, and whether the two clocks have agreed long enough to act on the wall clock again
(`settle_seconds` of monotonic time without a step, counted from the first reading).
"""

from __future__ import annotations


class ClockWatch:
    def __init__(self, *, step_seconds: float = 2.0, settle_seconds: float = 600.0):
        self.step_seconds = step_seconds
        self.settle_seconds = settle_seconds
        self._offset: float | None = None  # wall - monotonic at the last reading
        self._calm_since: float | None = None  # monotonic time since when no step was seen

    def observe(self, wall: float, mono: float) -> float | None:
        """Take a reading; return the size of a wall-clock step (seconds, either sign) or None."""
        offset = wall - mono
        if self._offset is None:
            self._offset, self._calm_since = offset, mono
            return None
        step = offset - self._offset
        self._offset = offset  # slow drift and NTP slewing follow along without ever adding up to a step
        if abs(step) > self.step_seconds:
            self._calm_since = mono
            return step
        return None

    def settled(self, mono: float) -> bool:
        """Whether wall and monotonic time have agreed for settle_seconds up to `mono`."""
        return self._calm_since is not None and mono - self._calm_since >= self.settle_seconds
