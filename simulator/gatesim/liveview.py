"""The live terminal view of a scenario: each gate's light, relay, door and count, the last decisions."""

from __future__ import annotations

import collections
import sys
from typing import TextIO


class LiveView:
    def __init__(self, world, out: TextIO = sys.stdout, *, every_minutes: float = 5.0, enabled: bool = True):
        self.world = world
        self.out = out
        self.every = every_minutes * 60
        self.enabled = enabled
        self.last = collections.deque(maxlen=4)
        self._next = world.clock.start
        self._tty = enabled and hasattr(out, "isatty") and out.isatty()
        self._drawn = 0

    def line(self, text: str) -> None:
        """A decision or a fault: kept for the next frame; faults are printed at once."""
        self.last.append(text.strip())
        if "**" in text and self.enabled:
            self._print([text])

    def tick(self) -> None:
        now = self.world.clock.now
        if not self.enabled or now < self._next:
            return
        self._next = now + self.every
        self._draw()

    def _draw(self) -> None:
        lines = [f"-- {self.world.stamp('%H:%M')} " + "-" * 60]
        for gid, place in self.world.gates.items():
            if place.controller_down:
                lines.append(f"  {gid:10} controller down")
                continue
            io = place.sim.io
            lines.append(f"  {gid:10} LED {place.sim.led_color:6} relay {'ON ' if io.is_relay_on else 'off'} "
                         f"door {'open  ' if place.door.is_open else 'closed'} inside {place.sim.ledger.occupancy():4d}"
                         f"{'  ' + ','.join(sorted(place.down)) + ' down' if place.down else ''}"
                         f"{'  cut off from its peers' if gid in self.world.truth.isolated else ''}")
        lines += [f"  {text}" for text in self.last]
        if self._tty and self._drawn:
            self.out.write(f"\x1b[{self._drawn}F\x1b[J")  # redraw in place on a terminal
        self._print(lines)
        self._drawn = len(lines) if self._tty else 0

    def _print(self, lines: list[str]) -> None:
        for text in lines:
            print(text, file=self.out)
        self.out.flush()
