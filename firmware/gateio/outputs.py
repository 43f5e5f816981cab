"""Output (relay) state machine for osdp_OUT: permanent and timed states, and a hard cap on time on.

Pure: every method takes `now` (ms ticks). The caller drives the pin from level().
"""

from gateio.compat import ticks_since

try:
    from micropython import const
except ImportError:
    from gateio.compat import const

OUT_NOP = const(0)
OUT_OFF_ABORT_TIMED = const(1)
OUT_ON_ABORT_TIMED = const(2)
OUT_OFF_KEEP_TIMED = const(3)
OUT_ON_KEEP_TIMED = const(4)
OUT_TIMED_ON = const(5)
OUT_TIMED_OFF = const(6)

_UNIT_MS = const(100)  # OSDP timers count in 100 ms units


class Output:
    """One output; level(now) is what the pin must show, never on for longer than max_on_ms."""

    def __init__(self, max_on_ms=0):
        self.max_on_ms = max_on_ms  # 0: no cap (LED-like outputs)
        self.permanent = False
        self._timed = False
        self._timed_level = False
        self._timed_start = 0
        self._timed_ms = 0
        self._on = False
        self._on_start = 0
        self.tripped = False  # the cap forced the output off since the last command

    def command(self, code, timer_units, now):
        """Apply one osdp_OUT record; returns False for an unknown control code."""
        if code == OUT_NOP:
            return True
        if code in (OUT_OFF_ABORT_TIMED, OUT_ON_ABORT_TIMED):
            self._timed = False
            self.permanent = code == OUT_ON_ABORT_TIMED
        elif code in (OUT_OFF_KEEP_TIMED, OUT_ON_KEEP_TIMED):
            self.permanent = code == OUT_ON_KEEP_TIMED
        elif code in (OUT_TIMED_ON, OUT_TIMED_OFF):
            self._timed = timer_units > 0
            self._timed_level = code == OUT_TIMED_ON
            self._timed_start = now
            self._timed_ms = timer_units * _UNIT_MS
        else:
            return False
        self.tripped = False
        return True

    def force_off(self):
        """Safety stop (offline, reset, lockdown): off now and nothing pending."""
        self.permanent = False
        self._timed = False

    def level(self, now):
        if self._timed and ticks_since(now, self._timed_start) >= self._timed_ms:
            self._timed = False
        wanted = self._timed_level if self._timed else self.permanent
        if wanted:
            if not self._on:
                self._on_start = now
            elif self.max_on_ms and ticks_since(now, self._on_start) >= self.max_on_ms:
                self.force_off()
                self.tripped = True
                wanted = False
        self._on = wanted
        return wanted
