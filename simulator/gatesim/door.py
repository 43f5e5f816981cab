"""The physical door of a simulated gate, driving the door contact like a reed switch."""

from __future__ import annotations

from typing import Callable


class DoorPhysics:
    """Open while anyone is passing or holding it; the contact reads closed otherwise."""

    WALK_THROUGH_SECONDS = 2.5
    REACH_DOOR_SECONDS = 0.8

    def __init__(self, set_contact: Callable[[bool], None]):
        self.set_contact = set_contact  # True: the contact reads open
        self.open_until = float("-inf")
        self.is_open = False
        self.set_contact(False)

    def hold_open(self, now: float, seconds: float) -> float:
        """Someone keeps the door open from `now` for `seconds`; returns when it may close."""
        self.open_until = max(self.open_until, now + seconds)
        if not self.is_open:
            self.is_open = True
            self.set_contact(True)
        return self.open_until

    def maybe_close(self, now: float) -> bool:
        if self.is_open and now >= self.open_until:
            self.is_open = False
            self.set_contact(False)
            return True
        return False
