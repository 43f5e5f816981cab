"""LED and buzzer state machines for osdp_LED and osdp_BUZ. Pure: they take `now` in ms ticks.

OSDP times are in 100 ms units. An LED has a permanent pattern and a temporary one that runs
for a timer and then gives way to the permanent pattern again.
"""

from gateio.compat import ticks_since

try:
    from micropython import const
except ImportError:
    from gateio.compat import const

_UNIT_MS = const(100)

LED_TEMP_NOP = const(0)
LED_TEMP_CANCEL = const(1)
LED_TEMP_SET = const(2)
LED_PERM_NOP = const(0)
LED_PERM_SET = const(1)

BUZ_TONE_NONE = const(0)
BUZ_TONE_OFF = const(1)
BUZ_TONE_DEFAULT = const(2)


def _blink(since_ms, on_ms, off_ms, on_color, off_color):
    if on_ms == 0:
        return off_color
    if off_ms == 0:
        return on_color
    return on_color if since_ms % (on_ms + off_ms) < on_ms else off_color


class Led:
    """One OSDP LED; color(now) gives the OSDP colour code to show."""

    def __init__(self):
        # permanent: on_ms, off_ms, on_color, off_color, start
        self._perm_on = 0
        self._perm_off = 0
        self._perm_on_color = 0
        self._perm_off_color = 0
        self._perm_start = 0
        self._temp = False
        self._temp_on = 0
        self._temp_off = 0
        self._temp_on_color = 0
        self._temp_off_color = 0
        self._temp_start = 0
        self._temp_ms = 0
        self.override = None  # (on_ms, off_ms, on_color, off_color) shown while offline

    def set_temporary(self, control, on_units, off_units, on_color, off_color, timer_units, now):
        if control == LED_TEMP_CANCEL:
            self._temp = False
        elif control == LED_TEMP_SET:
            self._temp = timer_units > 0
            self._temp_on = on_units * _UNIT_MS
            self._temp_off = off_units * _UNIT_MS
            self._temp_on_color = on_color
            self._temp_off_color = off_color
            self._temp_start = now
            self._temp_ms = timer_units * _UNIT_MS
        elif control != LED_TEMP_NOP:
            return False
        return True

    def set_permanent(self, control, on_units, off_units, on_color, off_color, now):
        if control == LED_PERM_SET:
            self._perm_on = on_units * _UNIT_MS
            self._perm_off = off_units * _UNIT_MS
            self._perm_on_color = on_color
            self._perm_off_color = off_color
            self._perm_start = now
        elif control != LED_PERM_NOP:
            return False
        return True

    def color(self, now):
        if self.override is not None:
            on_ms, off_ms, on_color, off_color = self.override
            return _blink(now, on_ms, off_ms, on_color, off_color)
        if self._temp:
            since = ticks_since(now, self._temp_start)
            if since < self._temp_ms:
                return _blink(since, self._temp_on, self._temp_off, self._temp_on_color, self._temp_off_color)
            self._temp = False
        since = ticks_since(now, self._perm_start)
        return _blink(since, self._perm_on, self._perm_off, self._perm_on_color, self._perm_off_color)


class Buzzer:
    """One OSDP buzzer; level(now) says whether it sounds. count 0 repeats until cancelled."""

    def __init__(self, max_on_ms=30000):
        self.max_on_ms = max_on_ms  # a stuck "forever" tone stops after this
        self._active = False
        self._on_ms = 0
        self._off_ms = 0
        self._count = 0
        self._start = 0

    def command(self, tone, on_units, off_units, count, now):
        if tone in (BUZ_TONE_NONE, BUZ_TONE_OFF):
            self._active = False
            return True
        if tone != BUZ_TONE_DEFAULT:
            return False
        self._active = on_units > 0
        self._on_ms = on_units * _UNIT_MS
        self._off_ms = off_units * _UNIT_MS
        self._count = count
        self._start = now
        return True

    def stop(self):
        self._active = False

    def level(self, now):
        if not self._active:
            return False
        since = ticks_since(now, self._start)
        period = self._on_ms + self._off_ms
        if (self._count and since >= period * self._count) or since >= self.max_on_ms:
            self._active = False
            return False
        return since % period < self._on_ms
