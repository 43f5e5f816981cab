"""What the visitor and the guard see and hear for each outcome."""

from __future__ import annotations

from .base import BeepPattern, LedPattern

SHOW_SECONDS = 2.0

IDLE_READY = LedPattern("blue")
IDLE_FAULT = LedPattern("amber", on_ms=250, off_ms=250)

GRANTED = (LedPattern("green"), BeepPattern(on_ms=120))
DENIED = (LedPattern("red"), BeepPattern(on_ms=80, off_ms=80, count=3))
# "full" is not "forged": a slow amber flash and one long tone tell the guard it is capacity
FULL = (LedPattern("amber", on_ms=400, off_ms=200, repeats=3), BeepPattern(on_ms=600))


def feedback(granted: bool, full: bool = False) -> tuple[LedPattern, BeepPattern]:
    """Green for a grant; amber for a refusal for capacity (`full`); red for any other refusal."""
    if granted:
        return GRANTED
    return FULL if full else DENIED


# waiting for the guard to check an ID against its holder: amber, slow, until the guard answers
AWAITING = (LedPattern("amber", on_ms=700, off_ms=300), BeepPattern(on_ms=60, off_ms=120, count=2))


def awaiting_guard(seconds: float) -> tuple[LedPattern, BeepPattern]:
    """The amber 'wait for the guard' signal, repeated for as long as the confirmation may take."""
    led, beep = AWAITING
    return LedPattern(led.color, led.on_ms, led.off_ms, max(1, int(seconds * 1000 // (led.on_ms + led.off_ms)))), beep
