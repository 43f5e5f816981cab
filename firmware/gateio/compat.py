"""What differs between MicroPython and CPython, in one place.

Time is a wrapping millisecond tick (as MicroPython's time.ticks_ms()); pure code only
ever compares ticks through ticks_since() so the 2**30 wrap is harmless.
"""

try:
    from micropython import const
except ImportError:  # CPython: const() is the identity

    def const(value):
        return value


TICKS_MASK = const(0x3FFFFFFF)


def ticks_since(now, then):
    """Milliseconds from `then` to `now`, correct across one wrap of the tick counter."""
    return (now - then) & TICKS_MASK


def ticks_add(ticks, delta):
    return (ticks + delta) & TICKS_MASK
