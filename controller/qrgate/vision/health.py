"""Is the camera delivering? Pure bookkeeping, driven by the caller's clock."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HealthChange:
    ok: bool
    reason: str


class CameraHealth:
    """Lost after `loss_after` seconds without a frame, or at once on a failed read; ok at the next frame."""

    def __init__(self, now: float, loss_after: float = 1.0):
        self.loss_after = loss_after
        self.ok = True
        self.last_frame = now  # a camera gets loss_after seconds to deliver its first frame
        self.losses = 0

    def frame(self, now: float) -> HealthChange | None:
        self.last_frame = now
        if self.ok:
            return None
        self.ok = True
        return HealthChange(True, "frames again")

    def failed(self, now: float, reason: str) -> HealthChange | None:
        return self._lose(reason)

    def check(self, now: float) -> HealthChange | None:
        silent = now - self.last_frame
        if self.ok and silent >= self.loss_after:
            return self._lose(f"no frame for {silent:.1f} s")
        return None

    def _lose(self, reason: str) -> HealthChange | None:
        if not self.ok:
            return None
        self.ok = False
        self.losses += 1
        return HealthChange(False, reason)


class Backoff:
    """Reconnect delays: first, doubling, capped; reset once the camera works again."""

    def __init__(self, first: float = 0.5, most: float = 5.0):
        self.first, self.most = first, most
        self._next = first

    def next(self) -> float:
        delay = self._next
        self._next = min(self.most, self._next * 2)
        return delay

    def reset(self) -> None:
        self._next = self.first
