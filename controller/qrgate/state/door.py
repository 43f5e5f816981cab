"""Door alarms from the door contact and the relay: pure, driven by the caller's clock.

Every `now` here measures durations (unlock windows, held-open time), so it must come from a
clock nobody steps: GateApp passes monotonic time. A wall clock set back an hour right after
a grant would otherwise keep the door "unlocked" for that hour and hide a forced door.

A door that opens while the lock is held is forced; a door left open past the limit
is held open. The monitor only reports changes; latching and acknowledging belong to
whoever shows alarms to people.
"""

from __future__ import annotations

from .alarms import AlarmChange

DOOR_FORCED = "door_forced"
DOOR_HELD_OPEN = "door_held_open"


class DoorMonitor:
    def __init__(self, *, held_open_seconds: float = 30.0, unlock_grace_seconds: float = 1.5):
        self.held_open_seconds = held_open_seconds
        # a door opened just after the strike re-locked was still opened by the visitor who was let in
        self.unlock_grace_seconds = unlock_grace_seconds
        self._unlocked_until = float("-inf")
        self._door_open = False
        self._opened_at = 0.0
        self._watching = True  # False while the I/O link is down and the door cannot be seen
        self._active: set[str] = set()

    @property
    def active(self) -> frozenset[str]:
        return frozenset(self._active)

    def unlock(self, now: float, seconds: float) -> None:
        """The lock was released at `now` for `seconds` (a grant, a remote open, the exit button)."""
        self._unlocked_until = max(self._unlocked_until, now + seconds)

    def _unlocked(self, now: float) -> bool:
        return now <= self._unlocked_until + self.unlock_grace_seconds

    def door_changed(self, is_open: bool, now: float) -> list[AlarmChange]:
        changes: list[AlarmChange] = []
        if is_open == self._door_open:
            return changes
        self._door_open = is_open
        if is_open:
            self._opened_at = now
            if not self._unlocked(now):
                changes += self._set(DOOR_FORCED, True, now)
        else:
            changes += self._set(DOOR_HELD_OPEN, False, now)
            changes += self._set(DOOR_FORCED, False, now)
        return changes

    def link_changed(self, online: bool, now: float) -> None:
        """While the door cannot be seen its held-open time does not run; it starts again on return."""
        self._watching = online
        if online and self._door_open:
            self._opened_at = now

    def tick(self, now: float) -> list[AlarmChange]:
        if self._watching and self._door_open and now - self._opened_at >= self.held_open_seconds:
            return self._set(DOOR_HELD_OPEN, True, now)
        return []

    def _set(self, alarm: str, active: bool, now: float) -> list[AlarmChange]:
        if active == (alarm in self._active):
            return []
        (self._active.add if active else self._active.discard)(alarm)
        return [AlarmChange(alarm, active, now)]
